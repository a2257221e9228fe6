"""Ruled tables on the text-layer pages of a PDF, found from the page's own drawing: pure, no S3.

A table in a born-digital PDF is text inside ruled lines. pdfium gives the page's path objects;
their straight horizontal and vertical segments are the rules. As in pdfplumber's "lines"
strategy, rules that meet make cells (the smallest rectangles whose four sides are drawn), cells
that share corners make a table, and the distinct rule positions make its rows and columns, so
a cell spanning several of them is a merged cell. The text of a cell is the text-layer words whose
centre is inside it, so ``tables.json`` agrees with ``text.json`` word for word.

Cheap where there is nothing: a page with no straight rules costs one pass over its objects
(curves, the drawings of figures, are skipped at their first Bezier segment). Not found: tables
without rules (columns of text aligned by spaces only), rules drawn inside form XObjects, and
tables on pages that are pictures (OCR'd pages: Textract with TABLES finds those on AWS).
"""

from __future__ import annotations

import bisect
import csv
import ctypes
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from scriba.models.tables import Cell, Table
from scriba.models.text import Box, Page

ENGINE = "pdfium-rules"

# Tolerances in PDF points: rules this close are one rule; a rule shorter than MIN_RULE is a tick.
SNAP = 3.0
MIN_RULE = 6.0
# A drawn box smaller than this (both sides, points) is a symbol, not a cell.
MIN_CELL = 10.0
# A page whose paths have more straight segments than this is a drawing (a plot, a map).
MAX_SEGMENTS = 20_000
# A found grid is a table when at least this share of its cells hold text (figures with grids
# are mostly empty), and at least two do.
MIN_FILLED_SHARE = 0.4
# A table continues on the next page when it ends in this lowest share of the page (and only a
# footer is below it), and the next page's first table starts in this top share.
PAGE_EDGE = 0.3
MARGIN = 0.1


@dataclass(frozen=True)
class _Rule:
    at: float  # y of a horizontal rule, x of a vertical one (points, origin top-left)
    start: float
    end: float


@dataclass(frozen=True)
class _Grid:
    """One table's cells as rectangles (points, origin top-left) on the rule positions."""

    xs: list[float]
    ys: list[float]
    cells: list[tuple[float, float, float, float]]  # left, top, right, bottom


# -- rules from the page's paths ------------------------------------------------------------------


def _segments(
    obj: object, matrix: pdfium_c.FS_MATRIX
) -> list[tuple[float, float, float, float]] | None:
    """The straight segments of a path object (page points), or None if it has a curve."""
    count = pdfium_c.FPDFPath_CountSegments(obj)
    if count < 2 or not pdfium_c.FPDFPageObj_GetMatrix(obj, ctypes.byref(matrix)):
        return []
    a, b, c, d, e, f = matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f
    x, y = ctypes.c_float(), ctypes.c_float()
    segments: list[tuple[float, float, float, float]] = []
    start = previous = (0.0, 0.0)
    for index in range(count):
        segment = pdfium_c.FPDFPath_GetPathSegment(obj, index)
        kind = pdfium_c.FPDFPathSegment_GetType(segment)
        if kind == pdfium_c.FPDF_SEGMENT_BEZIERTO:
            return None  # a curve: part of a drawing, not a rule
        pdfium_c.FPDFPathSegment_GetPoint(segment, ctypes.byref(x), ctypes.byref(y))
        point = (a * x.value + c * y.value + e, b * x.value + d * y.value + f)
        if kind == pdfium_c.FPDF_SEGMENT_MOVETO:
            start = previous = point
            continue
        if _slanted(previous, point):
            return None  # a polyline: a plot or a diagram
        segments.append((*previous, *point))
        previous = point
        if pdfium_c.FPDFPathSegment_GetClose(segment):
            segments.append((*point, *start))
            previous = start
    return segments


def _slanted(start: tuple[float, float], end: tuple[float, float]) -> bool:
    return abs(end[0] - start[0]) > SNAP / 2 and abs(end[1] - start[1]) > SNAP / 2


def _stroked(obj: object) -> bool:
    """Whether the path is stroked, in a colour that shows on paper (white, or fully
    transparent, does not)."""
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    if not pdfium_c.FPDFPath_GetDrawMode(obj, ctypes.byref(fill), ctypes.byref(stroke)):
        return True
    return bool(stroke.value) and _shows(obj, pdfium_c.FPDFPageObj_GetStrokeColor)


