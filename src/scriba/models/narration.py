"""A spoken rendering of a translation."""

from __future__ import annotations

from pydantic import Field

from scriba.models.base import Model


class Narration(Model):
    language: str
    voice: str
    engine: str
    duration_seconds: float = Field(ge=0)
    characters: int = Field(ge=0)
    requests: int = Field(ge=0)
