"""Documents at the page limit through the whole local workflow, with AWS's limits enforced.

Two documents of 3,000 pages (the stack's MaxPages): a born-digital PDF (a corpus paper's four
pages over and over: its text layer is read, nothing is OCR'd) and a generated 3,000-frame TIFF
scan (every frame is OCR'd, in batches). Each goes through ``scriba run --limits --json``: the
real state machine in moto's interpreter with the 256 KiB state limit enforced (Map results
included) and each function in worker processes of its own. Reported: how the document ended,
the largest state payload, and each function's longest call and peak memory against its
template limits.

Takes about ten minutes on two cores; ``--pages N`` runs smaller documents.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from bench.memory import MAX_PAGES, book_prefix, scriba_command
from bench.results import BenchResult, Goal, Table, Verdict, number, run_alone
from scriba.local.limits import COMFORTABLE_SHARE, LimitsReport

PAPER = "pdflatex-4-pages.pdf"


def born_digital(pages: int, folder: Path) -> Path:
    return book_prefix(pages, folder, PAPER)


def scan(frames: int, folder: Path) -> Path:
    """A multi-frame TIFF, a short typed line on each frame (small frames: OCR stays quick)."""
    path = folder / f"scan-{frames}-frames.tiff"
    font = ImageFont.load_default(size=32)
    images = []
    for number_ in range(1, frames + 1):
        image = Image.new("L", (900, 120), 255)
        ImageDraw.Draw(image).text(
            (30, 40), f"Frame {number_} of the long scan is read.", fill=0, font=font
        )
        images.append(image)
    images[0].save(
        path, "TIFF", save_all=True, append_images=images[1:], compression="tiff_deflate"
    )
    return path


def run(document: Path, out: Path) -> tuple[str, float, LimitsReport]:
    command = [*scriba_command(), "run", str(document), "--out", str(out)]
    command += ["--languages", "es", "--limits", "--json"]
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    status, report = "unknown", None
    for line in completed.stdout.splitlines():
        event = json.loads(line)
        if event.get("event") == "document":
            status = str(event.get("status"))
            if event.get("failure"):
                status += f" ({event['failure'].get('reason')}: {event['failure'].get('message')})"
        elif event.get("event") == "limits":
            del event["event"]
            report = LimitsReport.model_validate(event)
    if report is None:
        raise RuntimeError(f"scriba run printed no limits: {completed.stderr[-2000:]}")
    return status, seconds, report


def measure(pages: int = MAX_PAGES) -> BenchResult:
    table = Table(["document", "ended", "wall time, s", "largest state", "heaviest functions"])
    result = BenchResult(
        key="long_documents",
        title=f"Documents of {pages:,} pages, AWS's limits enforced",
        table=table,
    )
    with tempfile.TemporaryDirectory(prefix="scriba-bench-") as temporary:
        folder = Path(temporary)
        cases = {
            f"born-digital PDF, {pages:,} pages": born_digital(pages, folder),
            f"TIFF scan, {pages:,} frames": scan(pages, folder),
        }
        for name, document in cases.items():
            status, seconds, report = run(document, folder / f"out-{document.stem}")
            largest = max(report.states, key=lambda s: s.largest_bytes)
            heavy = sorted(report.functions, key=lambda u: -(u.memory_share or 0.0))[:2]
            table.add(
                name,
                status,
                number(seconds),
                f"{largest.largest_bytes / 1024:,.1f} KiB ({largest.state}, {largest.what})",
                "; ".join(
                    f"{u.function} {number(u.peak_mb or 0)} of {u.memory_mb:,} MB, "
                    f"{u.longest_seconds:.1f} of {u.timeout_seconds} s"
                    for u in heavy
                ),
            )
            result.goals.append(
                Goal(
                    f"{name}: ends with a manifest, no limit crossed",
                    status + (f"; crossed: {report.exceeded}" if report.exceeded else ""),
                    "succeeded or partial, nothing crossed",
                    Verdict.MET
                    if not report.exceeded and status.split()[0] in ("succeeded", "partial")
                    else Verdict.MISSED,
                )
            )
            result.goals.append(
                Goal.at_most(
                    f"{name}: largest state",
                    largest.largest_bytes / 1024,
                    128,
                    f"{largest.largest_bytes / 1024:,.1f} KiB",
                    "≤ 128 KiB (half of 256 KiB)",
                )
            )
            uncomfortable = report.uncomfortable(COMFORTABLE_SHARE)
            result.goals.append(
                Goal(
                    f"{name}: every function within half its timeout and memory",
                    "; ".join(uncomfortable) or "all within half",
                    "≤ 50 %",
                    Verdict.MISSED if uncomfortable else Verdict.MET,
                )
            )
    result.notes += [
        "`scriba run --languages es --limits --json`, each function in worker processes of its "
        "own (peak memory: an upper bound, see bench.function_limits). The local run is not AWS: "
        "OCR is Tesseract here, Textract there; the state sizes and the text-layer, assembly "
        "and text.json paths are the same code.",
        f"The PDF repeats {PAPER}'s four pages; the local summarizer keeps one copy of a repeated "
        "sentence, so its work does not grow with the repeats.",
    ]
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=MAX_PAGES)
    arguments = parser.parse_args()
    run_alone(lambda: measure(arguments.pages))
