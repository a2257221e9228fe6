"""What travels between the workflow's states: small references, never the artifacts.

Step Functions caps a state's input and output at 256 KiB: every model here stays small whatever
the document's size (ids, locations, counts, the OCR plan), and every artifact lives in the bucket.

- ``PipelineInput`` starts an execution; ``Document`` is what inspect learned and every later
  state reads;
- each stage hands back a small result (``TextResult``, ``TagResult``, ``SummaryResult``,
  ``TranslationResult``, ``NarrationResult``) with what its engines reported using (``billed``,
  priced by finalize), or the workflow records a ``StageFailure`` (the error object a Catch puts
  at its ResultPath) in its place;
- ``PipelineState`` is the whole execution state as the workflow built it, read by finalize.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from pydantic import ConfigDict, Field

from scriba.cost.units import Billed
from scriba.errors import reason_for
from scriba.models.base import Model
from scriba.models.document import DocumentKind, S3Location, Source
from scriba.models.manifest import Artifact, Failure, Stage
from scriba.models.summary import TokenUsage

# -- the input and the document ------------------------------------------------------------------


class OcrMode(StrEnum):
    NONE = "none"  # every page has a usable text layer
    PAGES = "pages"  # pages OCR'd in batches, one task per batch (a Map state)
    JOB = "job"  # one asynchronous OCR job, awaited by the state machine


class OcrPlan(Model):
    mode: OcrMode = OcrMode.NONE
    pages: list[int] = Field(default_factory=list, description="1-based pages that need OCR")
    batches: list[list[int]] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list, description="ISO 639-1 hints for OCR")


class Options(Model):
    """What the caller may ask for when starting a document."""

    languages: list[str] | None = None
    force: bool = Field(default=False, description="Process again even if the same bytes were seen")
    attempt: int = Field(
        default=0, ge=0, description="A re-run of the same version needs a new one"
    )


class PipelineInput(Model):
    """The input of one execution of the state machine."""

    source: Source
    options: Options = Field(default_factory=Options)


class Document(Model):
    """What the inspect step learned about the input; passed to every later state."""

    id: str = Field(description="Deterministic id from bucket, key and version or etag")
    name: str = Field(description="The source key, for people")
    source: Source
    output: S3Location = Field(description="Prefix of the results; key ends without '/'")
    work: S3Location = Field(description="Prefix of intermediate files; key ends without '/'")
    kind: DocumentKind
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    pages: int = Field(ge=1)
    text_layer_pages: int = Field(default=0, ge=0)
    language: str | None = Field(default=None, description="Detected from the text layer, if any")
    languages: list[str] = Field(description="Target languages of translation and narration")
    ocr: OcrPlan = Field(default_factory=OcrPlan)
    reused_from: S3Location | None = Field(
        default=None, description="Output prefix of identical content whose results were reused"
    )
    warnings: list[str] = Field(default_factory=list)


# -- what each task is sent ----------------------------------------------------------------------


class StageRequest(Model):
    """Base of every task's request. The state machine passes the execution's ARN too: every
    log line of the task carries it, with the document's id and key (``subject``)."""

    execution: str | None = Field(default=None, description="ARN of the execution that sent it")

    def subject(self) -> tuple[str, str]:
        """(document id, source key) of the document the request is about."""
        raise NotImplementedError(f"{type(self).__name__} names no document")


class DocumentRequest(StageRequest):
    """A request about a document inspect has seen."""

    document: Document

    def subject(self) -> tuple[str, str]:
        return self.document.id, self.document.name


# -- what each stage hands back ------------------------------------------------------------------


