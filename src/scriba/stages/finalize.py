"""Finalize: write the manifest (last, so a manifest means the results are complete) and tell
downstream consumers; or record a failure, keeping whatever partial results were made."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, TypeAdapter

from scriba import layout
from scriba.document import Document, Model, Options, S3Location, Source
from scriba.events import DocumentEvent, publish
from scriba.manifest import Artifact, ArtifactKind, Failure, Manifest, Stage, Status
from scriba.stages import Context
from scriba.stages.results import (
    NarrationResult,
    StageError,
    StageFailure,
    SummaryResult,
    TagResult,
    TextResult,
    TranslationResult,
)
from scriba.storage import Storage

logger = logging.getLogger(__name__)


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


class FinalizeRequest(Model):
    action: Literal["finalize"]
    state: PipelineState
    execution: str | None = None
    started_at: datetime | None = None


class RecordFailureRequest(Model):
    action: Literal["fail"]
    state: PipelineState
    execution: str | None = None
    started_at: datetime | None = None


FinalizeAction = Annotated[FinalizeRequest | RecordFailureRequest, Field(discriminator="action")]
FINALIZE_ACTION: TypeAdapter[FinalizeAction] = TypeAdapter(FinalizeAction)


class Outcome(Model):
    status: Status
    manifest: str
    event_published: bool


def _failed(kind: ArtifactKind, failure: Failure, language: str | None = None) -> Artifact:
    return Artifact(kind=kind, path=None, status=Status.FAILED, language=language, failure=failure)


def _skipped(kind: ArtifactKind, language: str, why: str) -> Artifact:
    return Artifact(
        kind=kind, path=None, status=Status.SKIPPED, language=language, details={"why": why}
    )


def collect_artifacts(state: PipelineState) -> tuple[list[Artifact], list[str]]:
    """Every artifact the workflow reports, failed and skipped ones included, and the warnings."""
    artifacts: list[Artifact] = []
    warnings: list[str] = list(state.document.warnings) if state.document else []
    if state.analysis is not None:
        artifacts += state.analysis.text.artifacts
        warnings += state.analysis.text.warnings
        tags = state.analysis.tags
        if isinstance(tags, TagResult):
            artifacts += tags.artifacts
            warnings += tags.warnings
        else:
            artifacts.append(_failed(ArtifactKind.TAGS, tags.error.failure(Stage.TAG)))
    languages = state.document.languages if state.document else []
    summary = state.summary
    if isinstance(summary, StageFailure):
        artifacts.append(_failed(ArtifactKind.SUMMARY, summary.error.failure(Stage.SUMMARIZE)))
        for language in languages:
            artifacts.append(_skipped(ArtifactKind.TRANSLATION, language, "the summary failed"))
            artifacts.append(_skipped(ArtifactKind.AUDIO, language, "the summary failed"))
    elif summary is not None:
        artifacts += summary.artifacts
        warnings += summary.warnings
        if summary.characters == 0:
            for language in languages:
                artifacts.append(
                    _skipped(ArtifactKind.TRANSLATION, language, "no text to translate")
                )
                artifacts.append(_skipped(ArtifactKind.AUDIO, language, "no text to narrate"))
    for outcome in state.outputs or []:
        language = outcome.language
        failure = outcome.error.failure(outcome.stage or Stage.TRANSLATE) if outcome.error else None
        if outcome.translation is not None:
            artifacts.append(outcome.translation.artifact)
        elif failure is not None:
            artifacts.append(_failed(ArtifactKind.TRANSLATION, failure, language))
        if outcome.narration is not None:
            artifacts.append(outcome.narration.artifact)
        elif failure is not None and outcome.stage is Stage.SPEAK:
            artifacts.append(_failed(ArtifactKind.AUDIO, failure, language))
        elif failure is not None:
            artifacts.append(_skipped(ArtifactKind.AUDIO, language, "the translation failed"))
    return artifacts, warnings


def _status(artifacts: list[Artifact]) -> Status:
    if any(artifact.status is Status.FAILED for artifact in artifacts):
        return Status.PARTIAL
    return Status.SUCCEEDED


def _output(state: PipelineState, ctx: Context) -> S3Location:
    if state.document is not None:
        return state.document.output
    return layout.output_prefix(ctx.settings, state.source)


def _manifest(
    state: PipelineState,
    ctx: Context,
    status: Status,
    artifacts: list[Artifact],
    warnings: list[str],
    execution: str | None,
    started_at: datetime | None,
    failure: Failure | None = None,
) -> Manifest:
    document = state.document
    output = _output(state, ctx)
    language = state.analysis.text.language if state.analysis else None
    return Manifest(
        document_id=document.id if document else layout.document_id(state.source),
        name=state.source.key,
        source=document.source if document else state.source,
        output=f"s3://{output.bucket}/{output.key}/",
        status=status,
        kind=document.kind if document else None,
        sha256=document.sha256 if document else None,
        size=document.size if document else state.source.size,
        pages=document.pages if document else None,
        language=language or (document.language if document else None),
        languages=document.languages if document else list(state.options.languages or []),
        engines=ctx.settings.engines,
        artifacts=artifacts,
        failure=failure,
        warnings=list(dict.fromkeys(warnings)),
        reused_from=document.reused_from if document else None,
        execution=execution,
        started_at=started_at,
        finished_at=datetime.now(UTC),
    )


def _publish(manifest: Manifest, output: S3Location, ctx: Context) -> Outcome:
    location = output.child(layout.MANIFEST)
    # Written last: a manifest is the promise that everything it lists is in place.
    ctx.storage.write_model(location, manifest)
    published = publish(DocumentEvent.of(manifest, location.uri), ctx.settings.event_bus)
    logger.info(
        "%s: %s (%d artifacts)", manifest.name, manifest.status.value, len(manifest.artifacts)
    )
    return Outcome(status=manifest.status, manifest=location.uri, event_published=published)


def finalize(request: FinalizeRequest, ctx: Context | None = None) -> Outcome:
    ctx = ctx or Context.current(request.state.source.key)
    artifacts, warnings = collect_artifacts(request.state)
    manifest = _manifest(
        request.state,
        ctx,
        _status(artifacts),
        artifacts,
        warnings,
        request.execution,
        request.started_at,
    )
    return _publish(manifest, _output(request.state, ctx), ctx)


_KINDS_BY_PATH: tuple[tuple[str, ArtifactKind], ...] = (
    (layout.TEXT, ArtifactKind.TEXT),
    (layout.PLAIN_TEXT, ArtifactKind.PLAIN_TEXT),
    (layout.TAGS, ArtifactKind.TAGS),
    (layout.SUMMARY, ArtifactKind.SUMMARY),
    ("images/", ArtifactKind.IMAGE),
    ("translations/", ArtifactKind.TRANSLATION),
    ("audio/", ArtifactKind.AUDIO),
)


def artifacts_in_bucket(
    storage: Storage, output: S3Location, since: datetime | None
) -> list[Artifact]:
    """What this execution already wrote under ``output`` (older files from an earlier version of
    the same key are left out)."""
    found: list[Artifact] = []
    folder = output.key.rstrip("/") + "/"
    for stored in storage.list(output):
        relative = stored.key[len(folder) :]
        if since is not None and stored.last_modified is not None and stored.last_modified < since:
            continue
        for prefix, kind in _KINDS_BY_PATH:
            if relative == prefix or (prefix.endswith("/") and relative.startswith(prefix)):
                language = None
                if kind in (ArtifactKind.TRANSLATION, ArtifactKind.AUDIO):
                    language = relative.split("/", 1)[1].rsplit(".", 1)[0]
                found.append(
                    Artifact(kind=kind, path=relative, language=language, size=stored.size)
                )
                break
    return found


def record_failure(request: RecordFailureRequest, ctx: Context | None = None) -> Outcome:
    state = request.state
    ctx = ctx or Context.current(state.source.key)
    stage_failure = state.failure or StageFailure(
        stage=Stage.FINALIZE, error=StageError(Error="Unknown", Cause="no failure was recorded")
    )
    failure = stage_failure.error.failure(stage_failure.stage)
    artifacts = artifacts_in_bucket(ctx.storage, _output(state, ctx), request.started_at)
    warnings = list(state.document.warnings) if state.document else []
    manifest = _manifest(
        state,
        ctx,
        Status.FAILED,
        artifacts,
        warnings,
        request.execution,
        request.started_at,
        failure,
    )
    logger.warning("%s failed in %s: %s", state.source.key, failure.stage.value, failure.reason)
    return _publish(manifest, _output(state, ctx), ctx)


def handle(request: FinalizeAction, ctx: Context | None = None) -> Outcome:
    if isinstance(request, RecordFailureRequest):
        return record_failure(request, ctx)
    return finalize(request, ctx)
