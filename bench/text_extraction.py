"""Text extraction with lines and word boxes, pages per second, against two baselines.

- scriba: ``scriba.media.pdf.text_layer_page`` for every page (lines, words, boxes, as pydantic
  models).
- pypdfium2 per-character boxes: the page's text and one ``get_charbox`` per character, nothing
  grouped: the practical limit of anything built on pdfium from Python.
- pdfplumber ``extract_words``: what users pick instead (words with boxes, no lines).

Each side opens the document itself; every page of every document is read in each run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pdfplumber
import pypdfium2 as pdfium

from bench.results import (
    BOOK,
    CORPUS,
    BenchResult,
    Goal,
    Table,
    Timings,
    interleaved,
    run_alone,
)
from scriba.errors import PermanentError
from scriba.media import pdf

GOAL_VS_CHARACTERS = 0.7
GOAL_VS_PDFPLUMBER = 10.0


def scriba_text_layer(path: Path) -> int:
    """Pages read into lines and words with boxes."""
    with pdf.pdf_document(path, path.name) as document:
        count = pdf.page_count(document)
        for number_ in range(1, count + 1):
            pdf.text_layer_page(document, number_)
    return count


def pdfium_character_boxes(path: Path) -> int:
    document = pdfium.PdfDocument(path)
    try:
        count = len(document)
        for index in range(count):
            page = document[index]
            textpage = page.get_textpage()
            textpage.get_text_range()
            for char in range(textpage.count_chars()):
                textpage.get_charbox(char)
            textpage.close()
            page.close()
    finally:
        document.close()
    return count


def pdfplumber_words(path: Path) -> int:
    with pdfplumber.open(path) as document:
        for page in document.pages:
            page.extract_words()
            page.close()  # frees the page's parsed objects, as a long run must
        return len(document.pages)


EXTRACTORS: dict[str, Callable[[Path], int]] = {
    "scriba": scriba_text_layer,
    "pypdfium2 char boxes": pdfium_character_boxes,
    "pdfplumber words": pdfplumber_words,
}


def _read_all(extract: Callable[[Path], int], paths: list[Path]) -> int:
    return sum(extract(path) for path in paths)


def readable_corpus() -> list[Path]:
    """The corpus PDFs other than the book that every extractor can open (not the encrypted one)."""
    readable = []
    for path in sorted(CORPUS.glob("*.pdf")):
        if path.name == BOOK:
            continue
        try:
            for extract in EXTRACTORS.values():
                extract(path)
        except (PermanentError, pdfium.PdfiumError):
            continue
        readable.append(path)
    return readable


def measure(repeats: int = 5, slow_repeats: int = 3) -> BenchResult:
    # pdfminer (under pdfplumber) warns about every odd font of the corpus.
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    corpus = readable_corpus()
    book = CORPUS / BOOK
    sets = {f"corpus ({len(corpus)} PDFs, book excluded)": corpus, "the book": [book]}
    table = Table(["documents", "pages", *[f"{name}, pages/s" for name in EXTRACTORS]])
    result = BenchResult(
        key="text_extraction",
        title="Text extraction with lines and word boxes",
        table=table,
    )
    for label, paths in sets.items():
        pages = sum(scriba_text_layer(path) for path in paths)
        cases: dict[str, Callable[[], object]] = {
            name: partial(_read_all, extract, paths) for name, extract in EXTRACTORS.items()
        }
        # pdfplumber takes seconds on the book: fewer runs of it keep the whole bench short.
        counts = dict.fromkeys(cases, repeats) | {"pdfplumber words": slow_repeats}
        if label != "the book":
            # A pass over the small documents takes tens of milliseconds: more runs steady the
            # median against the scheduler.
            counts = {name: count * 3 for name, count in counts.items()}
        # The corpus pass (and the probe in readable_corpus) warmed pdfplumber up: a warm-up run
        # of it on the book would only cost time.
        warm = set(cases) if label != "the book" else set(cases) - {"pdfplumber words"}
        timings: dict[str, Timings] = interleaved(cases, counts, warm)
        table.add(label, pages, *[timings[name].describe_rate(pages) for name in EXTRACTORS])
        ours = timings["scriba"].rate(pages)
        characters = ours / timings["pypdfium2 char boxes"].rate(pages)
        plumber = ours / timings["pdfplumber words"].rate(pages)
        result.goals.append(
            Goal.at_least(
                f"{label}: scriba vs pypdfium2 char boxes", characters, GOAL_VS_CHARACTERS
            )
        )
        result.goals.append(
            Goal.at_least(f"{label}: scriba vs pdfplumber words", plumber, GOAL_VS_PDFPLUMBER)
        )
    result.notes += [
        f"Median of {repeats} runs ({slow_repeats} for pdfplumber) on the book, three times as "
        "many on the shorter corpus, range in brackets; one "
        "warm-up run each; cases interleaved. Each run opens every document and reads every page.",
        "scriba's figure includes building the pydantic `Page` models (lines, words, boxes as page "
        "fractions); the pypdfium2 baseline only fetches the text and one box per character and "
        "groups nothing.",
        "Corpus pages without a text layer (scans) count as pages read for every extractor: "
        "scriba finds out that they need OCR, the baselines find no characters.",
        "Ratios are of the median rates.",
    ]
    return result


if __name__ == "__main__":
    run_alone(measure)
