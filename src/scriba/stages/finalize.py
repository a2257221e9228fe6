"""Finalize: write the manifest (last, so a manifest means the results are complete) and tell
downstream consumers; or record a failure, keeping whatever partial results were made."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter

from scriba import layout
from scriba.aws.clients import client
from scriba.aws.events import publish
from scriba.aws.storage import Storage
from scriba.cost import (
    Metered,
    comprehend_units,
    execution_metered,
    execution_usage,
    ledger,
    polly_item,
    textract_item,
)
from scriba.errors import ScribaError
from scriba.models.base import Model
from scriba.models.document import S3Location
from scriba.models.event import DocumentEvent
from scriba.models.manifest import Artifact, ArtifactKind, Cost, Failure, Manifest, Stage, Status
from scriba.stages import Context, reuse
from scriba.workflow import (
    PipelineState,
    StageError,
    StageFailure,
    SummaryResult,
    TagResult,
)

logger = logging.getLogger(__name__)


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
    cost_usd: float | None = None
    pages: int | None = None


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
        reused_from=document.reused_from.uri if document and document.reused_from else None,
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
    return Outcome(
        status=manifest.status,
        manifest=location.uri,
        event_published=published,
        cost_usd=manifest.cost.total_usd if manifest.cost else None,
        pages=manifest.pages,
    )


def _polly_item(language: str | None, engine: str) -> str:
    """The Polly price item: the engine used on AWS, or the one AWS would use for a local run."""
    if engine.startswith("polly"):
        return polly_item(engine)
    from scriba.engines.aws.polly import DEFAULT_VOICES  # noqa: PLC0415

    voice = DEFAULT_VOICES.get((language or "").lower())
    return "neural character" if voice is None or voice.neural else "standard character"


def document_metered(state: PipelineState, ctx: Context) -> tuple[list[Metered], list[Metered]]:
    """Billable units the stages reported, and the OCR avoided thanks to text layers."""
    usage: list[Metered] = []
    savings: list[Metered] = []
    settings = ctx.settings
    if state.analysis is not None:
        text = state.analysis.text
        item = textract_item(settings.textract_features)
        usage.append(Metered(Stage.EXTRACT, "textract", item, text.ocr_pages))
        savings.append(Metered(Stage.EXTRACT, "textract", item, text.text_layer_pages))
        detected = min(text.characters, 5000)  # the Comprehend adapter sends at most 5,000 bytes
        usage.append(
            Metered(
                Stage.EXTRACT,
                "comprehend",
                "DetectDominantLanguage unit",
                comprehend_units(detected),
            )
        )
        if isinstance(state.analysis.tags, TagResult):
            usage.append(
                Metered(Stage.TAG, "rekognition", "DetectLabels image", state.analysis.tags.images)
            )
    summary = state.summary
    if isinstance(summary, SummaryResult) and summary.usage is not None:
        model = summary.model or settings.bedrock_model_id
        usage.append(
            Metered(Stage.SUMMARIZE, "bedrock", f"{model} input", summary.usage.input_tokens / 1000)
        )
        usage.append(
            Metered(
                Stage.SUMMARIZE, "bedrock", f"{model} output", summary.usage.output_tokens / 1000
            )
        )
    for outcome in state.outputs or []:
        if outcome.translation is not None:
            usage.append(
                Metered(
                    Stage.TRANSLATE,
                    "translate",
                    "TranslateText character",
                    outcome.translation.characters,
                )
            )
        if outcome.narration is not None:
            details = outcome.narration.artifact.details
            characters = float(str(details.get("characters", 0)))
            item = _polly_item(outcome.language, str(details.get("engine", "")))
            usage.append(Metered(Stage.SPEAK, "polly", item, characters))
    return usage, savings


def _history(execution: str | None) -> list[dict[str, Any]]:
    if not execution:
        return []
    events: list[dict[str, Any]] = []
    paginator = client("stepfunctions").get_paginator("get_execution_history")
    for page in paginator.paginate(executionArn=execution, includeExecutionData=False):
        events.extend(page["events"])
    return events


def _cost(
    state: PipelineState,
    ctx: Context,
    execution: str | None,
    reused: Manifest | None = None,
) -> tuple[Cost, list[str]]:
    """The document's ledger; metering trouble is a warning, never a failed document."""
    warnings: list[str] = []
    usage, savings = document_metered(state, ctx)
    if reused is not None and reused.cost is not None:
        # Nothing was redone: what the earlier run cost is what reuse saved.
        savings = [
            Metered(line.stage, line.service, line.item, line.quantity)
            for line in reused.cost.lines
        ]
    try:
        history = _history(execution)
    except ScribaError as error:
        history = []
        warnings.append(f"state transitions and Lambda time not priced: {error}")
    if history:
        usage += execution_metered(execution_usage(history, ctx.settings.function_memory_mb))
    cost = ledger(
        usage,
        savings,
        region=ctx.settings.price_region,
        estimated=ctx.settings.engines != "aws",
    )
    return cost, warnings


def finalize(request: FinalizeRequest, ctx: Context | None = None) -> Outcome:
    ctx = ctx or Context.current(request.state.source.key)
    document = request.state.document
    reused: Manifest | None = None
    if document is not None and document.reused_from is not None:
        reused, artifacts, warnings = reuse.reused_artifacts(ctx, document)
    else:
        artifacts, warnings = collect_artifacts(request.state)
    cost, cost_warnings = _cost(request.state, ctx, request.execution, reused)
    manifest = _manifest(
        request.state,
        ctx,
        _status(artifacts),
        artifacts,
        warnings,
        request.execution,
        request.started_at,
    )
    manifest.cost = cost
    manifest.warnings += cost_warnings
    outcome = _publish(manifest, _output(request.state, ctx), ctx)
    if (
        document is not None
        and manifest.status is Status.SUCCEEDED
        and document.reused_from is None
    ):
        reuse.remember(ctx, document)
    return outcome


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
    manifest.cost, cost_warnings = _cost(state, ctx, request.execution)
    manifest.warnings += cost_warnings
    logger.warning("%s failed in %s: %s", state.source.key, failure.stage.value, failure.reason)
    return _publish(manifest, _output(state, ctx), ctx)


def handle(request: FinalizeAction, ctx: Context | None = None) -> Outcome:
    if isinstance(request, RecordFailureRequest):
        return record_failure(request, ctx)
    return finalize(request, ctx)
