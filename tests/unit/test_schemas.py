"""The JSON Schemas in schemas/ are what the models say today."""

from __future__ import annotations

from pathlib import Path

import pytest

from scriba.schemas import PUBLISHED, render

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_exported_schema_is_current(name: str) -> None:
    path = ROOT / "schemas" / f"{name}.schema.json"
    assert path.is_file(), f"{path} missing: run python -m scriba.schemas schemas"
    assert path.read_text(encoding="utf-8") == render(name, PUBLISHED[name]), (
        f"{path.name} is out of date: run python -m scriba.schemas schemas"
    )


def test_no_stale_schema_files() -> None:
    exported = {path.name for path in (ROOT / "schemas").glob("*.schema.json")}
    assert exported == {f"{name}.schema.json" for name in PUBLISHED}
