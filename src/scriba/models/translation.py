"""A translation of the summary."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from scriba.models.base import Model

SCHEMA_VERSION: Literal["1"] = "1"


class Translation(Model):
    schema_version: Literal["1"] = SCHEMA_VERSION
    document_id: str
    source_language: str = Field(description="The language of most of the summary")
    source_languages: list[str] = Field(
        default_factory=list,
        description="Every language the summary's parts were translated from, in order; a part "
        "already in the target language is kept as written",
    )
    target_language: str
    engine: str
    route: list[str] = Field(description="Pivot languages included, source first")
    text: str
    requests: int = Field(ge=0, description="Calls made to the engine (chunks)")
    characters: int = Field(ge=0, description="Characters sent for translation")
