"""Peak memory of ``scriba run`` on the book's first 10, 50 and 117 pages.

``scriba run`` is started as users start it (one target language) and its whole process tree is
watched: the parent (moto server, state machine interpreter, results export) and the worker
processes that run the handlers. Reported: the peak of the tree's summed resident memory (psutil,
sampled every 20 ms) and the peak of the largest single process (exact, from the kernel's
``wait4`` accounting, which covers the workers too).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import pypdfium2 as pdfium

from bench.results import (
    BOOK,
    CORPUS,
    ROOT,
    BenchResult,
    Goal,
    Table,
    Timings,
    Verdict,
    number,
    run_alone,
)
from scriba.config import Settings
from scriba.local.template import read_template

PAGES = (10, 50, 117)
# The book three times over: only for the slope. Between 50 and 117 pages the growth is a few
# tens of MB, no more than the run-to-run noise of which worker happens to peak.
LONG = 351
SAMPLE_SECONDS = 0.02
MB = 1024 * 1024
MAX_PAGES = Settings.model_fields["max_pages"].default  # the largest document accepted


@dataclass(frozen=True)
class Peak:
    tree_mb: float  # peak of the summed RSS of the process tree (sampled)
    largest_mb: float  # peak RSS of the largest single process (kernel accounting)
    parent_mb: float  # peak RSS of `scriba run` itself (sampled)
    processes: int
    seconds: float


def book_prefix(pages: int, folder: Path, book: str = BOOK) -> Path:
    """A corpus PDF's first ``pages`` pages as a PDF of their own (the PDF over again past its
    end); the lecture book by default."""
    path = folder / f"{Path(book).stem}-{pages}-pages.pdf"
    source = pdfium.PdfDocument(CORPUS / book)
    target = pdfium.PdfDocument.new()
    try:
        while len(target) < pages:
            target.import_pages(source, list(range(min(pages - len(target), len(source)))))
        target.save(path)
    finally:
        target.close()
        source.close()
    return path


def scriba_command() -> list[str]:
    script = Path(sys.executable).with_name("scriba")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "scriba.cli"]


def peak_of_run(document: Path, out: Path) -> Peak:
    command = [*scriba_command(), "run", str(document), "--out", str(out), "--languages", "es"]
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    watched = psutil.Process(process.pid)
    tree_peak = 0
    peaks: dict[int, int] = {}
    while process.poll() is None:
        try:
            members = [watched, *watched.children(recursive=True)]
        except psutil.NoSuchProcess:
            break
        total = 0
        for member in members:
            try:
                rss = member.memory_info().rss
            except psutil.NoSuchProcess:
                continue
            total += rss
            peaks[member.pid] = max(peaks.get(member.pid, 0), rss)
        tree_peak = max(tree_peak, total)
        time.sleep(SAMPLE_SECONDS)
    seconds = time.perf_counter() - started
    # The process was reaped by poll(); its rusage (and its waited-for children's) is folded
    # into ours. RUSAGE_CHILDREN's maximum covers every child so far, so each run is measured
    # in a fresh helper process: see measure().
    stderr = process.stderr.read() if process.stderr else ""
    if process.returncode not in (0, 1):  # 1: a document failed or was partial
        raise RuntimeError(f"scriba run failed ({process.returncode}): {stderr[-2000:]}")
    import resource  # noqa: PLC0415

    largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # KiB on Linux
    return Peak(tree_peak / MB, largest / MB, peaks.get(process.pid, 0) / MB, len(peaks), seconds)


def measure_in_helper(document: Path, out: Path) -> Peak:
    """``peak_of_run`` in a new interpreter, so that its children's rusage is this run's alone."""
    code = (
        "import json, sys; from pathlib import Path; from bench.memory import peak_of_run; "
        "peak = peak_of_run(Path(sys.argv[1]), Path(sys.argv[2])); "
        "print(json.dumps(peak.__dict__))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code, str(document), str(out)],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[1],
    )
    if completed.returncode:
        raise RuntimeError(f"memory run failed: {completed.stderr[-3000:]}")
    import json  # noqa: PLC0415

    return Peak(**json.loads(completed.stdout.strip().splitlines()[-1]))


def default_memory_mb() -> int:
    """The functions' default MemorySize in template.yaml (Globals)."""
    template = read_template(ROOT / "template.yaml")
    return int(template["Globals"]["Function"]["MemorySize"])


