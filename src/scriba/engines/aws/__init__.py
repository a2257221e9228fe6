"""AWS engines: boto3 adapters for Textract, Rekognition, Bedrock, Translate, Polly and
Comprehend. These are the only engines inside the Lambda packages."""

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
    from scriba.engines.aws.textract import TextractOcr  # noqa: PLC0415

    return TextractOcr(settings)


def ocr_jobs(settings: Settings) -> OcrJobs | None:
    from scriba.engines.aws.textract import TextractJobs  # noqa: PLC0415

    return TextractJobs(settings)


def image_labeler(settings: Settings) -> ImageLabeler:
    from scriba.engines.aws.rekognition import RekognitionLabeler  # noqa: PLC0415

    return RekognitionLabeler(settings)


def summarizer(settings: Settings) -> Summarizer:
    from scriba.engines.aws.bedrock import BedrockSummarizer  # noqa: PLC0415

    return BedrockSummarizer(settings)


def translator(settings: Settings) -> Translator:
    from scriba.engines.aws.translate import AwsTranslator  # noqa: PLC0415

    return AwsTranslator(settings)


def speech_synthesizer(settings: Settings) -> SpeechSynthesizer:
    from scriba.engines.aws.polly import PollySpeech  # noqa: PLC0415

    return PollySpeech(settings)


def language_detector(settings: Settings) -> LanguageDetector:
    from scriba.engines.aws.comprehend import ComprehendDetector  # noqa: PLC0415

    return ComprehendDetector(settings)
