"""Textract TABLES and FORMS: ``AnalyzeDocument`` and a paged ``GetDocumentAnalysis`` (botocore
Stubber, responses shaped like the API reference) give the same tables.json as the local path
(the text layer of a PDF drawing the same tables) gives."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import boto3
import pypdfium2 as pdfium
import pytest
from moto import mock_aws
from PIL import Image

from scriba.aws.storage import Storage
from scriba.config import Settings
from scriba.engines.aws.textract import TextractJobs, TextractOcr, analysis_from_blocks
from scriba.engines.ports import OcrPage, PageImage
from scriba.media.pdf import read_text_layer
from scriba.media.tables import find_tables, to_csv
from scriba.models.document import DocumentKind, S3Location, Source
from scriba.models.tables import DocumentTables
from scriba.models.text import Page
from scriba.stages.extract.tables import document_tables
from scriba.workflow import Document
from tests.tablemakers import Grid, Merge, table_pdf, textract_blocks

Stubbed = Callable[[str], tuple[Any, Any]]
FEATURES = ["TABLES", "FORMS"]
OUTPUT = S3Location(bucket="scriba-output", key="work/doc-1/ocr-job")

BUDGET = Grid(
    cells=[
        ["Item", "2024", "", "Notes"],
        ["", "Q1", "Q2", ""],
        ["Rent", "1,200", "1,250", "Up 4 %"],
        ["Travel", "300", "120", "Fewer trips"],
    ],
    merges=[Merge(0, 1, 1, 2), Merge(0, 0, 2, 1), Merge(0, 3, 2, 1)],
    top=200,
)
# One table over a page break: the end of page 1, the top of page 2.
FIRST = Grid(
    cells=[["Name", "Born", "Field"], ["Ada Lovelace", "1815", "Mathematics"]]
    + [["Emmy Noether", "1882", "Algebra"]] * 3,
    top=792 - 72 - 5 * 18,
)
SECOND = Grid(
    cells=[["Alan Turing", "1912", "Computing"], ["Grace Hopper", "1906", "Navy"]], top=60
)


def document() -> Document:
    return Document(
        id="doc-1",
        name="tables.pdf",
        source=Source(bucket="scriba-input", key="tables.pdf"),
        output=S3Location(bucket="scriba-output", key="documents/tables.pdf"),
        work=S3Location(bucket="scriba-output", key="work/doc-1"),
        kind=DocumentKind.PDF,
        size=1,
        sha256="0" * 64,
        pages=2,
        languages=[],
    )


def local_tables(tmp_path: Path, pages: Sequence[Sequence[Grid]]) -> DocumentTables:
    """tables.json as the local path writes it for a born-digital PDF drawing ``pages``."""
    path = tmp_path / "tables.pdf"
    path.write_bytes(table_pdf(pages))
    pdf = pdfium.PdfDocument(path)
    try:
        read: list[Page] = [
            page
            for number in range(1, len(pdf) + 1)
            if (page := read_text_layer(pdf, number).page) is not None
        ]
        found = find_tables(pdf, read)
    finally:
        pdf.close()
    return document_tables(
        document(),
        read,
        found,
        [],
        searched_text_layer=True,
        ocr_engine="tesseract",
        ocr_finds_tables=False,
    )


def textract_tables(read: Sequence[OcrPage]) -> DocumentTables:
    """tables.json as the AWS path writes it for pages Textract read."""
    return document_tables(
        document(),
        [],
        [],
        read,
        searched_text_layer=True,
        ocr_engine="textract",
        ocr_finds_tables=True,
    )


def same_tables(ours: DocumentTables, theirs: DocumentTables) -> None:
    """Same tables, cell for cell: shape, spans, text, page, continuation, CSV; boxes within a
    point. Engine, confidence and header flags are the engine's own."""

    def essentials(found: DocumentTables) -> list[Any]:
        return [
            (
                t.index,
                t.page,
                t.rows,
                t.columns,
                t.continues_on_next_page,
                t.continued_from_previous_page,
                t.csv,
                [(c.row, c.column, c.row_span, c.column_span, c.text) for c in t.cells],
                to_csv(t),
            )
            for t in found.tables
        ]

    assert essentials(ours) == essentials(theirs)
    assert ours.pages_searched == theirs.pages_searched
    for mine, other in zip(ours.tables, theirs.tables, strict=True):
        assert mine.box is not None and other.box is not None
        for name in ("left", "top", "width", "height"):
            assert getattr(mine.box, name) == pytest.approx(getattr(other.box, name), abs=0.003)
        for cell, same in zip(mine.cells, other.cells, strict=True):
            assert cell.box is not None and same.box is not None
            assert cell.box.left == pytest.approx(same.box.left, abs=0.003)
            assert cell.box.top == pytest.approx(same.box.top, abs=0.003)


def page_image() -> Image.Image:
    return Image.new("L", (1275, 1650), 255)  # a Letter page at 150 dpi


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


# -- AnalyzeDocument ------------------------------------------------------------------------------


