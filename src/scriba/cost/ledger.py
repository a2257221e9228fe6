"""The cost ledger: the billable units a document used, priced from a dated price table.

Units come from what the stages report (OCR pages, pictures, tokens, characters) and from the
execution history (state transitions, Lambda GB-seconds). A document run on the local engines is
priced as if it had run on AWS with the same settings: the ledger then says ``estimated``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any

from scriba.models.manifest import Cost, CostLine, Stage

FALLBACK_REGION = "us-east-1"


@dataclass(frozen=True)
class Metered:
    """A quantity of one billable item, in the price table's unit."""

    stage: Stage
    service: str
    item: str
    quantity: float


@dataclass(frozen=True)
class Price:
    unit: str
    usd: float


class PriceTable:
    """``src/scriba/prices/aws.json``: on-demand prices per region, versioned by date."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.version = str(data["version"])
        self._regions: dict[str, Any] = dict(data["regions"])

    @classmethod
    @lru_cache(maxsize=1)
    def bundled(cls) -> PriceTable:
        text = resources.files("scriba.prices").joinpath("aws.json").read_text(encoding="utf-8")
        return cls(json.loads(text))

    def region(self, wanted: str) -> str:
        """The region priced: ``wanted`` when the table has it, else the fallback."""
        return wanted if wanted in self._regions else FALLBACK_REGION

    def price(self, region: str, service: str, item: str) -> Price | None:
        entry = self._regions[self.region(region)].get(service, {}).get(item)
        return Price(unit=str(entry["unit"]), usd=float(entry["usd"])) if entry else None


def _line(metered: Metered, table: PriceTable, region: str) -> CostLine | None:
    price = table.price(region, metered.service, metered.item)
    if price is None:
        return None
    return CostLine(
        stage=metered.stage,
        service=metered.service,
        item=metered.item,
        quantity=round(metered.quantity, 6),
        unit=price.unit,
        unit_price_usd=price.usd,
        usd=round(metered.quantity * price.usd, 8),
    )


def ledger(
    usage: Iterable[Metered],
    savings: Iterable[Metered],
    *,
    region: str,
    estimated: bool,
    table: PriceTable | None = None,
) -> Cost:
    """Prices the metered items. Items the table does not price are left out (and counted)."""
    table = table or PriceTable.bundled()
    lines = [line for line in (_line(m, table, region) for m in usage) if line and line.quantity]
    saved = [line for line in (_line(m, table, region) for m in savings) if line and line.quantity]
    return Cost(
        region=table.region(region),
        prices=table.version,
        estimated=estimated,
        lines=lines,
        savings=saved,
        total_usd=round(sum(line.usd for line in lines), 8),
    )


# -- units ---------------------------------------------------------------------------------


def textract_item(features: Sequence[str]) -> str:
    """The Textract price item for the configured features."""
    chosen = sorted({feature.upper() for feature in features} & {"TABLES", "FORMS"})
    if not chosen:
        return "DetectDocumentText page"
    return f"AnalyzeDocument {'+'.join(chosen)} page"


def comprehend_units(characters: int) -> int:
    """Comprehend bills units of 100 characters, at least 3 per request."""
    return max(3, math.ceil(characters / 100)) if characters else 0


def polly_item(engine: str) -> str:
    return "neural character" if "neural" in engine or engine == "piper" else "standard character"


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


@dataclass
class RunCost:
    """The cost of a run (a folder of results), by document, stage and service."""

    documents: list[tuple[str, float, bool]]  # name, USD, estimated
    by_stage: dict[str, float]
    by_service: dict[str, float]
    savings_usd: float
    total_usd: float
    unpriced: list[str]  # documents without a ledger


def run_cost(manifests: Iterable[tuple[str, Cost | None]]) -> RunCost:
    documents: list[tuple[str, float, bool]] = []
    by_stage: dict[str, float] = {}
    by_service: dict[str, float] = {}
    unpriced: list[str] = []
    savings = 0.0
    for name, cost in manifests:
        if cost is None:
            unpriced.append(name)
            continue
        documents.append((name, cost.total_usd, cost.estimated))
        for line in cost.lines:
            by_stage[line.stage.value] = by_stage.get(line.stage.value, 0.0) + line.usd
            by_service[line.service] = by_service.get(line.service, 0.0) + line.usd
        savings += sum(line.usd for line in cost.savings)
    return RunCost(
        documents=documents,
        by_stage=by_stage,
        by_service=by_service,
        savings_usd=savings,
        total_usd=sum(usd for _, usd, _ in documents),
        unpriced=unpriced,
    )
