"""JSON Schemas of every file scriba writes for consumers, exported into ``schemas/``.

``python -m scriba.schemas`` rewrites them; a test fails when they drift from the models.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from scriba.models.event import DocumentEvent
from scriba.models.manifest import Manifest
from scriba.models.summary import Summary
from scriba.models.tables import DocumentTables
from scriba.models.tags import Tags
from scriba.models.text import DocumentText
from scriba.models.translation import Translation

PUBLISHED: dict[str, type[BaseModel]] = {
    "manifest": Manifest,
    "text": DocumentText,
    "tables": DocumentTables,
    "tags": Tags,
    "summary": Summary,
    "translation": Translation,
    "document-event": DocumentEvent,
}

BASE_URI = "https://github.com/scriba-pipeline/scriba/blob/main/schemas/"


def schema_of(name: str, model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{BASE_URI}{name}.schema.json",
        **schema,
    }


def render(name: str, model: type[BaseModel]) -> str:
    return json.dumps(schema_of(name, model), indent=2, sort_keys=False) + "\n"


def export(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, model in PUBLISHED.items():
        path = folder / f"{name}.schema.json"
        path.write_text(render(name, model), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("schemas")
    for path in export(target):
        print(path)
