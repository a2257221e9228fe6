"""Service quotas (``quotas.json``, each with its source) and the list prices they are costed with.

Prices are the cost ledger's own (``src/scriba/cost/prices/aws.json``, each service with its
pricing page), so the simulation and the per-document manifests price alike.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import scriba

QUOTAS_FILE = Path(__file__).with_name("quotas.json")
REGION = "us-east-1"


def _prices_path() -> Path:
    return Path(scriba.__file__).parent / "cost" / "prices" / "aws.json"


@dataclass(frozen=True)
class Quota:
    key: str
    value: float
    burst: float | None
    unit: str
    source: str | None
    note: str

    @property
    def confirmed(self) -> bool:
        return self.source is not None


def load_quotas(
    overrides: Mapping[str, float] | None = None, region: str = REGION, path: Path = QUOTAS_FILE
) -> dict[str, Quota]:
    """Every quota of ``path`` for ``region`` (its own figure where the file has one per Region,
    else the default), with ``overrides`` (key to value) applied."""
    data = json.loads(path.read_text(encoding="utf-8"))
    quotas = {}
    for key, entry in data["quotas"].items():
        regions = entry.get("regions", {})
        value = float(regions.get(region, regions.get("other", entry["value"])))
        if region == data["region"]:
            value = float(entry["value"])
        quotas[key] = Quota(
            key=key,
            value=value,
            burst=float(entry["burst"]) if "burst" in entry else None,
            unit=str(entry["unit"]),
            source=entry.get("source"),
            note=str(entry.get("note", "")),
        )
    for key, value in (overrides or {}).items():
        if key not in quotas:
            raise KeyError(f"no quota {key!r} in {path.name}: one of {', '.join(sorted(quotas))}")
        old = quotas[key]
        burst = old.burst * value / old.value if old.burst and old.value else old.burst
        quotas[key] = Quota(key, float(value), burst, old.unit, old.source, "overridden")
    return quotas


@dataclass(frozen=True)
class Prices:
    """USD per unit, us-east-1 list prices (first tier), from the cost ledger's price file."""

    textract_page: float
    rekognition_image: float
    bedrock_input_1k: float
    bedrock_output_1k: float
    translate_char: float
    polly_neural_char: float
    comprehend_unit: float
    transition: float
    lambda_gb_second: float
    lambda_request: float
    sources: dict[str, str]
    version: str


def load_prices(model_id: str, region: str = REGION) -> Prices:
    data: dict[str, Any] = json.loads(_prices_path().read_text(encoding="utf-8"))
    table = data["regions"][region]
    return Prices(
        textract_page=table["textract"]["DetectDocumentText page"]["usd"],
        rekognition_image=table["rekognition"]["DetectLabels image"]["usd"],
        bedrock_input_1k=table["bedrock"][f"{model_id} input"]["usd"],
        bedrock_output_1k=table["bedrock"][f"{model_id} output"]["usd"],
        translate_char=table["translate"]["TranslateText character"]["usd"],
        polly_neural_char=table["polly"]["neural character"]["usd"],
        comprehend_unit=table["comprehend"]["DetectDominantLanguage unit"]["usd"],
        transition=table["stepfunctions"]["Standard state transition"]["usd"],
        lambda_gb_second=table["lambda"]["x86 GB-second"]["usd"],
        lambda_request=table["lambda"]["request"]["usd"],
        sources=dict(data["sources"]),
        version=str(data["version"]),
    )
