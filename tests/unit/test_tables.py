"""Tables in the text layer (scriba.media.tables): generated born-digital tables round-trip
against the data that drew them; the corpus's table against pdfplumber's reading; tables.json
and the CSVs as the extract stage writes them."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import pdfplumber
import pypdfium2 as pdfium
import pytest
from fpdf import FPDF
from reportlab.lib import colors
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as ReportLabTable

from scriba.media.pdf import read_text_layer
from scriba.media.tables import find_tables, to_csv
from scriba.models.document import DocumentKind, S3Location, Source
from scriba.models.tables import DocumentTables, Table
from scriba.models.text import Page
from scriba.stages.extract.tables import document_tables
from scriba.workflow import Document
from tests.tablemakers import Grid, Merge, Style, table_pdf

CORPUS = Path("/work/shared/corpus")
STYLES: list[Style] = ["lines", "cells", "one-path", "filled"]

PEOPLE = Grid(
    cells=[
        ["Name", "Born", "Field", "Country"],
        ["Ada Lovelace", "1815", "Mathematics", "England"],
        ["Emmy Noether", "1882", "Algebra", "Germany"],
        ["Marie Curie", "1867", "Physics, Chemistry", "Poland"],
        ["Alan Turing", "1912", "Computing", ""],
    ]
)
# A header over two columns and a cell over two rows.
BUDGET = Grid(
    cells=[
        ["Item", "2024", "", "Notes"],
        ["", "Q1", "Q2", ""],
        ["Rent", "1,200", "1,250", "Up 4 %"],
        ["Staff", "8,000", "8,100", ""],
        ["Travel", "300", "120", "Fewer trips"],
    ],
    merges=[Merge(0, 1, 1, 2), Merge(0, 0, 2, 1), Merge(0, 3, 2, 1)],
    top=300,
)


def pdf_path(tmp_path: Path, data: bytes, name: str = "tables.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def read_tables(path: Path) -> tuple[list[Page], list[Table]]:
    document = pdfium.PdfDocument(path)
    try:
        pages = [
            page
            for number in range(1, len(document) + 1)
            if (page := read_text_layer(document, number).page) is not None
        ]
        return pages, find_tables(document, pages)
    finally:
        document.close()


def shape(table: Table) -> list[tuple[int, int, int, int, str]]:
    return [(c.row, c.column, c.row_span, c.column_span, c.text) for c in table.cells]


def expected_shape(grid: Grid) -> list[tuple[int, int, int, int, str]]:
    return sorted((r, c, rs, cs, grid.cells[r][c]) for r, c, rs, cs in grid.spans())


# -- generated tables -----------------------------------------------------------------------------


@pytest.mark.parametrize("style", STYLES)
def test_a_generated_table_round_trips_whatever_draws_its_rules(
    tmp_path: Path, style: Style
) -> None:
    _, tables = read_tables(pdf_path(tmp_path, table_pdf([[PEOPLE]], style)))
    (table,) = tables
    assert (table.page, table.rows, table.columns) == (1, PEOPLE.rows, PEOPLE.columns)
    assert shape(table) == expected_shape(PEOPLE)
    assert table.grid() == PEOPLE.cells
    assert table.engine == "pdfium-rules" and all(c.confidence == 100 for c in table.cells)
    # Boxes are fractions of the page, origin top-left, where the generator drew the table.
    assert table.box is not None
    left, top, right, bottom = PEOPLE.rectangle(0, 0, PEOPLE.rows, PEOPLE.columns)
    assert table.box.left == pytest.approx(left / 612, abs=0.005)
    assert table.box.top == pytest.approx(top / 792, abs=0.005)
    assert table.box.width == pytest.approx((right - left) / 612, abs=0.005)
    assert table.box.height == pytest.approx((bottom - top) / 792, abs=0.005)


@pytest.mark.parametrize("style", ["lines", "cells"])
def test_merged_cells_keep_their_spans_and_their_text_in_the_first_slot(
    tmp_path: Path, style: Style
) -> None:
    _, tables = read_tables(pdf_path(tmp_path, table_pdf([[BUDGET]], style)))
    (table,) = tables
    assert (table.rows, table.columns) == (5, 4)
    assert shape(table) == expected_shape(BUDGET)
    assert table.grid() == BUDGET.cells
    rows = list(csv.reader(io.StringIO(to_csv(table))))
    assert rows == BUDGET.cells


def test_two_tables_on_a_page_and_prose_around_them(tmp_path: Path) -> None:
    text = [[(90, ["A paragraph before the tables."]), (420, ["And one after them."])]]
    _, tables = read_tables(pdf_path(tmp_path, table_pdf([[PEOPLE, BUDGET]], text=text)))
    assert [shape(t) for t in tables] == [expected_shape(PEOPLE), expected_shape(BUDGET)]
    assert [t.index for t in tables] == [1, 2]


def test_a_table_running_over_a_page_break_is_linked(tmp_path: Path) -> None:
    first = Grid(cells=PEOPLE.cells, top=792 - 72 - 5 * 18)  # ends near the bottom margin
    second = Grid(cells=[["Grace Hopper", "1906", "Computing", "USA"]] * 3, top=60)
    text = [[(100, ["Scientists, by year of birth:"]), (770, ["Page 1"])], [(770, ["Page 2"])]]
    _, tables = read_tables(pdf_path(tmp_path, table_pdf([[first], [second]], text=text)))
    assert [(t.page, t.continues_on_next_page, t.continued_from_previous_page) for t in tables] == [
        (1, True, False),
        (2, False, True),
    ]


def test_tables_that_only_happen_to_be_on_consecutive_pages_are_not_linked(
    tmp_path: Path,
) -> None:
    text = [[], [(60, ["A new section starts here, before another table."])]]
    pages = [[PEOPLE], [Grid(cells=PEOPLE.cells, top=200)]]
    _, tables = read_tables(pdf_path(tmp_path, table_pdf(pages, text=text)))
    assert len(tables) == 2
    assert not any(t.continues_on_next_page or t.continued_from_previous_page for t in tables)


def test_a_box_around_text_and_a_grid_without_text_are_not_tables(tmp_path: Path) -> None:
    framed = Grid(cells=[["Note: this paragraph is framed."]], top=100)
    empty = Grid(cells=[["", "", ""]] * 3, top=300)
    _, tables = read_tables(pdf_path(tmp_path, table_pdf([[framed, empty]])))
    assert tables == []


# -- the corpus -----------------------------------------------------------------------------------


def test_the_google_docs_table_reads_as_pdfplumber_reads_it() -> None:
    path = CORPUS / "google-doc-document.pdf"
    _, tables = read_tables(path)
    (table,) = tables
    assert (table.page, table.rows, table.columns) == (1, 5, 6)
    with pdfplumber.open(path) as pdf:
        (theirs,) = pdf.pages[0].extract_tables()

    def clean(text: str | None) -> str:
        # pdfplumber keeps the flag glyphs (private-use characters) that the text layer drops,
        # and runs a footnote mark into its number ("273.879.7501"): compare without spaces.
        kept = "".join(ch for ch in text or "" if not 0xF0000 <= ord(ch) <= 0x10FFFF)
        return "".join(kept.split())

    ours = [[clean(cell) for cell in row] for row in table.grid()]
    assert ours == [[clean(cell) for cell in row] for row in theirs]
    assert table.grid()[2] == ["Capital", "Jakarta", "Berlin", "Vienna", "Paris", "Vatican City"]


# -- tables drawn by producers of other hands ---------------------------------------------------

BUDGET_ROWS = [
    ["Region", "Q1", "Q2", "Notes"],
    ["North", "1,200", "1,250", "Up 4 %"],
    ["South", "8,000", "8,100", "Two sites"],
    ["East", "300", "120", "Fewer trips"],
]
REGISTER = [["Employer", "City", "Workers", "Date"]] + [
    [f"Company {n}", f"Town {n % 7}", str(10 + n), f"2024-0{1 + n % 9}-1{n % 10}"]
    for n in range(70)
]


def test_reportlab_tables_merged_cells_and_a_register_over_three_pages(tmp_path: Path) -> None:
    """ReportLab's platypus Table: a grid with a cell spanning two rows, then a 70-row register
    whose header repeats on every page it runs over."""
    path = tmp_path / "reportlab.pdf"
    styles = getSampleStyleSheet()
    budget = ReportLabTable(BUDGET_ROWS)
    budget.setStyle(
        TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("SPAN", (3, 2), (3, 3))])
    )
    register = ReportLabTable(REGISTER, repeatRows=1)
    register.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey)]))
    SimpleDocTemplate(str(path), pagesize=letter).build(
        [Paragraph("Budget", styles["Heading1"]), budget, Spacer(1, 20), register]
    )
    _, tables = read_tables(path)
    first, *register_parts = tables
    # The spanning cell is one cell over two rows, its text the first's.
    assert first.grid() == [*BUDGET_ROWS[:3], ["East", "300", "120", ""]]
    notes = next(c for c in first.cells if (c.row, c.column) == (2, 3))
    assert (notes.row_span, notes.column_span, notes.text) == (2, 1, "Two sites")
    # The register: each page's part with its repeated header, linked page to page, and every
    # row of the data once.
    assert [t.page for t in register_parts] == [1, 2, 3]
    assert [(t.continued_from_previous_page, t.continues_on_next_page) for t in register_parts] == [
        (False, True),
        (True, True),
        (True, False),
    ]
    rows = [row for t in register_parts for row in t.grid()[1:]]
    assert all(t.grid()[0] == REGISTER[0] for t in register_parts)
    assert rows == REGISTER[1:]


def test_an_fpdf2_table_round_trips(tmp_path: Path) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    with pdf.table() as table:
        for cells in BUDGET_ROWS:
            row = table.row()
            for text in cells:
                row.cell(text)
    path = tmp_path / "fpdf2.pdf"
    pdf.output(str(path))
    _, tables = read_tables(path)
    (found,) = tables
    assert found.grid() == BUDGET_ROWS


@pytest.mark.parametrize(
    "name",
    [
        "minimal-document.pdf",
        "002-trivial-libre-office-writer.pdf",
        "crazyones-pdfa.pdf",
        "pdflatex-4-pages.pdf",
        "multicolumn.pdf",
        "pdflatex-forms.pdf",
        "pdflatex-image.pdf",
        "habibi.pdf",
    ],
)
def test_corpus_documents_without_tables_have_none(name: str) -> None:
    _, tables = read_tables(CORPUS / name)
    assert tables == []


def test_the_figures_of_a_lecture_book_are_not_tables() -> None:
    """117 pages of plots and diagrams (grids, axes, boxed formulas): at most the one lattice
    figure of page 56 (a grid of cells with a mark in every other one) reads as a table."""
    _, tables = read_tables(CORPUS / "GeoTopo-komprimiert.pdf")
    assert [t.page for t in tables] in ([], [56])


def test_pages_without_rules_cost_next_to_nothing(tmp_path: Path) -> None:
    lines = [f"Line {n} of a page of prose with no drawing on it at all." for n in range(40)]
    path = pdf_path(tmp_path, table_pdf([[]] * 200, text=[[(60, lines)]] * 200))
    document = pdfium.PdfDocument(path)
    pages = [p for n in range(1, 201) if (p := read_text_layer(document, n).page) is not None]
    started = time.perf_counter()
    assert find_tables(document, pages) == []
    elapsed = time.perf_counter() - started
    document.close()
    assert elapsed < 0.5, f"{elapsed:.2f} s for 200 pages without rules"


# -- tables.json ----------------------------------------------------------------------------------


def document() -> Document:
    source = Source(bucket="scriba-input", key="tables.pdf")
    return Document(
        id="doc-1",
        name="tables.pdf",
        source=source,
        output=S3Location(bucket="scriba-output", key="documents/tables.pdf"),
        work=S3Location(bucket="scriba-output", key="work/doc-1"),
        kind=DocumentKind.PDF,
        size=1,
        sha256="0" * 64,
        pages=2,
        languages=[],
    )


def test_document_tables_number_link_and_name_the_csvs(tmp_path: Path) -> None:
    first = Grid(cells=PEOPLE.cells, top=792 - 72 - 5 * 18)
    second = Grid(cells=[["Grace Hopper", "1906", "Computing", "USA"]] * 3, top=60)
    pages, tables = read_tables(pdf_path(tmp_path, table_pdf([[BUDGET, first], [second]])))
    found = document_tables(
        document(),
        pages,
        tables,
        [],
        searched_text_layer=True,
        ocr_engine="tesseract",
        ocr_finds_tables=False,
    )
    assert [(t.index, t.page, t.csv) for t in found.tables] == [
        (1, 1, "tables/table-001.csv"),
        (2, 1, "tables/table-002.csv"),
        (3, 2, "tables/table-003.csv"),
    ]
    assert found.tables[1].continues_on_next_page and found.tables[2].continued_from_previous_page
    assert found.pages_searched == [1, 2] and found.notes == []
    assert DocumentTables.model_validate_json(found.model_dump_json()) == found


# -- the results page -----------------------------------------------------------------------------


def test_the_results_page_shows_each_table_its_csv_and_the_form_fields(tmp_path: Path) -> None:
    from scriba.models.manifest import Artifact, ArtifactKind, Status
    from scriba.models.tables import Cell, FormField
    from scriba.report import INDEX, write_report
    from tests.unit.test_report import manifest, parse, write

    folder = tmp_path / "budget.pdf"
    cells = [
        Cell(row=0, column=0, column_span=2, text="Item <b>2024</b>", header=True),
        Cell(row=1, column=0, text="Rent"),
        Cell(row=1, column=1, text="1,200"),
        *[Cell(row=r, column=c, text=f"{r}.{c}") for r in range(2, 20) for c in range(2)],
    ]
    table = Table(
        index=1,
        page=2,
        rows=20,
        columns=2,
        cells=cells,
        engine="pdfium-rules",
        continues_on_next_page=True,
        csv="tables/table-001.csv",
    )
    found = DocumentTables(
        document_id="d" * 24,
        tables=[table],
        fields=[FormField(page=1, key="Invoice no.:", value="4711", engine="textract")],
        pages_searched=[1, 2],
        notes=["page(s) 3 were OCR'd by tesseract, which finds no tables"],
    )
    write(folder, "tables.json", found.model_dump_json())
    write(folder, "tables/table-001.csv", to_csv(table))
    write(folder, "text.txt", "Budget")
    artifacts = [
        Artifact(kind=ArtifactKind.PLAIN_TEXT, path="text.txt"),
        Artifact(kind=ArtifactKind.TABLES, path="tables.json"),
        Artifact(kind=ArtifactKind.TABLE_CSV, path="tables/table-001.csv"),
    ]
    write(
        folder,
        "manifest.json",
        manifest("budget.pdf", Status.SUCCEEDED, pages=3, artifacts=artifacts).model_dump_json(),
    )
    write_report(tmp_path)
    section = parse(folder / INDEX).section("Tables and form fields")

    caption = section.find("figcaption").words
    assert caption.startswith("Table 1 · page 2 · 20 × 2")
    assert "continues on page 3" in caption
    link = section.find("figcaption").find("a")
    assert link.words == "CSV" and (folder / link.attrs["href"]).is_file()
    header = section.find("th")
    assert header.words == "Item <b>2024</b>" and header.attrs["colspan"] == "2"  # escaped
    assert len(section.find_all("tr")) == 12 and "8 more rows in the CSV." in section.words
    (form,) = section.find("dl", class_="fields").find_all("div")
    assert (form.find("dt").words, form.find("dd").words) == ("Invoice no.:", "4711 page 1, 100%")
    assert "which finds no tables" in section.words