def _shows(obj: object, get_colour: Any) -> bool:
    r, g, b, a = ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint()
    if not get_colour(obj, ctypes.byref(r), ctypes.byref(g), ctypes.byref(b), ctypes.byref(a)):
        return True
    return a.value > 0 and min(r.value, g.value, b.value) < 240


@dataclass
class _Drawing:
    """What the page's paths draw: rules (points, origin top-left), and the boxes of the rest
    (curves, slanted lines: figures), as left, top, right, bottom."""

    across: list[_Rule]
    down: list[_Rule]
    figures: list[tuple[float, float, float, float]]
    segments: int = 0

    def add(self, x0: float, y0: float, x1: float, y1: float, top: float) -> None:
        """One straight segment (PDF points, origin bottom-left)."""
        if abs(y1 - y0) <= SNAP / 2:
            if abs(x1 - x0) >= MIN_RULE:
                self.across.append(_Rule(top - (y0 + y1) / 2, min(x0, x1), max(x0, x1)))
        elif abs(x1 - x0) <= SNAP / 2:
            if abs(y1 - y0) >= MIN_RULE:
                self.down.append(_Rule((x0 + x1) / 2, top - max(y0, y1), top - min(y0, y1)))
        else:
            self.figures.append((min(x0, x1), top - max(y0, y1), max(x0, x1), top - min(y0, y1)))


_Boxy = tuple[object, float, float, float, float]  # a path object and its bounds


def _thin_rules(page: pdfium.PdfPage, top: float, drawing: _Drawing) -> list[_Boxy]:
    """Adds the page's thin paths to ``drawing`` as rules (no need for their segments: a line,
    or a filled thin rectangle, is one rule) and returns the other paths big enough to hold a
    cell, for ``_drawing`` to take apart. Bounds include the pen's width."""
    raw = page.raw
    get_object, get_type, get_bounds = (
        pdfium_c.FPDFPage_GetObject,
        pdfium_c.FPDFPageObj_GetType,
        pdfium_c.FPDFPageObj_GetBounds,
    )
    path = pdfium_c.FPDF_PAGEOBJ_PATH
    left_, bottom_ = ctypes.c_float(), ctypes.c_float()
    right_, top_ = ctypes.c_float(), ctypes.c_float()
    bounds = (ctypes.byref(left_), ctypes.byref(bottom_), ctypes.byref(right_), ctypes.byref(top_))
    across, down = drawing.across, drawing.down
    boxes: list[_Boxy] = []
    for index in range(pdfium_c.FPDFPage_CountObjects(raw)):
        obj = get_object(raw, index)
        if get_type(obj) != path or not get_bounds(obj, *bounds):
            continue
        x0, y0, x1, y1 = left_.value, bottom_.value, right_.value, top_.value
        # Shorter than MIN_RULE: a dot, a tick, a glyph drawn as a path.
        if y1 - y0 <= SNAP:
            if x1 - x0 >= MIN_RULE:
                across.append(_Rule(top - (y0 + y1) / 2, x0, x1))
        elif x1 - x0 <= SNAP:
            if y1 - y0 >= MIN_RULE:
                down.append(_Rule((x0 + x1) / 2, top - y1, top - y0))
        elif max(x1 - x0, y1 - y0) >= MIN_CELL:  # smaller: a symbol, a marker
            boxes.append((obj, x0, y0, x1, y1))
    return boxes


def _drawing(page: pdfium.PdfPage, top: float) -> _Drawing | None:
    """The rules and figures drawn on the page, or None when there are too few rules for a
    table, or so many segments that the page is one big drawing."""
    drawing = _Drawing([], [], [])
    boxes = _thin_rules(page, top, drawing)
    # A box or a path may hold many rules; without any, two rows and two columns need three
    # rules each way.
    if not boxes and (len(drawing.across) < 3 or len(drawing.down) < 3):
        return None
    matrix = pdfium_c.FS_MATRIX()
    for obj, x0, y0, x1, y1 in boxes:
        if not _stroked(obj):
            continue  # invisible, or a filled area: a cell's shading or a background
        segments = _segments(obj, matrix)
        if segments is None:
            drawing.figures.append((x0, top - y1, x1, top - y0))
            continue
        drawing.segments += len(segments)
        if drawing.segments > MAX_SEGMENTS:
            return None
        for segment in segments:
            drawing.add(*segment, top)
    return drawing


