"""Each function's peak memory and longest call on long documents, against its ``MemorySize`` and
``Timeout`` in template.yaml, and projected to the page limit (3,000 pages).

``scriba run --limits --json`` runs each function in worker processes of its own, as Lambda gives
each function its own sandboxes, and reports every function's peak resident memory (the worker's
VmHWM, reset before each call) and longest call (scriba.local.limits). The documents are the
book's pages over and over (117, 351 and 1,053 pages: the book once, three and nine times); the
slope between the two longest is extended to 3,000 pages. The issue's goal: no function needs
more than half its memory.

Local engines are not AWS's: Extract reads with Tesseract here and Textract on AWS, Summarize
ranks sentences here and calls Bedrock there. The text-layer path (pdfium), assembling pages,
and reading text.json are the same code on both, and that is what grows with the pages.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

from bench.memory import MAX_PAGES, book_prefix, scriba_command
from bench.results import BenchResult, Goal, Table, Verdict, number, run_alone
from scriba.local.limits import COMFORTABLE_SHARE, LimitsReport

PAGES = (117, 351, 1053)


def limits_of_run(document: Path, out: Path) -> LimitsReport:
    command = [*scriba_command(), "run", str(document), "--out", str(out)]
    command += ["--languages", "es", "--limits", "--json"]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode not in (0, 1):  # 1: a document failed or was partial
        raise RuntimeError(f"scriba run failed: {completed.stderr[-2000:]}")
    for line in completed.stdout.splitlines():
        event = json.loads(line)
        if event.get("event") == "limits":
            del event["event"]
            return LimitsReport.model_validate(event)
    raise RuntimeError("scriba run printed no limits event")


def measure() -> BenchResult:
    reports: dict[int, LimitsReport] = {}
    with tempfile.TemporaryDirectory(prefix="scriba-bench-") as temporary:
        folder = Path(temporary)
        for pages in PAGES:
            reports[pages] = limits_of_run(book_prefix(pages, folder), folder / f"out-{pages}")
    headers = ["function", "MemorySize, MB"]
    headers += [f"peak at {pages} pages, MB" for pages in PAGES]
    headers += ["MB per page", f"projected to {MAX_PAGES:,} pages, MB", "share", "longest call, s"]
    table = Table(headers)
    result = BenchResult(
        key="function_limits",
        title="Each function's memory on long documents, against its MemorySize",
        table=table,
    )
    names = sorted({use.function for report in reports.values() for use in report.functions})
    middle, longest = PAGES[-2], PAGES[-1]
    for name in names:
        uses = {
            pages: next((u for u in report.functions if u.function == name), None)
            for pages, report in reports.items()
        }
        last = uses[longest]
        if last is None or last.peak_mb is None:
            continue
        before = uses[middle]
        low = before.peak_mb if before is not None and before.peak_mb is not None else last.peak_mb
        slope = max((last.peak_mb - low) / (longest - middle), 0.0)
        projected = last.peak_mb + slope * (MAX_PAGES - longest)
        share = projected / last.memory_mb
        peaks = [
            number(use.peak_mb) if use is not None and use.peak_mb is not None else "–"
            for use in uses.values()
        ]
        longest_call = max(use.longest_seconds for use in uses.values() if use is not None)
        table.add(
            name,
            f"{last.memory_mb:,}",
            *peaks,
            f"{slope:.3f}",
            number(projected),
            f"{share:.0%}",
            f"{longest_call:.1f} of {last.timeout_seconds}",
        )
        result.goals.append(
            Goal(
                f"{name} at {MAX_PAGES:,} pages (projected)",
                f"{number(projected)} MB, {share:.0%} of {last.memory_mb:,} MB",
                f"≤ {COMFORTABLE_SHARE:.0%} of its MemorySize",
                Verdict.MET if share <= COMFORTABLE_SHARE else Verdict.MISSED,
            )
        )
    largest = max(
        (s for report in reports.values() for s in report.states), key=lambda s: s.largest_bytes
    )
    result.goals.append(
        Goal.at_most(
            f"largest state payload at {longest:,} pages",
            largest.largest_bytes / 1024,
            128,
            f"{largest.largest_bytes / 1024:,.1f} KiB ({largest.state}, {largest.what})",
            "≤ 128 KiB (half of Step Functions' 256 KiB)",
        )
    )
    result.notes += [
        "`scriba run --languages es --limits --json` on the book's pages repeated; one run each. "
        "Each function in worker processes of its own; peak resident memory of the worker during "
        "the function's heaviest call, which includes what the worker loaded before (engines, "
        "earlier calls' heap): an upper bound of what the call needs.",
        f"The projection extends the slope between {middle:,} and {longest:,} pages to "
        f"{MAX_PAGES:,} pages, the stack's MaxPages.",
        "Extract runs inspect, OCR batches and assemble; Summarize reads text.json a page at a "
        "time (without its words).",
    ]
    return result


if __name__ == "__main__":
    run_alone(measure)
