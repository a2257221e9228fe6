"""Prices: the dated price table, the ledger of one document, and the sum of a run."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
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
    """``src/scriba/cost/prices/aws.json``: on-demand prices per region, versioned by date."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.version = str(data["version"])
        self._regions: dict[str, Any] = dict(data["regions"])

    @classmethod
    @lru_cache(maxsize=1)
    def bundled(cls) -> PriceTable:
        prices = resources.files("scriba.cost").joinpath("prices", "aws.json")
        text = prices.read_text(encoding="utf-8")
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
