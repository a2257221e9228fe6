"""Metering: the billable units of one document, from what its stages reported and from its
execution history.

Pure functions. The stages' results carry what their engines reported (``scriba.cost.units``);
the history gives the state transitions (retries included) and the Lambda time. ``ledger`` in
``scriba.cost.ledger`` prices both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scriba.cost.ledger import Metered
from scriba.cost.units import Billed
from scriba.models.manifest import Cost, Stage
from scriba.workflow import PipelineState, SummaryResult, TagResult


def _metered(stage: Stage, billed: Iterable[Billed]) -> list[Metered]:
    """One line per item of one result (a narration made of several requests is one line)."""
    totals: dict[tuple[str, str], float] = {}
    for item in billed:
        key = (item.service, item.item)
        totals[key] = totals.get(key, 0.0) + item.quantity
    return [Metered(stage, service, item, quantity) for (service, item), quantity in totals.items()]


def document_usage(state: PipelineState) -> tuple[list[Metered], list[Metered]]:
    """What the stages' engines reported using, and the OCR the text layers saved."""
    usage: list[Metered] = []
    savings: list[Metered] = []
    if state.analysis is not None:
        usage += _metered(Stage.EXTRACT, state.analysis.text.billed)
        savings += _metered(Stage.EXTRACT, state.analysis.text.saved)
        if isinstance(state.analysis.tags, TagResult):
            usage += _metered(Stage.TAG, state.analysis.tags.billed)
    if isinstance(state.summary, SummaryResult):
        usage += _metered(Stage.SUMMARIZE, state.summary.billed)
    for outcome in state.outputs or []:
        if outcome.translation is not None:
            usage += _metered(Stage.TRANSLATE, outcome.translation.billed)
        if outcome.narration is not None:
            usage += _metered(Stage.SPEAK, outcome.narration.billed)
    return usage, savings


def reuse_savings(earlier: Cost) -> list[Metered]:
    """Nothing was redone: what the earlier run of the same content cost is what reuse saved."""
    return [Metered(line.stage, line.service, line.item, line.quantity) for line in earlier.lines]


@dataclass(frozen=True)
class ExecutionUsage:
    transitions: int
    gb_seconds_by_stage: dict[Stage, float]
    invocations_by_stage: dict[Stage, int]


_FUNCTION_STAGES = {
    "ExtractFunction": Stage.EXTRACT,
    "TagFunction": Stage.TAG,
    "SummarizeFunction": Stage.SUMMARIZE,
    "TranslateFunction": Stage.TRANSLATE,
    "SpeakFunction": Stage.SPEAK,
    "FinalizeFunction": Stage.FINALIZE,
}


def _stage_of(resource: str) -> Stage:
    name = resource.rsplit(":", 1)[-1]
    for suffix, stage in _FUNCTION_STAGES.items():
        if name.endswith(suffix) or suffix.lower().removesuffix("function") in name.lower():
            return stage
    return Stage.FINALIZE


def _memory_of(resource: str, memory_mb: Mapping[str, int]) -> int:
    name = resource.rsplit(":", 1)[-1]
    for key, value in memory_mb.items():
        if name.endswith(key) or key.lower() in name.lower():
            return value
    return 1024


def execution_usage(
    events: Sequence[Mapping[str, Any]],
    memory_mb: Mapping[str, int],
    remaining_transitions: int = 1,
) -> ExecutionUsage:
    """State transitions and Lambda time from an execution's history (so far).

    Step Functions bills a transition for every state entered, and again for every retry; the
    states still to come after the running one are ``remaining_transitions``.
    """
    by_id = {event["id"]: event for event in events}
    entered = sum(1 for event in events if str(event["type"]).endswith("StateEntered"))
    scheduled = sum(1 for event in events if event["type"] == "LambdaFunctionScheduled")
    task_states = sum(1 for event in events if event["type"] == "TaskStateEntered")
    retries = max(0, scheduled - task_states)
    gb_seconds: dict[Stage, float] = {}
    invocations: dict[Stage, int] = {}
    for event in events:
        if event["type"] not in (
            "LambdaFunctionSucceeded",
            "LambdaFunctionFailed",
            "LambdaFunctionTimedOut",
        ):
            continue
        started = by_id.get(event.get("previousEventId"))
        schedule = by_id.get(started.get("previousEventId")) if started else None
        if not started or not schedule or schedule["type"] != "LambdaFunctionScheduled":
            continue
        resource = str(schedule["lambdaFunctionScheduledEventDetails"]["resource"])
        seconds = _seconds(started["timestamp"], event["timestamp"])
        # Lambda bills by the millisecond, each invocation at least 1 ms.
        billed = max(seconds, 0.001)
        stage = _stage_of(resource)
        gb_seconds[stage] = (
            gb_seconds.get(stage, 0.0) + billed * _memory_of(resource, memory_mb) / 1024
        )
        invocations[stage] = invocations.get(stage, 0) + 1
    return ExecutionUsage(
        transitions=entered + retries + remaining_transitions,
        gb_seconds_by_stage=gb_seconds,
        invocations_by_stage=invocations,
    )


def _seconds(start: datetime | str, end: datetime | str) -> float:
    begin = start if isinstance(start, datetime) else datetime.fromisoformat(str(start))
    finish = end if isinstance(end, datetime) else datetime.fromisoformat(str(end))
    return max(0.0, (finish - begin).total_seconds())


def execution_metered(usage: ExecutionUsage) -> list[Metered]:
    metered = [
        Metered(Stage.FINALIZE, "stepfunctions", "Standard state transition", usage.transitions)
    ]
    for stage, seconds in sorted(usage.gb_seconds_by_stage.items()):
        metered.append(Metered(stage, "lambda", "x86 GB-second", seconds))
    for stage, count in sorted(usage.invocations_by_stage.items()):
        metered.append(Metered(stage, "lambda", "request", count))
    return metered
