"""Runs every benchmark and (re)writes ``docs/performance.md``.

    .venv/bin/python -m bench                      # all of them
    .venv/bin/python -m bench ocr_throughput memory  # some: the others' sections are kept

Each benchmark runs in a process of its own (what one loads or leaves behind cannot slow
another) and prints its tables as it finishes. Each result is stored as JSON in
``docs/performance/<name>.json``; the page is rebuilt from every stored result, so a partial run
replaces only its own sections (a benchmark without a stored result keeps its section as the page
has it). A benchmark that fails is reported as such, and its stored result is left alone.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.results import (
    RESULT_FILE_VARIABLE,
    ROOT,
    BenchResult,
    Goal,
    Table,
    Verdict,
    from_json,
    machine_facts,
    to_json,
)

BENCHMARKS = (
    "text_extraction",
    "ocr_throughput",
    "ocr_quality",
    "pipeline_overhead",
    "cold_start",
    "package_size",
    "transitions",
    "summaries",
    "memory",
    "function_limits",
    "long_documents",
    "scale",
    "scale_validation",
    "serve_burst",
)
# The module of each benchmark: only these names ever reach a command line.
MODULES = {name: f"bench.{name}" for name in BENCHMARKS}
PAGE = ROOT / "docs" / "performance.md"
COMMAND = ".venv/bin/python -m bench"


@dataclass(frozen=True)
class Kept:
    """A benchmark's section as the page had it (no stored result yet): its text and its rows
    of the summary table."""

    title: str
    text: str
    rows: list[list[str]]


def kept_sections(text: str) -> dict[str, Kept]:
    """The sections of an existing page, by benchmark name (the ``bench.<name>`` command each
    section starts with), with their rows of the summary table."""
    parts = re.split(r"^(?=## )", text, flags=re.MULTILINE)
    summary = next((part for part in parts if part.startswith("## Summary")), "")
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in summary.splitlines()[4:]
        if line.startswith("|")
    ]
    found = {}
    for part in parts:
        command = re.search(r"`\.venv/bin/python -m bench\.(\w+)`", part)
        if not part.startswith("## ") or command is None:
            continue
        title = part.splitlines()[0].removeprefix("## ").strip()
        found[command.group(1)] = Kept(
            title, part.rstrip("\n"), [row for row in rows if row and row[0] == title]
        )
    return found


def gathered(page_text: str, store: Path) -> list[BenchResult | Kept]:
    """Every benchmark's latest result, in BENCHMARKS order: stored, else kept from the page."""
    kept = kept_sections(page_text)
    sections: list[BenchResult | Kept] = []
    for name in BENCHMARKS:
        stored = store / f"{name}.json"
        if stored.is_file():
            sections.append(from_json(stored.read_text(encoding="utf-8")))
        elif name in kept:
            sections.append(kept[name])
    return sections


def run_benchmark(name: str) -> BenchResult:
    """One benchmark in a new interpreter; its result, or a failed row with the error's tail."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="scriba-bench-") as folder:
        target = Path(folder) / "result.json"
        completed = subprocess.run(
            [sys.executable, "-m", MODULES[name]],
            cwd=ROOT,
            env={**os.environ, RESULT_FILE_VARIABLE: str(target)},
            stdout=sys.stdout,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
        if completed.returncode == 0 and target.is_file():
            return from_json(target.read_text(encoding="utf-8"))
    error = (completed.stderr or "").strip().splitlines()[-15:]
    print(f"bench.{name} failed:\n" + "\n".join(error), file=sys.stderr, flush=True)
    table = Table(["error"])
    table.add("<br>".join(line.replace("|", "\\|") for line in error) or "no output")
    return BenchResult(
        key=name,
        title=f"{name} (failed)",
        table=table,
        goals=[Goal(name, "error", "–", Verdict.SKIPPED)],
        notes=[f"exit status {completed.returncode}"],
        seconds=time.perf_counter() - started,
    )


def page(
    results: list[BenchResult | Kept], facts: dict[str, str], seconds: float, command: str
) -> str:
    summary = Table(["benchmark", "check", "figure", "goal", "result"])
    verdicts: list[str] = []
    for result in results:
        if isinstance(result, Kept):
            summary.rows.extend(result.rows)
            verdicts += [row[-1] for row in result.rows]
            continue
        for goal in result.goals:
            summary.add(result.title, goal.what, goal.figure, goal.goal, goal.verdict.value)
            verdicts.append(goal.verdict.value)
    machine = Table(["", ""])
    for key, value in facts.items():
        machine.add(key, value)
    met = verdicts.count(Verdict.MET.value)
    missed = verdicts.count(Verdict.MISSED.value)
    parts = [
        "# Performance",
        "",
        "Written by the benchmarks in `bench/`; do not edit by hand. To measure again (about "
        "10 minutes on 2 cores):",
        "",
        "```sh",
        command,
        "```",
        "",
        "Every ratio is against a baseline measured in the same run, on the same machine; "
        "figures are medians of repeated runs with the range (lowest–highest) in brackets. "
        "Each benchmark also runs alone: `.venv/bin/python -m bench.<name>`.",
        "",
        "## The machine",
        "",
        machine.markdown(),
        "",
        f"Last run (`{command}`, the machine above): {seconds / 60:.1f} minutes. Sections of "
        "benchmarks it did not run are kept from earlier runs. Goals met: "
        f"{met}; missed: {missed}.",
        "",
        "## Summary",
        "",
        summary.markdown(),
    ]
    for result in results:
        parts += ["", result.text if isinstance(result, Kept) else result.markdown(level=2)]
    return "\n".join(parts) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", choices=[*BENCHMARKS, []], metavar="NAME")
    parser.add_argument("--page", type=Path, default=PAGE, help="where to write the results")
    arguments = parser.parse_args()
    names = arguments.names or list(BENCHMARKS)
    facts = machine_facts()
    started = time.perf_counter()
    store = arguments.page.parent / arguments.page.stem
    store.mkdir(parents=True, exist_ok=True)
    failed: dict[str, BenchResult] = {}
    for name in names:
        print(f"\n== bench.{name}", flush=True)
        result = run_benchmark(name)
        if result.title.endswith("(failed)"):
            failed[name] = result
        else:
            (store / f"{name}.json").write_text(to_json(result) + "\n", encoding="utf-8")
    seconds = time.perf_counter() - started
    command = COMMAND + "".join(f" {name}" for name in arguments.names)
    previous = arguments.page.read_text(encoding="utf-8") if arguments.page.is_file() else ""
    sections = gathered(previous, store)
    # A benchmark that failed in this run is shown as failed (its stored result stays on disk).
    sections = [
        failed.get(section.key, section) if isinstance(section, BenchResult) else section
        for section in sections
    ]
    known = {section.key for section in sections if isinstance(section, BenchResult)}
    sections += [result for name, result in failed.items() if name not in known]
    arguments.page.write_text(page(sections, facts, seconds, command), encoding="utf-8")
    print(f"\nwrote {arguments.page} ({seconds / 60:.1f} minutes)", flush=True)


if __name__ == "__main__":
    main()
