"""Engines behind ports: the set of adapters a run uses, built from one table per backend.

The ports (the interfaces stages are written against) are in ``scriba.engines.ports``; the
adapters in ``scriba.engines.aws`` (boto3) and ``scriba.engines.local`` (offline engines).
``BACKENDS`` says, for each value of ``SCRIBA_ENGINES``, how to build each engine; a constructor
imports its adapter only when it runs, so that a Lambda package never needs the offline engines
and importing scriba stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from scriba.aws.clients import AwsClients
    from scriba.config import Settings
    from scriba.engines.ports import (
        ImageLabeler,
        LanguageDetector,
        OcrEngine,
        OcrJobs,
        SpeechSynthesizer,
        Summarizer,
        Translator,
    )

E = TypeVar("E")
Constructor = Callable[["Settings", "AwsClients"], E]


@dataclass(frozen=True)
class Backend:
    """How to build each engine of one backend (``ocr_jobs`` is None where there is no
    asynchronous OCR service: the pages are then OCR'd in batches)."""

    name: str
    ocr: Constructor[OcrEngine]
    ocr_jobs: Constructor[OcrJobs] | None
    labeler: Constructor[ImageLabeler]
    summarizer: Constructor[Summarizer]
    translator: Constructor[Translator]
    speech: Constructor[SpeechSynthesizer]
    language: Constructor[LanguageDetector]


# -- AWS: the managed services, through the clients of the context -------------------------------


def _textract(settings: Settings, clients: AwsClients) -> OcrEngine:
    from scriba.engines.aws.textract import TextractOcr  # noqa: PLC0415

    return TextractOcr(settings, client=clients.textract)


def _textract_jobs(settings: Settings, clients: AwsClients) -> OcrJobs:
    from scriba.aws.storage import Storage  # noqa: PLC0415
    from scriba.engines.aws.textract import TextractJobs  # noqa: PLC0415

    return TextractJobs(settings, client=clients.textract, storage=Storage(clients.s3))


def _rekognition(settings: Settings, clients: AwsClients) -> ImageLabeler:
    from scriba.engines.aws.rekognition import RekognitionLabeler  # noqa: PLC0415

    return RekognitionLabeler(settings, client=clients.rekognition)


def _bedrock(settings: Settings, clients: AwsClients) -> Summarizer:
    from scriba.engines.aws.bedrock import BedrockSummarizer  # noqa: PLC0415

    client = clients.bedrock_runtime_waiting(settings.bedrock_read_timeout_seconds)
    return BedrockSummarizer(settings, client=client)


def _amazon_translate(settings: Settings, clients: AwsClients) -> Translator:
    from scriba.engines.aws.translate import AwsTranslator  # noqa: PLC0415

    return AwsTranslator(settings, client=clients.translate)


def _polly(settings: Settings, clients: AwsClients) -> SpeechSynthesizer:
    from scriba.engines.aws.polly import PollySpeech  # noqa: PLC0415

    return PollySpeech(settings, client=clients.polly)


def _comprehend(settings: Settings, clients: AwsClients) -> LanguageDetector:
    from scriba.engines.aws.comprehend import ComprehendDetector  # noqa: PLC0415

    return ComprehendDetector(settings, client=clients.comprehend)


# -- local: open-source engines whose weights ship inside packages (torch, onnxruntime and
# tesserocr are imported here, on first use, never by a Lambda) ----------------------------------


def _tesseract(settings: Settings, clients: AwsClients) -> OcrEngine:
    from scriba.engines.local.tesseract import TesseractOcr  # noqa: PLC0415

    return TesseractOcr(settings)


def _efficientnet(settings: Settings, clients: AwsClients) -> ImageLabeler:
    from scriba.engines.local.labels import LocalImageLabeler  # noqa: PLC0415

    return LocalImageLabeler(settings)


def _lexrank(settings: Settings, clients: AwsClients) -> Summarizer:
    from scriba.engines.local.lexrank import ExtractiveSummarizer  # noqa: PLC0415

    return ExtractiveSummarizer(settings)


def _apertium(settings: Settings, clients: AwsClients) -> Translator:
    from scriba.engines.local.apertium import ApertiumTranslator  # noqa: PLC0415

    return ApertiumTranslator(settings)


def _piper_and_espeak(settings: Settings, clients: AwsClients) -> SpeechSynthesizer:
    from scriba.engines.local.speech import LocalSpeech  # noqa: PLC0415

    return LocalSpeech(settings)


def _lingua(settings: Settings, clients: AwsClients) -> LanguageDetector:
    from scriba.engines.local.lingua import LinguaDetector  # noqa: PLC0415

    return LinguaDetector(settings)


BACKENDS: dict[str, Backend] = {
    "aws": Backend(
        name="aws",
        ocr=_textract,
        ocr_jobs=_textract_jobs,
        labeler=_rekognition,
        summarizer=_bedrock,
        translator=_amazon_translate,
        speech=_polly,
        language=_comprehend,
    ),
    "local": Backend(
        name="local",
        ocr=_tesseract,
        # Tesseract has no asynchronous job API: large documents are split into page batches.
        ocr_jobs=None,
        labeler=_efficientnet,
        summarizer=_lexrank,
        translator=_apertium,
        speech=_piper_and_espeak,
        language=_lingua,
    ),
}


class Engines:
    """The engines of ``backend`` (``BACKENDS[settings.engines]`` unless given), each built on
    first use and kept: a warm Lambda or a worker process loads its models once."""

    def __init__(
        self, settings: Settings, clients: AwsClients, backend: Backend | None = None
    ) -> None:
        self.settings = settings
        self.clients = clients
        self.backend = backend if backend is not None else BACKENDS[settings.engines]
        self.name = self.backend.name

    @cached_property
    def ocr(self) -> OcrEngine:
        return self.backend.ocr(self.settings, self.clients)

    @cached_property
    def ocr_jobs(self) -> OcrJobs | None:
        build = self.backend.ocr_jobs
        return build(self.settings, self.clients) if build is not None else None

    @cached_property
    def labeler(self) -> ImageLabeler:
        return self.backend.labeler(self.settings, self.clients)

    @cached_property
    def summarizer(self) -> Summarizer:
        return self.backend.summarizer(self.settings, self.clients)

    @cached_property
    def translator(self) -> Translator:
        return self.backend.translator(self.settings, self.clients)

    @cached_property
    def speech(self) -> SpeechSynthesizer:
        return self.backend.speech(self.settings, self.clients)

    @cached_property
    def language(self) -> LanguageDetector:
        return self.backend.language(self.settings, self.clients)
