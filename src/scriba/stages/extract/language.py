"""The language of the extracted text, detected on a sample of it."""

from __future__ import annotations

from typing import Any

from scriba.context import Context

# Enough text to tell a language; the detectors sample further (Comprehend sends 5,000 bytes).
LANGUAGE_SAMPLE_CHARS = 6000
MIN_DETECTABLE_CHARS = 20


def language_sample(text: str) -> str:
    return text.strip()[:LANGUAGE_SAMPLE_CHARS]


def detect_language(ctx: Context[Any], text: str) -> str | None:
    """ISO 639-1 code of ``text``'s language; None when it is too short to tell or unsure."""
    sample = language_sample(text)
    if len(sample) < MIN_DETECTABLE_CHARS:
        return None
    return ctx.engines.language.detect(sample)