def measure(repeats: int = 2) -> BenchResult:
    table = Table(
        [
            "pages",
            "process tree, MB",
            "largest process, MB",
            "`scriba run` itself, MB",
            "processes",
            "wall time, s",
        ]
    )
    result = BenchResult(key="memory", title="Peak memory of `scriba run` on the book", table=table)
    peaks: dict[int, list[Peak]] = {pages: [] for pages in (*PAGES, LONG)}
    with tempfile.TemporaryDirectory(prefix="scriba-bench-") as temporary:
        folder = Path(temporary)
        documents = {pages: book_prefix(pages, folder) for pages in peaks}
        for run in range(repeats):
            for pages, document in documents.items():
                peaks[pages].append(measure_in_helper(document, folder / f"out-{pages}-{run}"))

    def spread(values: list[float]) -> str:
        return f"{number(max(values))} ({number(min(values))}–{number(max(values))})"

    for pages, runs in peaks.items():
        table.add(
            pages,
            spread([peak.tree_mb for peak in runs]),
            spread([peak.largest_mb for peak in runs]),
            spread([peak.parent_mb for peak in runs]),
            max(peak.processes for peak in runs),
            Timings(tuple(peak.seconds for peak in runs)).describe(),
        )
    # Slopes between the book and the book three times over: both load every engine (the first
    # pages of the book have no pictures, so the picture labeler never loads for them).
    middle, biggest = PAGES[-1], LONG

    def highest(pages: int, field: str) -> float:
        return max(float(getattr(peak, field)) for peak in peaks[pages])

    tree_slope = (highest(biggest, "tree_mb") - highest(middle, "tree_mb")) / (biggest - middle)
    slope = (highest(biggest, "largest_mb") - highest(middle, "largest_mb")) / (biggest - middle)
    limit = default_memory_mb()
    projected = highest(biggest, "largest_mb") + max(slope, 0.0) * (MAX_PAGES - biggest)
    for pages in PAGES:
        result.goals.append(
            Goal(
                f"peak at {pages} pages",
                f"{number(highest(pages, 'tree_mb'))} MB (process tree), "
                f"{number(highest(pages, 'largest_mb'))} MB (largest process)",
                "report",
                Verdict.REPORTED,
            )
        )
    result.goals.append(
        Goal.at_most(
            f"largest process, projected to {MAX_PAGES:,} pages (the page limit)",
            projected,
            limit,
            f"{number(projected)} MB",
            f"bounded: ≤ {limit:,} MB (the functions' default MemorySize)",
        )
    )
    result.notes += [
        f"Highest of {repeats} runs, range in brackets; `scriba run --languages es` on a PDF of "
        f"the book's first pages, {os.cpu_count()} worker processes (one per core).",
        f"Between {middle} and {biggest} pages the process tree grows by {tree_slope:.2f} MB per "
        f"page and the largest process by {slope:.2f} MB per page; the projection to "
        f"{MAX_PAGES:,} pages extends the latter. Most of the memory is what does not depend on "
        "the document: the engines loaded in each worker (PyTorch and EfficientNet once a "
        "picture is labelled, Tesseract, lingua) and the moto server in `scriba run` itself, "
        "which also holds every object written to its S3 in memory.",
        f"The {PAGES[0]}-page prefix has no pictures: no worker loads the picture labeler, "
        "which is most of the step to 50 pages.",
    ]
    return result


if __name__ == "__main__":
    run_alone(measure)
