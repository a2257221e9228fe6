"""Born-digital PDFs with ruled tables, written byte by byte from the table they show, and the
Textract blocks that describe the same table: the generating data is the expected answer.

A ``Grid`` is rows of cell texts plus merged cells; it is drawn at a known place on a Letter
page in one of the ways PDF producers draw rules (separate lines, a rectangle per cell, one path
for the whole grid, thin filled rectangles).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from tests.badinputs.makers import pdf_file, pdf_string, stream

Style = Literal["lines", "cells", "one-path", "filled"]
PAGE_WIDTH, PAGE_HEIGHT = 612.0, 792.0
FONT_SIZE = 9


@dataclass(frozen=True)
class Merge:
    row: int
    column: int
    rows: int = 1
    columns: int = 1


@dataclass(frozen=True)
class Grid:
    """A table as its generator knows it: texts by row and column (a merged cell's text in its
    first slot, the slots it covers empty), where it is drawn, and how."""

    cells: list[list[str]]
    merges: list[Merge] = field(default_factory=list)
    left: float = 72.0
    top: float = 120.0  # from the top of the page, points
    column_width: float = 90.0
    row_height: float = 18.0

    @property
    def rows(self) -> int:
        return len(self.cells)

    @property
    def columns(self) -> int:
        return len(self.cells[0])

    def spans(self) -> list[tuple[int, int, int, int]]:
        """(row, column, row_span, column_span) of every cell, merged ones once."""
        covered: set[tuple[int, int]] = set()
        found = []
        by_start = {(m.row, m.column): m for m in self.merges}
        for row, column in itertools.product(range(self.rows), range(self.columns)):
            if (row, column) in covered:
                continue
            merge = by_start.get((row, column), Merge(row, column))
            for r in range(row, row + merge.rows):
                for c in range(column, column + merge.columns):
                    covered.add((r, c))
            found.append((row, column, merge.rows, merge.columns))
        return found

    def rectangle(
        self, row: int, column: int, rows: int = 1, columns: int = 1
    ) -> tuple[float, ...]:
        """left, top, right, bottom of a cell in points, origin top-left."""
        left = self.left + column * self.column_width
        top = self.top + row * self.row_height
        return left, top, left + columns * self.column_width, top + rows * self.row_height

    @property
    def bottom(self) -> float:
        return self.top + self.rows * self.row_height


def _sides(grid: Grid) -> list[tuple[float, float, float, float]]:
    """Every cell side (x0, y0, x1, y1 in PDF points, origin bottom-left), repeats included."""
    sides = []
    for row, column, rows, columns in grid.spans():
        left, top, right, bottom = grid.rectangle(row, column, rows, columns)
        y_top, y_bottom = PAGE_HEIGHT - top, PAGE_HEIGHT - bottom
        sides += [
            (left, y_top, right, y_top),
            (left, y_bottom, right, y_bottom),
            (left, y_top, left, y_bottom),
            (right, y_top, right, y_bottom),
        ]
    return sides


def draw_rules(grid: Grid, style: Style) -> bytes:
    parts = [b"0.6 w 0 0 0 RG 0 0 0 rg"]
    if style == "lines":
        parts += [b"%.2f %.2f m %.2f %.2f l S" % side for side in _sides(grid)]
    elif style == "one-path":
        parts += [b"%.2f %.2f m %.2f %.2f l" % side for side in _sides(grid)]
        parts.append(b"S")
    elif style == "cells":
        for row, column, rows, columns in grid.spans():
            left, top, right, bottom = grid.rectangle(row, column, rows, columns)
            parts.append(
                b"%.2f %.2f %.2f %.2f re S"
                % (left, PAGE_HEIGHT - bottom, right - left, bottom - top)
            )
    else:  # thin filled rectangles, as Google Docs draws borders
        for x0, y0, x1, y1 in _sides(grid):
            if y0 == y1:
                parts.append(b"%.2f %.2f %.2f 0.6 re f" % (x0, y0 - 0.3, x1 - x0))
            else:
                parts.append(b"%.2f %.2f 0.6 %.2f re f" % (x0 - 0.3, min(y0, y1), abs(y1 - y0)))
    return b"\n".join(parts)


def draw_text(grid: Grid) -> bytes:
    parts = [b"BT /F1 %d Tf" % FONT_SIZE]
    for row, column, _, _ in grid.spans():
        text = grid.cells[row][column]
        if not text:
            continue
        left, top, _, _ = grid.rectangle(row, column)
        baseline = PAGE_HEIGHT - top - grid.row_height + 5
        parts.append(b"1 0 0 1 %.2f %.2f Tm %s Tj" % (left + 4, baseline, pdf_string(text)))
    parts.append(b"ET")
    return b"\n".join(parts)


def prose(lines: Sequence[str], top: float) -> bytes:
    parts = [b"BT /F1 11 Tf"]
    for index, line in enumerate(lines):
        parts.append(
            b"1 0 0 1 72 %.2f Tm %s Tj" % (PAGE_HEIGHT - top - 14 * index, pdf_string(line))
        )
    parts.append(b"ET")
    return b"\n".join(parts)


def table_pdf(
    pages: Sequence[Sequence[Grid]],
    style: Style = "lines",
    text: Sequence[Sequence[tuple[float, Sequence[str]]]] = (),
) -> bytes:
    """A PDF with one page per item of ``pages``, each showing its grids (and, from ``text``,
    lines of prose at a distance from the top of the page)."""
    objects: list[bytes] = [b"", b"", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for index, grids in enumerate(pages):
        content = [draw_rules(grid, style) + b"\n" + draw_text(grid) for grid in grids]
        for top, lines in text[index] if index < len(text) else ():
            content.append(prose(lines, top))
        number = len(objects) + 1
        kids.append(b"%d 0 R" % number)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources"
            b" << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (number + 1)
        )
        objects.append(stream(b"\n".join(content)))
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), len(pages))
    return pdf_file(objects)


# -- the same table as Textract reports it ---------------------------------------------------------


def _geometry(rectangle: tuple[float, ...]) -> dict[str, Any]:
    left, top, right, bottom = rectangle
    box = {
        "Width": (right - left) / PAGE_WIDTH,
        "Height": (bottom - top) / PAGE_HEIGHT,
        "Left": left / PAGE_WIDTH,
        "Top": top / PAGE_HEIGHT,
    }
    polygon = [
        {"X": box["Left"], "Y": box["Top"]},
        {"X": box["Left"] + box["Width"], "Y": box["Top"]},
        {"X": box["Left"] + box["Width"], "Y": box["Top"] + box["Height"]},
        {"X": box["Left"], "Y": box["Top"] + box["Height"]},
    ]
    return {"BoundingBox": box, "Polygon": polygon}


class _Ids:
    def __init__(self, prefix: str) -> None:
        self._prefix = prefix
        self._count = itertools.count(1)

    def __call__(self) -> str:
        return f"{self._prefix}-{next(self._count):04d}"


def textract_blocks(
    grid: Grid,
    page: int = 1,
    *,
    header_rows: int = 1,
    fields: Sequence[tuple[str, str, float]] = (),
    ids: _Ids | None = None,
) -> list[dict[str, Any]]:
    """The blocks ``AnalyzeDocument`` (TABLES, FORMS) returns for a page showing ``grid`` and
    the form ``fields`` (key, value, distance from the top of the page in points): PAGE, LINE,
    WORD, TABLE, CELL, MERGED_CELL, KEY_VALUE_SET, shaped like the API reference's examples."""
    ids = ids or _Ids(f"p{page}")
    blocks: list[dict[str, Any]] = []
    page_block: dict[str, Any] = {
        "BlockType": "PAGE",
        "Geometry": _geometry((0, 0, PAGE_WIDTH, PAGE_HEIGHT)),
        "Id": ids(),
        "Relationships": [{"Type": "CHILD", "Ids": []}],
        "Page": page,
    }
    blocks.append(page_block)

    def words_of(text: str, left: float, top: float) -> list[str]:
        """LINE and WORD blocks for ``text`` at a place; returns the word ids."""
        word_ids = []
        line_id = ids()
        x = left
        for word in text.split():
            width = 5.0 * len(word)
            word_id = ids()
            blocks.append(
                {
                    "BlockType": "WORD",
                    "Confidence": 99.1,
                    "Text": word,
                    "TextType": "PRINTED",
                    "Geometry": _geometry((x, top, x + width, top + FONT_SIZE)),
                    "Id": word_id,
                    "Page": page,
                }
            )
            word_ids.append(word_id)
            x += width + 3
        blocks.append(
            {
                "BlockType": "LINE",
                "Confidence": 99.1,
                "Text": " ".join(text.split()),
                "Geometry": _geometry((left, top, x, top + FONT_SIZE)),
                "Id": line_id,
                "Relationships": [{"Type": "CHILD", "Ids": word_ids}],
                "Page": page,
            }
        )
        page_block["Relationships"][0]["Ids"].append(line_id)
        return word_ids

    # One CELL per slot, as Textract reports them; a MERGED_CELL over the slots it merges.
    cell_ids: dict[tuple[int, int], str] = {}
    cells: list[dict[str, Any]] = []
    origin = {(r, c): (r, c) for r in range(grid.rows) for c in range(grid.columns)}
    for merge in grid.merges:
        for r in range(merge.row, merge.row + merge.rows):
            for c in range(merge.column, merge.column + merge.columns):
                origin[(r, c)] = (merge.row, merge.column)
    for row, column in itertools.product(range(grid.rows), range(grid.columns)):
        left, top, _, _ = grid.rectangle(row, column)
        text = grid.cells[row][column] if origin[(row, column)] == (row, column) else ""
        word_ids = words_of(text, left + 4, top + 4) if text else []
        cell: dict[str, Any] = {
            "BlockType": "CELL",
            "Confidence": 95.5,
            "RowIndex": row + 1,
            "ColumnIndex": column + 1,
            "RowSpan": 1,
            "ColumnSpan": 1,
            "Geometry": _geometry(grid.rectangle(row, column)),
            "Id": ids(),
            "Page": page,
        }
        if row < header_rows:
            cell["EntityTypes"] = ["COLUMN_HEADER"]
        if word_ids:
            cell["Relationships"] = [{"Type": "CHILD", "Ids": word_ids}]
        cell_ids[(row, column)] = cell["Id"]
        cells.append(cell)
    merged_blocks = []
    for merge in grid.merges:
        merged_blocks.append(
            {
                "BlockType": "MERGED_CELL",
                "Confidence": 94.0,
                "RowIndex": merge.row + 1,
                "ColumnIndex": merge.column + 1,
                "RowSpan": merge.rows,
                "ColumnSpan": merge.columns,
                "Geometry": _geometry(
                    grid.rectangle(merge.row, merge.column, merge.rows, merge.columns)
                ),
                "Id": ids(),
                "Relationships": [
                    {
                        "Type": "CHILD",
                        "Ids": [
                            cell_ids[(r, c)]
                            for r in range(merge.row, merge.row + merge.rows)
                            for c in range(merge.column, merge.column + merge.columns)
                        ],
                    }
                ],
                "Page": page,
            }
        )
    relationships = [{"Type": "CHILD", "Ids": [cell["Id"] for cell in cells]}]
    if merged_blocks:
        relationships.append({"Type": "MERGED_CELL", "Ids": [m["Id"] for m in merged_blocks]})
    blocks.append(
        {
            "BlockType": "TABLE",
            "Confidence": 97.0,
            "EntityTypes": ["STRUCTURED_TABLE"],
            "Geometry": _geometry(grid.rectangle(0, 0, grid.rows, grid.columns)),
            "Id": ids(),
            "Relationships": relationships,
            "Page": page,
        }
    )
    blocks += cells + merged_blocks
    for key, value, top in fields:
        key_words = words_of(key, 72, top)
        value_words = words_of(value, 200, top)
        value_id, key_id = ids(), ids()
        blocks.append(
            {
                "BlockType": "KEY_VALUE_SET",
                "Confidence": 92.0,
                "EntityTypes": ["KEY"],
                "Geometry": _geometry((72, top, 190, top + FONT_SIZE)),
                "Id": key_id,
                "Relationships": [
                    {"Type": "VALUE", "Ids": [value_id]},
                    {"Type": "CHILD", "Ids": key_words},
                ],
                "Page": page,
            }
        )
        blocks.append(
            {
                "BlockType": "KEY_VALUE_SET",
                "Confidence": 90.0,
                "EntityTypes": ["VALUE"],
                "Geometry": _geometry((200, top, 400, top + FONT_SIZE)),
                "Id": value_id,
                "Relationships": [{"Type": "CHILD", "Ids": value_words}],
                "Page": page,
            }
        )
    return blocks
