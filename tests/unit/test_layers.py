"""Imports run down the layers only: what a newcomer reads in docs/architecture.md stays true.

Every import is read from the source (those inside functions too: the lazy ones are imports as
well), and checked against the packages each layer may not reach.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "scriba"

# (modules of a layer, what they must never import)
RULES: list[tuple[str, tuple[str, ...], str]] = [
    (
        "scriba.models",
        ("scriba.stages", "scriba.engines", "scriba.aws", "scriba.local", "scriba.cost"),
        "models describe files; they know nothing of who writes them",
    ),
    (
        "scriba.media",
        ("scriba.stages", "scriba.engines", "scriba.aws", "scriba.local", "scriba.workflow"),
        "media routines are pure: bytes, pixels and text in, values out",
    ),
    (
        "scriba.stages",
        ("scriba.engines.aws", "scriba.engines.local", "scriba.local"),
        "a stage knows its engines through the ports only",
    ),
    (
        "scriba.cost",
        ("scriba.engines", "scriba.stages", "scriba.aws", "scriba.local"),
        "metering reads what the engines reported, never an adapter",
    ),
    (
        "scriba.engines.aws",
        ("scriba.engines.local", "scriba.stages", "scriba.local"),
        "an adapter knows its service, not the other adapters or the stages",
    ),
    (
        "scriba.engines.local",
        ("scriba.engines.aws", "scriba.stages", "scriba.local"),
        "an adapter knows its engine, not the other adapters or the stages",
    ),
    (
        "scriba.aws",
        ("scriba.stages", "scriba.engines", "scriba.local"),
        "the AWS plumbing serves the stages, not the other way round",
    ),
]


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function, absolute names."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert not node.level, f"{path}: relative import (the project imports absolutely)"
            base = node.module or ""
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


@pytest.mark.parametrize(("layer", "forbidden", "why"), RULES, ids=[rule[0] for rule in RULES])
def test_no_import_runs_back_up(layer: str, forbidden: tuple[str, ...], why: str) -> None:
    checked = [name for name in MODULES if within(name, layer)]
    assert checked, layer
    problems = [
        f"{name} imports {target}"
        for name in checked
        for target in sorted(imported(MODULES[name]))
        if any(within(target, package) for package in forbidden)
    ]
    assert problems == [], why


def test_the_finder_sees_lazy_imports() -> None:
    # The AWS backend's constructors import their adapters inside functions: found all the same.
    assert "scriba.engines.aws.textract" in imported(MODULES["scriba.engines"])
