"""OCR quality: word recall and pages/s of scriba's Tesseract engine against the `tesseract` CLI
on the same page images, in the same run.

The set (``tests/scans.py``, ``scan_set``): sample pages of the corpus's born-digital PDFs (English
and German, one and two columns) rendered as each kind of page a user scans or photographs: a
clean 300 dpi scan, skewed 1–5°, fed turned by 90° or 180°, blurred, noisy, a 200 dpi JPEG, and a
phone photograph (perspective, uneven light, blur, noise, JPEG 40, resolution unknown). The PDF's
own text layer is the ground truth; word recall is the share of its words (a multiset,
case-folded, punctuation stripped) the OCR output has.

- scriba: ``TesseractOcr.recognize`` with the page's language hint (its preparation: deskew,
  scale, adaptive binarisation for uneven light; orientation and script by OSD).
- baseline: ``tesseract <png> stdout -l <model> [--dpi N]``, Tesseract's defaults (page
  segmentation 3), one process per page, the image saved losslessly from the same pixels.

Both run one page at a time with ``OMP_THREAD_LIMIT=1`` (the pipeline's workers run so), so
pages/s compares the work, not the threads.

    .venv/bin/python -m bench.ocr_quality [--pages-per-kind N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from bench.results import CORPUS, BenchResult, Goal, Table, Verdict, number, run_alone
from scriba.config import load_settings
from scriba.engines.local.tesseract import TesseractOcr, tessdata_name
from scriba.engines.ports import PageImage
from tests.scans import Scan, scan_set, words_found

PAGES_PER_KIND = 4
# The goals: recall on clean 300 dpi scans and on phone photographs, never below
# Tesseract alone (per kind, a point of slack for the odd word), throughput within 15 %.
GOAL_CLEAN = 0.98
GOAL_PHONE = 0.90
SLACK = 0.01
GOAL_SPEED = 0.85


@dataclass
class Tally:
    found: int = 0
    total: int = 0
    seconds: float = 0.0
    pages: int = 0

    def add(self, found: int, total: int, seconds: float) -> None:
        self.found += found
        self.total += total
        self.seconds += seconds
        self.pages += 1

    @property
    def recall(self) -> float:
        return self.found / self.total if self.total else 0.0

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


def read_with_scriba(engine: TesseractOcr, scan: Scan) -> tuple[str, float]:
    started = time.perf_counter()
    read = engine.recognize(PageImage(1, scan.image, scan.dpi), [scan.sample.language])
    return read.page.text, time.perf_counter() - started


def read_with_cli(scan: Scan, folder: Path) -> tuple[str, float]:
    path = folder / "page.png"
    scan.image.save(path)  # lossless: the CLI sees the pixels scriba sees
    command = ["tesseract", str(path), "stdout", "-l", tessdata_name(scan.sample.language)]
    if scan.dpi:
        command += ["--dpi", str(round(scan.dpi))]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return done.stdout, time.perf_counter() - started


def _recall_goal(what: str, recall: float, minimum: float) -> Goal:
    verdict = Verdict.MET if recall >= minimum else Verdict.MISSED
    return Goal(what, f"{recall:.1%}", f"≥ {minimum:.0%}", verdict)


def measure(pages_per_kind: int = PAGES_PER_KIND) -> BenchResult:
    engine = TesseractOcr(load_settings())
    scriba: dict[str, Tally] = defaultdict(Tally)
    cli: dict[str, Tally] = defaultdict(Tally)
    whats: dict[str, str] = {}
    worst: dict[str, tuple[float, str]] = {}
    with tempfile.TemporaryDirectory(prefix="scriba-ocr-quality-") as name:
        folder = Path(name)
        # Warm: the first recognize loads the models (a Lambda does it once per container).
        first = next(scan_set(CORPUS, 1))
        read_with_scriba(engine, first)
        for scan in scan_set(CORPUS, pages_per_kind):
            kind = scan.kind.name
            whats[kind] = scan.kind.what
            our_text, our_seconds = read_with_scriba(engine, scan)
            their_text, their_seconds = read_with_cli(scan, folder)
            found, total = words_found(our_text, scan.reference)
            scriba[kind].add(found, total, our_seconds)
            cli[kind].add(*words_found(their_text, scan.reference), their_seconds)
            recall = found / total
            if kind not in worst or recall < worst[kind][0]:
                worst[kind] = (recall, scan.name)
    table = Table(
        [
            "kind of page",
            "pages",
            "words",
            "scriba recall",
            "tesseract CLI recall",
            "scriba pages/s",
            "CLI pages/s",
            "scriba's worst page",
        ]
    )
    everything_ours, everything_theirs = Tally(), Tally()
    for kind, ours in scriba.items():
        theirs = cli[kind]
        table.add(
            f"{kind}: {whats[kind]}",
            ours.pages,
            ours.total,
            f"{ours.recall:.1%}",
            f"{theirs.recall:.1%}",
            number(ours.pages_per_second),
            number(theirs.pages_per_second),
            f"{worst[kind][1]} ({worst[kind][0]:.1%})",
        )
        for whole, tally in ((everything_ours, ours), (everything_theirs, theirs)):
            whole.found += tally.found
            whole.total += tally.total
            whole.seconds += tally.seconds
            whole.pages += tally.pages
    table.add(
        "all",
        everything_ours.pages,
        everything_ours.total,
        f"{everything_ours.recall:.1%}",
        f"{everything_theirs.recall:.1%}",
        number(everything_ours.pages_per_second),
        number(everything_theirs.pages_per_second),
        "",
    )
    below = [k for k, ours in scriba.items() if ours.recall + SLACK < cli[k].recall]
    speed = everything_ours.pages_per_second / everything_theirs.pages_per_second
    goals = [
        _recall_goal("word recall, clean 300 dpi scans", scriba["clean"].recall, GOAL_CLEAN),
        _recall_goal("word recall, phone photographs", scriba["phone"].recall, GOAL_PHONE),
        Goal.at_most(
            "kinds where scriba reads fewer words than Tesseract alone (by over a point)",
            len(below),
            0,
            ", ".join(below) or "none",
            "none",
        ),
        Goal.at_least("pages/s, scriba over the tesseract CLI", speed, GOAL_SPEED),
    ]
    return BenchResult(
        key="ocr_quality",
        title="OCR quality: word recall on generated scans, scriba vs the tesseract CLI",
        table=table,
        goals=goals,
        notes=[
            f"{pages_per_kind} sample pages per kind (tests/scans.py SAMPLE_PAGES), each "
            "degraded reproducibly (seeded by kind and page); ground truth: the PDF's text layer",
            "the CLI is run once per page (its process start, about 0.1 s with the model load, is "
            "in its time); scriba's engine is warm, as in a running worker",
            "recall counts each reference word once per occurrence; words OCR adds are not "
            "penalised here (see bench/ocr_throughput for the character error rate)",
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages-per-kind", type=int, default=PAGES_PER_KIND)
    arguments = parser.parse_args()
    run_alone(lambda: measure(arguments.pages_per_kind))


if __name__ == "__main__":
    main()