def _merged(rules: list[_Rule]) -> list[_Rule]:
    """Rules at (nearly) the same position joined where they touch or overlap."""
    merged: list[_Rule] = []
    rules = sorted(rules, key=lambda rule: rule.at)
    groups: list[list[_Rule]] = []
    for rule in rules:
        if groups and rule.at - groups[-1][0].at <= SNAP:
            groups[-1].append(rule)
        else:
            groups.append([rule])
    for group in groups:
        at = sum(rule.at for rule in group) / len(group)
        current: _Rule | None = None
        for rule in sorted(group, key=lambda rule: rule.start):
            if current is not None and rule.start <= current.end + SNAP:
                current = _Rule(at, current.start, max(current.end, rule.end))
                continue
            if current is not None:
                merged.append(current)
            current = _Rule(at, rule.start, rule.end)
        if current is not None:
            merged.append(current)
    return merged


# -- cells and tables from the rules --------------------------------------------------------------


def _grids(across: list[_Rule], down: list[_Rule]) -> list[_Grid]:
    """The tables the rules make: cells, grouped by shared corners."""
    # Corners: where a horizontal rule meets a vertical one; each knows its two rules.
    corners: dict[tuple[float, float], tuple[int, int]] = {}
    order = sorted(range(len(across)), key=lambda i: across[i].at)
    heights = [across[i].at for i in order]
    for v_index, v in enumerate(down):
        first = bisect.bisect_left(heights, v.start - SNAP)
        last = bisect.bisect_right(heights, v.end + SNAP)
        for h_index in order[first:last]:
            h = across[h_index]
            if h.start - SNAP <= v.at <= h.end + SNAP:
                corners.setdefault((v.at, h.at), (h_index, v_index))
    if len(corners) < 9:  # two rows and two columns have nine corners
        return []
    by_row: dict[int, list[tuple[float, float]]] = {}
    by_column: dict[int, list[tuple[float, float]]] = {}
    for point, (h_index, v_index) in corners.items():
        by_row.setdefault(h_index, []).append(point)
        by_column.setdefault(v_index, []).append(point)
    for points in by_row.values():
        points.sort()  # left to right
    for points in by_column.values():
        points.sort(key=lambda p: p[1])  # top to bottom
    row_xs = {index: [p[0] for p in points] for index, points in by_row.items()}
    column_ys = {index: [p[1] for p in points] for index, points in by_column.items()}
    cells: list[tuple[float, float, float, float]] = []
    for (x, y), (h_index, v_index) in sorted(corners.items(), key=lambda item: item[0]):
        column, row = by_column[v_index], by_row[h_index]
        below = column[bisect.bisect_right(column_ys[v_index], y + SNAP) :]
        right = row[bisect.bisect_right(row_xs[h_index], x + SNAP) :]
        cell = _smallest_cell(corners, below, right)
        if cell is not None:
            cells.append((x, y, *cell))
    return _grouped(cells)


def _smallest_cell(
    corners: dict[tuple[float, float], tuple[int, int]],
    below: list[tuple[float, float]],
    right: list[tuple[float, float]],
) -> tuple[float, float] | None:
    """The nearest opposite corner joined to a corner below and a corner right of a corner."""
    for bottom_left in below:
        for top_right in right:
            opposite = corners.get((top_right[0], bottom_left[1]))
            if opposite is None:
                continue
            # The opposite corner lies on the bottom-left's rule across and the top-right's down.
            if opposite[0] == corners[bottom_left][0] and opposite[1] == corners[top_right][1]:
                return top_right[0], bottom_left[1]
    return None


