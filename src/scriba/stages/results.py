"""Small results that stages hand back to the state machine (never the artifacts themselves)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field

from scriba.document import Model
from scriba.errors import reason_for
from scriba.manifest import Artifact, Failure, Stage
from scriba.summary import TokenUsage


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


class TagResult(Model):
    artifacts: list[Artifact]
    images: int = Field(ge=0)
    labels: list[str] = Field(description="The most confident label names, at most ten")
    people: bool
    warnings: list[str] = Field(default_factory=list)


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


class TranslationResult(Model):
    artifact: Artifact
    characters: int = Field(ge=0)


class NarrationResult(Model):
    artifact: Artifact
