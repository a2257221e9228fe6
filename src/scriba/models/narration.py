"""A spoken rendering of a translation."""

from __future__ import annotations

from pydantic import Field

from scriba.models.base import Model


class SpeechClip(Model):
    """What a speech synthesizer returns for one request: MP3 bytes and how they were made."""

    mp3: bytes
    voice: str
    engine: str = Field(description="e.g. piper, espeak-ng, polly-neural, polly-standard")
    characters: int = Field(ge=0, description="Characters billed for this request")


class Narration(Model):
    language: str
    voice: str
    engine: str
    duration_seconds: float = Field(ge=0)
    characters: int = Field(ge=0)
    requests: int = Field(ge=0)
