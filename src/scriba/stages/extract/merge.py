"""Merge what OCR read in a page's pictures into the page's text layer, and say how each page
was read. Pure: pages in, pages out.

A page whose text layer covers only part of what it shows (a running header over a picture of a
typed checklist, a letter scan with a typed stamp, a screenshot of text in a report) is OCR'd
whole; only the OCR lines that lie in its uncovered pictures are kept, and of those only the
ones read with confidence, that no text-layer line already holds. They go into the page where
their picture stands, so the page reads top to bottom.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from scriba.models.base import Model
from scriba.models.text import Box, Line, Page, PageSource

# An OCR line is in a picture when this share of it lies inside the picture's box.
_IN_PICTURE = 0.5
# An OCR line repeats a text-layer line when this share of it lies under one.
_UNDER_TEXT_LAYER = 0.5


def _intersection(a: Box, b: Box) -> float:
    width = min(a.left + a.width, b.left + b.width) - max(a.left, b.left)
    height = min(a.top + a.height, b.top + b.height) - max(a.top, b.top)
    return max(width, 0.0) * max(height, 0.0)


def _share_inside(box: Box, within: Box) -> float:
    area = box.width * box.height
    return _intersection(box, within) / area if area else 0.0


def _picture_of(line: Line, pictures: Sequence[Box]) -> int | None:
    """The index of the picture ``line`` lies in, if any."""
    for index, picture in enumerate(pictures):
        if _share_inside(line.box, picture) >= _IN_PICTURE:
            return index
    return None


def _repeats(line: Line, text_layer: Iterable[Line]) -> bool:
    return any(_share_inside(line.box, other.box) >= _UNDER_TEXT_LAYER for other in text_layer)


def picture_lines(
    ocr: Page, pictures: Sequence[Box], text_layer: Sequence[Line], min_confidence: float
) -> list[list[Line]]:
    """Per picture, the OCR lines read in it that the text layer lacks, in OCR's order."""
    found: list[list[Line]] = [[] for _ in pictures]
    for line in ocr.lines:
        if line.confidence < min_confidence:
            continue  # texture, a face or wiring read as letters
        index = _picture_of(line, pictures)
        if index is not None and not _repeats(line, text_layer):
            found[index].append(line.model_copy(update={"source": PageSource.OCR}))
    return found


def _in_reading_order(text_layer: list[Line], blocks: list[tuple[Box, list[Line]]]) -> list[Line]:
    """The text-layer lines with each picture's lines put before the first text-layer line that
    starts below the picture's top (a block in a column beside text goes with the text above)."""
    lines: list[Line] = []
    pending = sorted(blocks, key=lambda block: (block[0].top, block[0].left))
    for line in text_layer:
        while pending and pending[0][0].top <= line.box.top:
            lines += pending.pop(0)[1]
        lines.append(line)
    for _, block in pending:
        lines += block
    return lines


def merge_pictures(layer: Page, ocr: Page, pictures: Sequence[Box], min_confidence: float) -> Page:
    """The text-layer page with what OCR read in its ``pictures`` added, each line marked with
    its source; the page unchanged (and why) when OCR found no text there."""
    text_layer = [line.model_copy(update={"source": PageSource.TEXT_LAYER}) for line in layer.lines]
    found = picture_lines(ocr, pictures, text_layer, min_confidence)
    added = sum(len(lines) for lines in found)
    if not added:
        why = f"the text layer; OCR found no text in its {len(pictures)} picture(s)"
        return layer.model_copy(update={"why": why})
    blocks = [(picture, lines) for picture, lines in zip(pictures, found, strict=True) if lines]
    why = (
        f"the text layer, and {added} line(s) OCR read in {len(blocks)} picture(s) "
        "the text layer has no text over"
    )
    return layer.model_copy(
        update={
            "source": PageSource.MIXED,
            "engine": f"{layer.engine}+{ocr.engine}",
            "lines": _in_reading_order(text_layer, blocks),
            "why": why,
        }
    )


class PageRun(Model):
    """Consecutive pages read the same way, for the same reason."""

    pages: str  # "7" or "7-13"
    source: PageSource
    why: str | None = None


# A document alternating between ways of reading would list every page: the manifest stays small.
MAX_RUNS = 50


def _span(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}-{last}"


class ReadPage(Protocol):
    """How a page was read: what ``reading_runs`` needs of it (a Page has it)."""

    @property
    def number(self) -> int: ...

    @property
    def source(self) -> PageSource: ...

    @property
    def why(self) -> str | None: ...


def reading_runs(pages: Sequence[ReadPage]) -> tuple[list[PageRun], int]:
    """How the pages were read, in runs of consecutive pages read alike; at most ``MAX_RUNS``
    of them, and how many more there were."""
    runs: list[tuple[int, int, PageSource, str | None]] = []
    for page in pages:
        if runs:
            first, last, source, why = runs[-1]
            if page.number == last + 1 and (source, why) == (page.source, page.why):
                runs[-1] = (first, page.number, source, why)
                continue
        runs.append((page.number, page.number, page.source, page.why))
    listed = [
        PageRun(pages=_span(first, last), source=source, why=why)
        for first, last, source, why in runs[:MAX_RUNS]
    ]
    return listed, max(len(runs) - MAX_RUNS, 0)
