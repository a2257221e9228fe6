"""Engines behind ports.

Each capability is a small interface (a ``Protocol``) with two adapters: ``scriba.engines.aws``
(boto3, the managed services) and ``scriba.engines.local`` (open-source engines, offline). Stage
logic in ``scriba.stages`` is written once against these interfaces and never knows which adapter
it has. An adapter module provides one factory per port, each taking the ``Settings``:

    ocr_engine, ocr_jobs, image_labeler, summarizer, translator, speech_synthesizer,
    language_detector

Adapters raise the typed errors of ``scriba.errors``: ``Throttled`` and ``TransientServiceError``
for what a retry may fix, a ``PermanentError`` subclass for everything else.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from types import ModuleType
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from PIL import Image

    from scriba.config import Settings
    from scriba.models.document import S3Location
    from scriba.models.narration import SpeechClip
    from scriba.models.summary import SummaryDraft
    from scriba.models.tags import ImageLabels
    from scriba.models.text import Page
    from scriba.models.translation import TranslatedText


@dataclass(frozen=True)
class PageImage:
    """A page (or an image input) as pixels, ready for OCR."""

    number: int  # 1-based
    image: Image.Image
    dpi: float  # of the rendering; 0 when unknown (image inputs)


@runtime_checkable
class OcrEngine(Protocol):
    """Recognizes the text of one page image: lines and words with boxes and confidences."""

    name: str

    def recognize(self, page: PageImage, languages: Sequence[str]) -> Page:
        """``languages`` are ISO 639-1 hints (may be empty: the engine's default or detection)."""
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
    ) -> list[Page]:
        """Every page of a finished job, normalised, in page order. The service reports no page
        sizes: ``sizes`` gives them (points, by the job document's page number)."""
        ...


@runtime_checkable
class ImageLabeler(Protocol):
    name: str

    def label(self, image: Image.Image, min_confidence: float, max_labels: int) -> ImageLabels:
        """Labels (most confident first), and whether people or faces are in the picture."""
        ...


@runtime_checkable
class Summarizer(Protocol):
    name: str

    def summarize(
        self, sentences: Sequence[str], language: str | None, max_sentences: int
    ) -> SummaryDraft:
        """A summary of the document given as its sentences, in document order."""
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


@runtime_checkable
class SpeechSynthesizer(Protocol):
    name: str
    max_characters: int  # per request; the stage chunks to fit

    def synthesize(self, text: str, language: str) -> SpeechClip:
        """MP3 of ``text`` spoken in ``language``; clips of one document concatenate."""
        ...


@runtime_checkable
class LanguageDetector(Protocol):
    def detect(self, text: str) -> str | None:
        """ISO 639-1 code of the text's language, or None when unsure."""
        ...


class Engines:
    """The set of adapters chosen by ``settings.engines``, each built on first use."""

    def __init__(self, settings: Settings, module: ModuleType | None = None) -> None:
        self.settings = settings
        self.name = settings.engines
        self._module = module or importlib.import_module(f"scriba.engines.{settings.engines}")

    @cached_property
    def ocr(self) -> OcrEngine:
        engine: OcrEngine = self._module.ocr_engine(self.settings)
        return engine

    @cached_property
    def ocr_jobs(self) -> OcrJobs | None:
        jobs: OcrJobs | None = self._module.ocr_jobs(self.settings)
        return jobs

    @cached_property
    def labeler(self) -> ImageLabeler:
        labeler: ImageLabeler = self._module.image_labeler(self.settings)
        return labeler

    @cached_property
    def summarizer(self) -> Summarizer:
        summarizer: Summarizer = self._module.summarizer(self.settings)
        return summarizer

    @cached_property
    def translator(self) -> Translator:
        translator: Translator = self._module.translator(self.settings)
        return translator

    @cached_property
    def speech(self) -> SpeechSynthesizer:
        speech: SpeechSynthesizer = self._module.speech_synthesizer(self.settings)
        return speech

    @cached_property
    def language(self) -> LanguageDetector:
        detector: LanguageDetector = self._module.language_detector(self.settings)
        return detector


_cache: dict[str, Engines] = {}
_override: list[Engines] = []


def get_engines(settings: Settings) -> Engines:
    """The engines for these settings; built once per process (warm Lambdas keep their models)."""
    if _override:
        return _override[-1]
    key = settings.model_dump_json()
    if key not in _cache:
        _cache[key] = Engines(settings)
    return _cache[key]


@contextmanager
def use_engines(engines: Engines) -> Iterator[Engines]:
    """Makes every stage in this process use ``engines`` (tests, fault injection)."""
    _override.append(engines)
    try:
        yield engines
    finally:
        _override.pop()
