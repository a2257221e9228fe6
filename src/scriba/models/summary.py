"""The summary of a document."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from scriba.models.base import Model

SCHEMA_VERSION: Literal["1"] = "1"


class SummaryMethod(StrEnum):
    EXTRACTIVE = "extractive"  # sentences of the document, in document order
    ABSTRACTIVE = "abstractive"  # written by a language model
    LABELS = "labels"  # a document without text, described by its picture labels
    TABLES = "tables"  # a document of tables without prose, described by its tables
    NONE = "none"  # nothing to summarize


class TokenUsage(Model):
    input_tokens: int = Field(default=0, ge=0)
    output_tokens: int = Field(default=0, ge=0)
    calls: int = Field(default=0, ge=0)

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            calls=self.calls + other.calls,
        )


class Summary(Model):
    schema_version: Literal["1"] = SCHEMA_VERSION
    document_id: str
    language: str | None = Field(description="ISO 639-1 code of the summary")
    method: SummaryMethod
    engine: str
    model: str | None = None
    text: str
    sentences: list[str] = Field(description="The summary split into sentences")
    sentence_languages: list[str | None] = Field(
        default_factory=list,
        description="The language of each sentence, for a summary of a document in several "
        "languages (taken from the pages it quotes); empty when all are in `language`",
    )
    source_sentences: int = Field(ge=0, description="Sentences in the document")
    usage: TokenUsage | None = None
