"""Tables and form fields found in a document, as data (``tables.json``, and a CSV per table).

Both executors write the same model: the local engines find tables in the text layer of
born-digital pages; Textract's ``AnalyzeDocument`` (TABLES, FORMS) finds them on the pages it
reads. Boxes are fractions of the page, origin top-left, as in ``text.json``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from scriba.models.base import Model
from scriba.models.text import Box

SCHEMA_VERSION: Literal["1"] = "1"


class Cell(Model):
    """One cell of a table. A merged cell is one ``Cell`` that spans rows or columns."""

    row: int = Field(ge=0, description="0-based index of the first row the cell is in")
    column: int = Field(ge=0, description="0-based index of the first column the cell is in")
    row_span: int = Field(default=1, ge=1)
    column_span: int = Field(default=1, ge=1)
    text: str
    box: Box | None = None
    confidence: float = Field(default=100.0, ge=0, le=100, description="100 for a text layer")
    header: bool = Field(default=False, description="A column header, where the engine says so")


class Table(Model):
    index: int = Field(ge=1, description="1-based, in document order")
    page: int = Field(ge=1, description="The page the table is on (where it starts)")
    box: Box | None = None
    rows: int = Field(ge=0)
    columns: int = Field(ge=0)
    cells: list[Cell]
    engine: str = Field(description="pdfplumber (text layer), textract, ...")
    continues_on_next_page: bool = Field(
        default=False,
        description="The table runs on at the top of the next page (as the next table there)",
    )
    continued_from_previous_page: bool = False
    csv: str | None = Field(default=None, description="Its CSV file, relative to the document")

    def grid(self) -> list[list[str]]:
        """The table as rows of cell texts; a merged cell's text stands in its first slot."""
        grid = [["" for _ in range(self.columns)] for _ in range(self.rows)]
        for cell in self.cells:
            if cell.row < self.rows and cell.column < self.columns:
                grid[cell.row][cell.column] = cell.text
        return grid


class FormField(Model):
    """A key and its value, as a form has them ("Name:" "Ada Lovelace")."""

    page: int = Field(ge=1)
    key: str
    value: str
    key_box: Box | None = None
    value_box: Box | None = None
    confidence: float = Field(default=100.0, ge=0, le=100)
    engine: str


class DocumentTables(Model):
    schema_version: Literal["1"] = SCHEMA_VERSION
    document_id: str
    tables: list[Table] = Field(default_factory=list)
    fields: list[FormField] = Field(default_factory=list)
    pages_searched: list[int] = Field(
        default_factory=list, description="Pages an engine looked for tables on"
    )
    notes: list[str] = Field(
        default_factory=list, description="What was not searched, and why (e.g. OCR'd pages)"
    )