def _grouped(cells: list[tuple[float, float, float, float]]) -> list[_Grid]:
    parent = list(range(len(cells)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    owner: dict[tuple[float, float], int] = {}
    for index, (left, top, right, bottom) in enumerate(cells):
        for corner in ((left, top), (right, top), (left, bottom), (right, bottom)):
            if corner in owner:
                parent[root(index)] = root(owner[corner])
            else:
                owner[corner] = index
    groups: dict[int, list[tuple[float, float, float, float]]] = {}
    for index, cell in enumerate(cells):
        groups.setdefault(root(index), []).append(cell)
    grids = []
    for members in groups.values():
        xs = _positions([c[0] for c in members] + [c[2] for c in members])
        ys = _positions([c[1] for c in members] + [c[3] for c in members])
        grids.append(_Grid(xs=xs, ys=ys, cells=sorted(members, key=lambda c: (c[1], c[0]))))
    return sorted(grids, key=lambda grid: (grid.ys[0], grid.xs[0]))


def _positions(values: list[float]) -> list[float]:
    positions: list[float] = []
    for value in sorted(values):
        if not positions or value - positions[-1] > SNAP:
            positions.append(value)
    return positions


def _slot(positions: list[float], value: float) -> int:
    """The index of the rule position nearest ``value`` (cells' sides are on the positions)."""
    index = bisect.bisect_left(positions, value)
    if index > 0 and (
        index == len(positions) or value - positions[index - 1] < positions[index] - value
    ):
        index -= 1
    return index


# -- text in the cells ----------------------------------------------------------------------------


def _table(grid: _Grid, page: Page, size: tuple[float, float]) -> Table | None:
    """The grid as a table with the text-layer words in its cells; None when it is not one
    (fewer than 2 rows or columns, or mostly empty: the grid of a figure)."""
    width, height = size
    rows, columns = len(grid.ys) - 1, len(grid.xs) - 1
    if rows < 2 or columns < 2:
        return None
    slots: dict[tuple[int, int], int] = {}
    placed: list[tuple[int, int, int, int]] = []
    for index, (left, top, right, bottom) in enumerate(grid.cells):
        row, column = _slot(grid.ys, top), _slot(grid.xs, left)
        row_end, column_end = _slot(grid.ys, bottom), _slot(grid.xs, right)
        placed.append((row, column, max(1, row_end - row), max(1, column_end - column)))
        for r in range(row, max(row + 1, row_end)):
            for c in range(column, max(column + 1, column_end)):
                slots.setdefault((r, c), index)
    texts: list[list[str]] = [[] for _ in grid.cells]
    x0, x1, y0, y1 = grid.xs[0], grid.xs[-1], grid.ys[0], grid.ys[-1]
    for line in page.lines:
        for word in line.words:
            cx = (word.box.left + word.box.width / 2) * width
            cy = (word.box.top + word.box.height / 2) * height
            if not (x0 < cx < x1 and y0 < cy < y1):
                continue
            r = bisect.bisect_right(grid.ys, cy) - 1
            c = bisect.bisect_right(grid.xs, cx) - 1
            found = slots.get((r, c))
            if found is not None:
                texts[found].append(word.text)
    # Built unchecked: every figure here is in range by construction (boxes are clamped), and a
    # page of a big table has thousands of cells. The Table checks its own fields.
    cells = [
        Cell.model_construct(
            row=row,
            column=column,
            row_span=row_span,
            column_span=column_span,
            text=" ".join(texts[index]),
            box=_box(grid.cells[index], size),
            confidence=100.0,
        )
        for index, (row, column, row_span, column_span) in enumerate(placed)
    ]
    filled = sum(1 for cell in cells if cell.text)
    if filled < 2 or filled < MIN_FILLED_SHARE * len(cells):
        return None
    return Table(
        index=1,
        page=page.number,
        box=_box((x0, y0, x1, y1), size),
        rows=rows,
        columns=columns,
        cells=sorted(cells, key=lambda cell: (cell.row, cell.column)),
        engine=ENGINE,
    )


def _box(rectangle: tuple[float, float, float, float], size: tuple[float, float]) -> Box:
    """The rectangle (points, origin top-left) as fractions of the page, clamped to it."""
    left, top, right, bottom = rectangle
    width, height = size
    x0 = min(max(left / width, 0.0), 1.0)
    y0 = min(max(top / height, 0.0), 1.0)
    x1 = min(max(right / width, x0), 1.0)
    y1 = min(max(bottom / height, y0), 1.0)
    return Box.model_construct(left=x0, top=y0, width=x1 - x0, height=y1 - y0)


# -- pages ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageDrawing:
    """The rules and figures of one page (points, origin top-left of the crop box), kept while
    the page is loaded; the cells are made later, with the page's text (``tables_in``)."""

    across: list[_Rule]
    down: list[_Rule]
    figures: list[tuple[float, float, float, float]]
    size: tuple[float, float]


def page_drawing(loaded: pdfium.PdfPage) -> PageDrawing | None:
    """What a loaded page draws that could make a table, or None when nothing could (fewer than
    three rules each way, a drawing of too many segments, a page turned by /Rotate)."""
    if loaded.get_rotation() % 360:
        return None
    left, bottom, right, top = loaded.get_bbox()
    drawing = _drawing(loaded, top)
    # Two rows and two columns need three rules each way.
    if drawing is None or len(drawing.across) < 3 or len(drawing.down) < 3:
        return None
    return PageDrawing(
        across=[_Rule(r.at, r.start - left, r.end - left) for r in _merged(drawing.across)],
        down=[_Rule(r.at - left, r.start, r.end) for r in _merged(drawing.down)],
        figures=[(x0 - left, y0, x1 - left, y1) for x0, y0, x1, y1 in drawing.figures],
        size=(right - left, top - bottom),
    )


def tables_in(drawing: PageDrawing | None, page: Page) -> list[Table]:
    """The ruled tables of a page's drawing, filled with the words of its text layer, top to
    bottom."""
    if drawing is None:
        return []
    tables = []
    for grid in _grids(drawing.across, drawing.down):
        if any(_inside(figure, grid) for figure in drawing.figures):
            continue  # a grid with curves or slanted lines in it: a figure (a plot, a diagram)
        if _stray_rules(grid, drawing.across, drawing.down):
            continue  # boxes in boxes: a diagram
        table = _table(grid, page, drawing.size)
        if table is not None:
            tables.append(table)
    return tables


def page_tables(pdf: pdfium.PdfDocument, page: Page) -> list[Table]:
    """The ruled tables on one text-layer page (``page`` as ``scriba.media.pdf`` read it)."""
    loaded = pdf[page.number - 1]
    try:
        drawing = page_drawing(loaded)
    finally:
        loaded.close()
    return tables_in(drawing, page)


def _inside(figure: tuple[float, float, float, float], grid: _Grid) -> bool:
    """Whether a curve or slanted line is drawn over the grid's inside (a rounded frame around
    the whole table is not)."""
    x0, y0, x1, y1 = figure
    left, top, right, bottom = grid.xs[0], grid.ys[0], grid.xs[-1], grid.ys[-1]
    if x0 <= left + SNAP and y0 <= top + SNAP and x1 >= right - SNAP and y1 >= bottom - SNAP:
        return False
    return x0 < right - SNAP and x1 > left + SNAP and y0 < bottom - SNAP and y1 > top + SNAP


def _stray_rules(grid: _Grid, across: list[_Rule], down: list[_Rule]) -> bool:
    """Whether rules are drawn inside the grid off its rows and columns: boxes in boxes, the
    drawing of a figure rather than a table."""
    left, top, right, bottom = grid.xs[0], grid.ys[0], grid.xs[-1], grid.ys[-1]
    for rules, positions, low, high, start, end in (
        (across, grid.ys, top, bottom, left, right),
        (down, grid.xs, left, right, top, bottom),
    ):
        for rule in rules:
            if not (low + SNAP < rule.at < high - SNAP):
                continue
            if rule.end < start + SNAP or rule.start > end - SNAP:
                continue  # beside the grid
            if abs(positions[_slot(positions, rule.at)] - rule.at) > SNAP:
                return True
    return False


def find_tables(pdf: pdfium.PdfDocument, pages: Sequence[Page]) -> list[Table]:
    """The ruled tables on ``pages`` (text-layer pages of ``pdf``), numbered 1.. in document
    order, with the tables that run on from one page to the next linked."""
    found = [table for page in pages for table in page_tables(pdf, page)]
    return numbered(found, pages)


def numbered(tables: Sequence[Table], pages: Sequence[Page]) -> list[Table]:
    """Tables in page order, numbered 1.., those running over a page break linked."""
    by_page = {page.number: page for page in pages}
    ordered = sorted(tables, key=lambda t: (t.page, t.box.top if t.box else 0.0))
    linked = link_continuations(ordered, by_page)
    return [table.model_copy(update={"index": index}) for index, table in enumerate(linked, 1)]


def _ends_page(table: Table, page: Page | None) -> bool:
    if table.box is None or page is None:
        return False
    bottom = table.box.top + table.box.height
    if bottom < 1 - PAGE_EDGE:
        return False
    return not any(bottom < line.box.top < 1 - MARGIN for line in page.lines)


def _starts_page(table: Table, page: Page | None) -> bool:
    if table.box is None or page is None:
        return False
    top = table.box.top
    if top > PAGE_EDGE:
        return False
    return not any(MARGIN < line.box.top + line.box.height < top for line in page.lines)


def link_continuations(tables: list[Table], pages: dict[int, Page]) -> list[Table]:
    """Marks a table that ends its page and one that starts the next page with the same number
    of columns as one table running over the page break."""
    linked = list(tables)
    for index in range(len(linked) - 1):
        this, following = linked[index], linked[index + 1]
        if (
            following.page == this.page + 1
            and following.columns == this.columns
            and _ends_page(this, pages.get(this.page))
            and _starts_page(following, pages.get(following.page))
        ):
            linked[index] = this.model_copy(update={"continues_on_next_page": True})
            linked[index + 1] = following.model_copy(update={"continued_from_previous_page": True})
    return linked


def to_csv(table: Table) -> str:
    """The table as CSV (RFC 4180, CRLF line ends); a merged cell's text in its first slot."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(table.grid())
    return buffer.getvalue()
