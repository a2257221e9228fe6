"""Runs every benchmark and (re)writes ``docs/performance.md``.

    .venv/bin/python -m bench                      # all of them
    .venv/bin/python -m bench ocr_throughput memory  # some (the page is still rewritten)

Each benchmark runs in a process of its own (what one loads or leaves behind cannot slow
another) and prints its tables as it finishes; the page gathers them with the machine's facts,
the date and the command. A benchmark that fails is reported as such and the others still run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
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
)
# The module of each benchmark: only these names ever reach a command line.
MODULES = {name: f"bench.{name}" for name in BENCHMARKS}
PAGE = ROOT / "docs" / "performance.md"
COMMAND = ".venv/bin/python -m bench"


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


def page(results: list[BenchResult], facts: dict[str, str], seconds: float, command: str) -> str:
    summary = Table(["benchmark", "check", "figure", "goal", "result"])
    for result in results:
        for goal in result.goals:
            summary.add(result.title, goal.what, goal.figure, goal.goal, goal.verdict.value)
    machine = Table(["", ""])
    for key, value in facts.items():
        machine.add(key, value)
    met = sum(goal.verdict is Verdict.MET for result in results for goal in result.goals)
    missed = sum(goal.verdict is Verdict.MISSED for result in results for goal in result.goals)
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
        f"Whole run: {seconds / 60:.1f} minutes. Goals met: {met}; missed: {missed}.",
        "",
        "## Summary",
        "",
        summary.markdown(),
    ]
    for result in results:
        parts += ["", result.markdown(level=2)]
    return "\n".join(parts) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", choices=[*BENCHMARKS, []], metavar="NAME")
    parser.add_argument("--page", type=Path, default=PAGE, help="where to write the results")
    arguments = parser.parse_args()
    names = arguments.names or list(BENCHMARKS)
    facts = machine_facts()
    started = time.perf_counter()
    results = []
    for name in names:
        print(f"\n== bench.{name}", flush=True)
        results.append(run_benchmark(name))
    seconds = time.perf_counter() - started
    command = COMMAND + "".join(f" {name}" for name in arguments.names)
    arguments.page.parent.mkdir(parents=True, exist_ok=True)
    arguments.page.write_text(page(results, facts, seconds, command), encoding="utf-8")
    print(f"\nwrote {arguments.page} ({seconds / 60:.1f} minutes)", flush=True)


if __name__ == "__main__":
    main()