def test_analyze_document_gives_the_tables_json_of_the_local_path(
    stubbed: Stubbed, tmp_path: Path
) -> None:
    client, stubber = stubbed("textract")
    image = page_image()
    response = {
        "DocumentMetadata": {"Pages": 1},
        "Blocks": textract_blocks(BUDGET, fields=[("Invoice no.:", "4711", 100.0)]),
        "AnalyzeDocumentModelVersion": "1.0",
    }
    stubber.add_response(
        "analyze_document",
        response,
        expected_params={"Document": {"Bytes": png(image)}, "FeatureTypes": FEATURES},
    )
    ocr = TextractOcr(Settings(textract_features=FEATURES), client=client)

    read = ocr.recognize(PageImage(3, image, 150), [])

    # The page image is page 3 of the document: so are its tables and fields (Textract says 1).
    assert [t.page for t in read.tables] == [3] and [f.page for f in read.fields] == [3]
    read = read.model_copy(
        update={
            "page": read.page.model_copy(update={"number": 1}),
            "tables": [t.model_copy(update={"page": 1}) for t in read.tables],
        }
    )
    aws = textract_tables([read])
    same_tables(local_tables(tmp_path, [[BUDGET]]), aws)
    (table,) = aws.tables
    assert table.engine == "textract" and all(c.confidence == 94.0 for c in table.cells[:1])
    assert [c.header for c in table.cells if c.row == 0] == [True, True, True]
    (field,) = aws.fields
    assert (field.key, field.value, field.confidence) == ("Invoice no.:", "4711", 90.0)
    assert field.key_box is not None and field.value_box is not None
    assert field.value_box.left == pytest.approx(200 / 612)


# -- StartDocumentAnalysis, paged results ---------------------------------------------------------


def test_a_paged_job_gives_the_tables_json_of_the_local_path_with_the_page_break(
    stubbed: Stubbed, tmp_path: Path
) -> None:
    client, stubber = stubbed("textract")
    job_id = "8e3f8a7d1b2c4e5f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f"
    metadata = {"Pages": 2}
    first = {
        "DocumentMetadata": metadata,
        "JobStatus": "SUCCEEDED",
        "NextToken": "page-2-of-the-results",
        "Blocks": textract_blocks(FIRST, 1, fields=[("Register:", "Scientists", 60.0)]),
        "AnalyzeDocumentModelVersion": "1.0",
    }
    second = {
        "DocumentMetadata": metadata,
        "JobStatus": "SUCCEEDED",
        "Blocks": textract_blocks(SECOND, 2, header_rows=0),
        "AnalyzeDocumentModelVersion": "1.0",
    }
    stubber.add_response(
        "get_document_analysis", first, expected_params={"JobId": job_id, "MaxResults": 1000}
    )
    stubber.add_response(
        "get_document_analysis",
        second,
        expected_params={"JobId": job_id, "MaxResults": 1000, "NextToken": first["NextToken"]},
    )
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="scriba-output")  # no output files: the API is paged
        jobs = TextractJobs(
            Settings(textract_features=FEATURES), client=client, storage=Storage(s3=s3)
        )
        read = list(jobs.pages(job_id, OUTPUT, sizes={1: (612.0, 792.0), 2: (612.0, 792.0)}))

    aws = textract_tables(read)
    local = local_tables(tmp_path, [[FIRST], [SECOND]])
    same_tables(local, aws)
    assert [(t.continues_on_next_page, t.continued_from_previous_page) for t in aws.tables] == [
        (True, False),
        (False, True),
    ]
    assert [(f.page, f.key, f.value) for f in aws.fields] == [(1, "Register:", "Scientists")]
    assert aws.notes == [] and aws.pages_searched == [1, 2]


def test_job_output_in_the_bucket_gives_the_same_tables(stubbed: Stubbed) -> None:
    client, _ = stubbed("textract")  # no response queued: any Textract call would fail
    job_id = "job-in-the-bucket"
    blocks = textract_blocks(FIRST, 1) + textract_blocks(SECOND, 2, header_rows=0)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="scriba-output")
        folder = f"{OUTPUT.key}/{job_id}"
        half = len(blocks) // 2 + 3  # a table's cells split over two files
        for index, part in enumerate((blocks[:half], blocks[half:]), 1):
            body = {"DocumentMetadata": {"Pages": 2}, "JobStatus": "SUCCEEDED", "Blocks": part}
            s3.put_object(Bucket="scriba-output", Key=f"{folder}/{index}", Body=_json(body))
        jobs = TextractJobs(
            Settings(textract_features=FEATURES), client=client, storage=Storage(s3=s3)
        )
        read = list(jobs.pages(job_id, OUTPUT))
    assert [len(page.tables) for page in read] == [1, 1]
    assert [t.rows for page in read for t in page.tables] == [5, 2]


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


# -- blocks ---------------------------------------------------------------------------------------


def test_check_boxes_in_cells_and_values_read_as_marks() -> None:
    grid = Grid(cells=[["Item", "Done"], ["Rent", ""]])
    blocks = textract_blocks(grid)
    cell = next(b for b in blocks if b.get("RowIndex") == 2 and b.get("ColumnIndex") == 2)
    blocks.append({"BlockType": "SELECTION_ELEMENT", "Id": "box-1", "SelectionStatus": "SELECTED"})
    cell["Relationships"] = [{"Type": "CHILD", "Ids": ["box-1"]}]
    (analysis,) = analysis_from_blocks(blocks).values()
    assert analysis.tables[0].grid() == [["Item", "Done"], ["Rent", "[x]"]]


def test_a_key_without_words_is_no_field_and_a_value_may_be_empty() -> None:
    blocks = textract_blocks(Grid(cells=[["a", "b"], ["c", "d"]]), fields=[("Signed:", "", 300)])
    (analysis,) = analysis_from_blocks(blocks).values()
    assert [(f.key, f.value) for f in analysis.fields] == [("Signed:", "")]
    blocks.append({"BlockType": "KEY_VALUE_SET", "Id": "k", "EntityTypes": ["KEY"], "Page": 1})
    (analysis,) = analysis_from_blocks(blocks).values()
    assert len(analysis.fields) == 1
