"""Finalize: write the manifest (last, so a manifest means the results are complete) and tell
downstream consumers; or record a failure, keeping whatever partial results were made.

What the manifest says is worked out by pure functions (``record``) and what it costs by
``scriba.cost``; this module reads and writes: the bucket, the execution history, the bus.
Nothing here may lose the record: a cost that cannot be worked out (an unreadable or throttled
history) is a warning in the manifest, never a failed finalize.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from scriba import layout
from scriba.aws.events import publish
from scriba.aws.executions import execution_history
from scriba.context import Context
from scriba.cost.ledger import Metered, ledger
from scriba.cost.metering import document_usage, execution_metered, execution_usage, reuse_savings
from scriba.errors import ScribaError
from scriba.models.base import Model
from scriba.models.document import S3Location
from scriba.models.event import DocumentEvent
from scriba.models.manifest import Cost, Manifest, Stage, Status
from scriba.stages import reuse
from scriba.stages.finalize.record import (
    artifacts_listed,
    collect_artifacts,
    manifest_of,
    output_of,
    status_of,
)
from scriba.workflow import PipelineState, StageError, StageFailure, StageRequest

logger = logging.getLogger(__name__)


class _StateRequest(StageRequest):
    """Finalize and the failure record are sent the whole execution state."""

    state: PipelineState
    started_at: datetime | None = None

    def subject(self) -> tuple[str, str]:
        document = self.state.document
        if document is not None:
            return document.id, document.name
        return layout.document_id(self.state.source), self.state.source.key


class FinalizeRequest(_StateRequest):
    action: Literal["finalize"]


class RecordFailureRequest(_StateRequest):
    action: Literal["fail"]


FinalizeAction = Annotated[FinalizeRequest | RecordFailureRequest, Field(discriminator="action")]


class Outcome(Model):
    status: Status
    manifest: str
    event_published: bool
    cost_usd: float | None = None
    pages: int | None = None


def _publish(manifest: Manifest, output: S3Location, ctx: Context[Any]) -> Outcome:
    location = output.child(layout.MANIFEST)
    # Written last: a manifest is the promise that everything it lists is in place.
    ctx.storage.write_model(location, manifest)
    published = publish(
        ctx.clients.events, DocumentEvent.of(manifest, location.uri), ctx.settings.event_bus
    )
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


def _output(state: PipelineState, ctx: Context[Any]) -> S3Location:
    return output_of(state, layout.output_prefix(ctx.settings, state.source))


def _execution_metered(execution: str | None, ctx: Context[Any]) -> tuple[list[Metered], str]:
    """State transitions and Lambda time from the history; a warning instead when it cannot be
    read (throttled, missing, refused): the record matters more than its price."""
    if not execution:
        return [], ""
    try:
        history = execution_history(ctx.clients.stepfunctions, execution)
    except ScribaError as error:
        return [], f"state transitions and Lambda time not priced: {error}"
    usage = execution_usage(history, ctx.settings.function_memory_mb)
    return execution_metered(usage), ""


def _cost(
    state: PipelineState, ctx: Context[Any], execution: str | None, reused: Manifest | None = None
) -> tuple[Cost, list[str]]:
    """The document's ledger, and the warnings of what could not be priced."""
    usage, savings = document_usage(state)
    if reused is not None and reused.cost is not None:
        savings = reuse_savings(reused.cost)
    from_history, warning = _execution_metered(execution, ctx)
    cost = ledger(
        usage + from_history,
        savings,
        region=ctx.settings.price_region,
        estimated=ctx.settings.engines != "aws",
    )
    return cost, [warning] if warning else []


def finalize(request: FinalizeRequest, ctx: Context[Any]) -> Outcome:
    """The manifest of a document the workflow got through, and its "Document Processed"."""
    state = request.state
    document = state.document
    reused: Manifest | None = None
    if document is not None and document.reused_from is not None:
        reused, artifacts, warnings = reuse.reused_artifacts(ctx, document)
    else:
        artifacts, warnings = collect_artifacts(state)
    cost, cost_warnings = _cost(state, ctx, request.execution, reused)
    output = _output(state, ctx)
    manifest = manifest_of(
        state,
        output=output,
        engines=ctx.settings.engines,
        status=status_of(artifacts),
        artifacts=artifacts,
        warnings=warnings + cost_warnings,
        execution=request.execution,
        started_at=request.started_at,
    )
    manifest.cost = cost
    outcome = _publish(manifest, output, ctx)
    if document is not None and manifest.status is Status.SUCCEEDED and reused is None:
        reuse.remember(ctx, document)
    return outcome


def record_failure(request: RecordFailureRequest, ctx: Context[Any]) -> Outcome:
    """The failure record: stage, reason and message, the partial results this execution made,
    and a "Document Failed" event."""
    state = request.state
    stage_failure = state.failure or StageFailure(
        stage=Stage.FINALIZE, error=StageError(Error="Unknown", Cause="no failure was recorded")
    )
    failure = stage_failure.error.failure(stage_failure.stage)
    output = _output(state, ctx)
    artifacts = artifacts_listed(ctx.storage.list(output), output, request.started_at)
    cost, cost_warnings = _cost(state, ctx, request.execution)
    manifest = manifest_of(
        state,
        output=output,
        engines=ctx.settings.engines,
        status=Status.FAILED,
        artifacts=artifacts,
        warnings=[*(state.document.warnings if state.document else []), *cost_warnings],
        execution=request.execution,
        started_at=request.started_at,
        failure=failure,
    )
    manifest.cost = cost
    logger.warning("%s failed in %s: %s", state.source.key, failure.stage.value, failure.reason)
    return _publish(manifest, output, ctx)


def handle(request: FinalizeAction, ctx: Context[Any]) -> Outcome:
    if isinstance(request, RecordFailureRequest):
        return record_failure(request, ctx)
    return finalize(request, ctx)
