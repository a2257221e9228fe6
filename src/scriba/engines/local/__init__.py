"""Offline engines: everything runs on this machine, weights ship inside packages.

Heavy imports (torch, onnxruntime, tesserocr) happen inside the factories so that importing
``scriba`` stays cheap and the AWS Lambda packages never need them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scriba.config import Settings
    from scriba.engines import (
        ImageLabeler,
        LanguageDetector,
        OcrEngine,
        OcrJobs,
        SpeechSynthesizer,
        Summarizer,
        Translator,
    )


def ocr_engine(settings: Settings) -> OcrEngine:
    from scriba.engines.local.tesseract import TesseractOcr  # noqa: PLC0415

    return TesseractOcr(settings)


def ocr_jobs(settings: Settings) -> OcrJobs | None:
    # Tesseract has no asynchronous job API: large documents are split into page batches.
    return None


def image_labeler(settings: Settings) -> ImageLabeler:
    from scriba.engines.local.labels import LocalImageLabeler  # noqa: PLC0415

    return LocalImageLabeler(settings)


def summarizer(settings: Settings) -> Summarizer:
    from scriba.engines.local.lexrank import ExtractiveSummarizer  # noqa: PLC0415

    return ExtractiveSummarizer(settings)


def translator(settings: Settings) -> Translator:
    from scriba.engines.local.apertium import ApertiumTranslator  # noqa: PLC0415

    return ApertiumTranslator(settings)


def speech_synthesizer(settings: Settings) -> SpeechSynthesizer:
    from scriba.engines.local.speech import LocalSpeech  # noqa: PLC0415

    return LocalSpeech(settings)


def language_detector(settings: Settings) -> LanguageDetector:
    from scriba.engines.local.lingua import LinguaDetector  # noqa: PLC0415

    return LinguaDetector(settings)
