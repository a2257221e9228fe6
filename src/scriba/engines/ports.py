"""The ports: one small interface (a ``Protocol``) per capability an engine provides, and the
values they take and return.

Stage logic in ``scriba.stages`` is written once against these and never knows which adapter it
has: ``scriba.engines.aws`` (boto3, the managed services) or ``scriba.engines.local``
(open-source engines, offline). Adapters raise the typed errors of ``scriba.errors``:
``Throttled`` and ``TransientServiceError`` for what a retry may fix, a ``PermanentError``
subclass for everything else.

Every engine reports what its work costs, as ``Billed`` items in the price table's terms
(``scriba.cost.units``): an AWS adapter what the service bills, a local engine what the service
would bill for the same work. The stages pass these on; finalize prices them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from pydantic import Field

from scriba.cost.units import Billed
from scriba.models.base import Model
from scriba.models.summary import SummaryMethod, TokenUsage
from scriba.models.tables import FormField, Table
from scriba.models.tags import Label
from scriba.models.text import Page

if TYPE_CHECKING:
    from PIL import Image

    from scriba.media.labeling import Picture
    from scriba.models.document import S3Location


class OcrPage(Model):
    """What an OCR engine read on one page: its lines and words, and the tables and form fields
    where the engine finds them (Textract with TABLES or FORMS; Tesseract finds none)."""

    page: Page
    tables: list[Table] = Field(default_factory=list)
    fields: list[FormField] = Field(default_factory=list)


@dataclass(frozen=True)
class PageImage:
    """A page (or an image input) as pixels, ready for OCR."""

    number: int  # 1-based
    image: Image.Image
    dpi: float  # of the rendering; 0 when unknown (image inputs)


class ImageLabels(Model):
    """What an image labeler says of one image."""

    labels: list[Label]
    faces: int = Field(default=0, ge=0)
    people: bool = False


class SummaryDraft(Model):
    """What a summarizer returns."""

    text: str
    sentences: list[str] = Field(default_factory=list)
    method: SummaryMethod
    engine: str
    model: str | None = None
    usage: TokenUsage | None = None
    usage_estimated: bool = Field(
        default=False, description="Tokens a language model would have used (a local summary)"
    )
    billed: list[Billed] = Field(default_factory=list)

    def units(self) -> list[str]:
        """What a later step of a map-reduce reads of this draft: an extractive draft's
        sentences (the next step chooses among them, unchanged), a written one's text whole."""
        if self.method is SummaryMethod.EXTRACTIVE:
            return list(self.sentences)
        return [self.text] if self.text else []


class SummaryStep(StrEnum):
    """What one step of a map-reduce summary is asked: one part of the document (map), the
    summaries of some consecutive parts (an intermediate reduce of a very long document), or the
    summaries of all parts (the last reduce: the summary)."""

    PART = "part"
    COMBINE_PART = "combine-part"
    COMBINE = "combine"


class TranslatedText(Model):
    """What a translator returns for one request."""

    text: str
    route: list[str] = Field(description="Languages passed through, source first, target last")


class SpeechClip(Model):
    """What a speech synthesizer returns for one request: MP3 bytes and how they were made."""

    mp3: bytes
    voice: str
    engine: str = Field(description="e.g. piper, espeak-ng, polly-neural, polly-standard")
    characters: int = Field(ge=0, description="Characters billed for this request")
    billed: Billed


@runtime_checkable
class OcrEngine(Protocol):
    """Recognizes the text of one page image: lines and words with boxes and confidences."""

    name: str

    def recognize(self, page: PageImage, languages: Sequence[str]) -> OcrPage:
        """``languages`` are ISO 639-1 hints (may be empty: the engine's default or detection)."""
        ...

    def billed(self, pages: int) -> Billed:
        """What recognizing ``pages`` page images costs."""
        ...


class OcrJobState(Protocol):
    status: str  # IN_PROGRESS, SUCCEEDED, FAILED, PARTIAL_SUCCESS
    message: str | None


@runtime_checkable
class OcrJobs(Protocol):
    """An asynchronous OCR service for multi-page documents (Textract Start*/Get*)."""

    def start(self, document: S3Location, output: S3Location, token: str) -> str:
        """Starts a job on a PDF in the bucket; same ``token``, same job. Returns the job id."""
        ...

    def state(self, job_id: str) -> OcrJobState: ...

    def pages(
        self,
        job_id: str,
        output: S3Location,
        sizes: Mapping[int, tuple[float, float]] | None = None,
    ) -> Iterator[OcrPage]:
        """Every page of a finished job, normalised, in page order, one at a time (a job may
        be thousands of pages). The service reports no page sizes: ``sizes`` gives them
        (points, by the job document's page number)."""
        ...

    def billed(self, pages: int) -> Billed:
        """What a job on ``pages`` pages costs."""
        ...


@runtime_checkable
class ImageLabeler(Protocol):
    name: str

    def label(self, picture: Picture, min_confidence: float, max_labels: int) -> ImageLabels:
        """Labels (most confident first), and whether people or faces are in the picture."""
        ...

    def billed(self, pictures: int) -> Billed:
        """What labeling ``pictures`` pictures costs."""
        ...


@runtime_checkable
class Summarizer(Protocol):
    name: str

    def summarize(
        self, sentences: Sequence[str], language: str | None, max_sentences: int
    ) -> SummaryDraft:
        """A summary of the document given as its sentences, in document order; the draft says
        what it cost (``billed``). A document of one chunk (``chunks``) takes one request."""
        ...

    def chunks(
        self, sentences: Sequence[str], language: str | None, max_sentences: int
    ) -> list[list[str]]:
        """Consecutive ``sentences`` (a long one may be cut in pieces) packed into chunks that
        one request (``summarize_step``) each takes whole; joined, they give back every word in
        order. One chunk (or none): ``summarize`` does the document in one request."""
        ...

    def summarize_step(
        self,
        sentences: Sequence[str],
        language: str | None,
        max_sentences: int,
        step: SummaryStep,
    ) -> SummaryDraft:
        """One request of a map-reduce: the summary of one chunk (``step``), with its cost.
        The state machine runs the map-reduce, one chunk per task."""
        ...


@runtime_checkable
class Translator(Protocol):
    name: str
    max_request_bytes: int  # UTF-8 bytes per request; the stage chunks to fit

    def supported_targets(self, source: str) -> list[str]:
        """Target languages reachable from ``source``."""
        ...

    def translate(self, text: str, source: str, target: str) -> TranslatedText:
        """One request; raises ``UnsupportedLanguagePair`` naming what is supported."""
        ...

    def billed(self, characters: int) -> Billed:
        """What translating ``characters`` characters costs."""
        ...


@runtime_checkable
class SpeechSynthesizer(Protocol):
    name: str
    max_characters: int  # per request; the stage chunks to fit

    def synthesize(self, text: str, language: str) -> SpeechClip:
        """MP3 of ``text`` spoken in ``language``; clips of one document concatenate. The clip
        says what it cost (``billed``)."""
        ...


@runtime_checkable
class LanguageDetector(Protocol):
    def detect(self, text: str) -> str | None:
        """ISO 639-1 code of the text's language, or None when unsure."""
        ...

    def detect_each(self, texts: Sequence[str]) -> list[str | None]:
        """``detect`` of each text (a document's pages), in as few requests as the engine
        allows; each text is billed as a request of its own."""
        ...

    def billed(self, text: str) -> Billed:
        """What detecting the language of ``text`` costs."""
        ...
