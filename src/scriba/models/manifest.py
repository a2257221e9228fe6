"""The manifest: what became of one document, written last, read first by consumers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import Field, JsonValue

from scriba.models.base import Model
from scriba.models.document import DocumentKind, Source

SCHEMA_VERSION: Literal["1"] = "1"


class Status(StrEnum):
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"  # some artifacts failed, the others are there
    FAILED = "failed"
    SKIPPED = "skipped"  # for an artifact: nothing to make (e.g. no text to translate)


class Stage(StrEnum):
    INSPECT = "inspect"
    EXTRACT = "extract"
    TAG = "tag"
    SUMMARIZE = "summarize"
    TRANSLATE = "translate"
    SPEAK = "speak"
    FINALIZE = "finalize"


class Failure(Model):
    stage: Stage
    reason: str = Field(
        description="Stable code, e.g. encrypted_document, throttled, out_of_memory (every one "
        "is listed in docs/bad-inputs.md)"
    )
    message: str = Field(description="For people; names the document and the problem")
    error_type: str | None = Field(default=None, description="The error name seen by the workflow")


class ArtifactKind(StrEnum):
    TEXT = "text"  # text.json
    PLAIN_TEXT = "plain_text"  # text.txt
    TABLES = "tables"  # tables.json
    TABLE_CSV = "table_csv"  # tables/table-001.csv ...
    TAGS = "tags"
    IMAGE = "image"  # a picture sent to the labeler
    SUMMARY = "summary"
    TRANSLATION = "translation"
    AUDIO = "audio"


class Artifact(Model):
    kind: ArtifactKind
    path: str | None = Field(description="Relative to the document's output prefix")
    status: Status = Status.SUCCEEDED
    language: str | None = None
    media_type: str | None = None
    size: int | None = Field(default=None, ge=0, description="Bytes")
    details: dict[str, JsonValue] = Field(default_factory=dict)
    failure: Failure | None = None


class CostLine(Model):
    """Billable units of one service operation, and what they cost (or would cost) on AWS."""

    stage: Stage
    service: str = Field(description="e.g. textract, rekognition, bedrock, translate, polly")
    item: str = Field(description="What is billed, e.g. DetectDocumentText page")
    quantity: float = Field(ge=0)
    unit: str = Field(description="page, image, 1K input tokens, character, GB-second, ...")
    unit_price_usd: float = Field(ge=0)
    usd: float = Field(ge=0)


class Cost(Model):
    """The cost ledger of one document, priced from a dated price table."""

    currency: Literal["USD"] = "USD"
    region: str
    prices: str = Field(description="Version (date) of the price table used")
    estimated: bool = Field(description="True when the document ran on local engines")
    lines: list[CostLine] = Field(default_factory=list)
    savings: list[CostLine] = Field(
        default_factory=list, description="Spend avoided, e.g. OCR of pages with a text layer"
    )
    total_usd: float = Field(ge=0)


class Manifest(Model):
    schema_version: Literal["1"] = SCHEMA_VERSION
    document_id: str
    name: str
    source: Source
    output: str = Field(description="s3:// URI of the document's output prefix")
    status: Status
    kind: DocumentKind | None = None
    sha256: str | None = None
    size: int | None = None
    pages: int | None = None
    language: str | None = Field(default=None, description="Detected language of the text")
    languages: list[str] = Field(default_factory=list, description="Target languages")
    engines: Literal["aws", "local"]
    artifacts: list[Artifact] = Field(default_factory=list)
    failure: Failure | None = None
    warnings: list[str] = Field(default_factory=list)
    reused_from: str | None = None
    execution: str | None = Field(default=None, description="Step Functions execution ARN")
    cost: Cost | None = Field(default=None, description="Billable units and their price")
    started_at: datetime | None = None
    finished_at: datetime

    def artifact(self, kind: ArtifactKind, language: str | None = None) -> Artifact | None:
        """The first artifact of ``kind`` (in ``language``, when one is given)."""
        for item in self.artifacts:
            if item.kind is kind and (language is None or item.language == language):
                return item
        return None