class StageError(Model):
    """The error object Step Functions puts at a Catch's ResultPath."""

    Error: str
    Cause: str | None = None

    def failure(self, stage: Stage) -> Failure:
        message = self.Cause or self.Error
        try:
            cause: Any = json.loads(self.Cause or "")
        except ValueError:
            cause = None
        if isinstance(cause, dict) and "errorMessage" in cause:
            message = str(cause["errorMessage"])
        if self.Error == "Runtime.OutOfMemory":
            message = (
                f"the {stage.value} stage ran out of memory (raise its function's MemorySize "
                f"in template.yaml for documents like this one): {message}"
            )
        return Failure(
            stage=stage, reason=reason_for(self.Error), message=message, error_type=self.Error
        )


class StageFailure(Model):
    """What the workflow records in place of a result when a stage failed for good."""

    stage: Stage
    error: StageError


class TextResult(Model):
    artifacts: list[Artifact]
    language: str | None
    pages: int = Field(ge=0)
    words: int = Field(ge=0)
    characters: int = Field(ge=0)
    ocr_pages: int = Field(ge=0)
    text_layer_pages: int = Field(ge=0)
    warnings: list[str] = Field(default_factory=list)
    billed: list[Billed] = Field(default_factory=list, description="What its engines used")
    saved: list[Billed] = Field(
        default_factory=list, description="The OCR the text layer made unnecessary"
    )


class TagResult(Model):
    artifacts: list[Artifact]
    images: int = Field(ge=0)
    labels: list[str] = Field(description="The most confident label names, at most ten")
    people: bool
    warnings: list[str] = Field(default_factory=list)
    billed: list[Billed] = Field(default_factory=list, description="What its engines used")


class SummaryResult(Model):
    artifacts: list[Artifact]
    language: str | None
    characters: int = Field(ge=0)
    method: str
    model: str | None = None
    usage: TokenUsage | None = Field(default=None, description="Tokens a language model used")
    usage_estimated: bool = Field(
        default=False, description="The tokens Bedrock would have used, for a local summary"
    )
    warnings: list[str] = Field(default_factory=list)
    billed: list[Billed] = Field(default_factory=list, description="What its engines used")


class SummaryPlan(Model):
    """A long document's summary in the making: one level of the map-reduce the state machine
    runs (a Map over ``items``, one chunk per task, then a reduce). Small whatever the document:
    the chunks and their summaries are in the bucket, under the document's work prefix."""

    level: int = Field(ge=0, description="0: chunks of the document; above: groups of summaries")
    chunks: int = Field(ge=2, description="Chunks of this level")
    items: list[int] = Field(description="0 .. chunks - 1: what the Map iterates over")
    language: str | None
    source_sentences: int = Field(ge=0, description="Sentences of the document")
    first_chunks: int = Field(ge=2, description="Chunks of level 0")
    usage: TokenUsage = Field(
        default_factory=TokenUsage, description="Tokens of the levels already reduced"
    )
    usage_estimated: bool = False
    billed: list[Billed] = Field(
        default_factory=list, description="What the levels already reduced used"
    )
    warnings: list[str] = Field(default_factory=list)


class TranslationResult(Model):
    artifact: Artifact
    characters: int = Field(ge=0)
    billed: list[Billed] = Field(default_factory=list, description="What its engines used")


class NarrationResult(Model):
    artifact: Artifact
    billed: list[Billed] = Field(default_factory=list, description="What its engines used")


# -- the execution state -------------------------------------------------------------------------


class Analysis(Model):
    text: TextResult
    tags: TagResult | StageFailure


class LanguageOutcome(Model):
    """One item of the languages Map: results, or the stage that failed and why."""

    language: str
    translation: TranslationResult | None = None
    narration: NarrationResult | None = None
    stage: Stage | None = None
    error: StageError | None = None


class PipelineState(Model):
    """The execution state as the workflow built it; fields appear as stages complete."""

    model_config = ConfigDict(extra="ignore")

    source: Source
    options: Options = Field(default_factory=Options)
    document: Document | None = None
    analysis: Analysis | None = None
    summary: SummaryResult | StageFailure | None = None
    outputs: list[LanguageOutcome] | None = None
    failure: StageFailure | None = None
