"""The document's tables and form fields: ``tables.json`` and one CSV per table.

Two sources, one model (``scriba.models.tables``): the ruled tables inspect found in the text
layer of born-digital pages (``scriba.media.tables``, free, on by default: ``SCRIBA_TABLES``),
and what the OCR engine found on the pages it read (Textract with ``TextractFeatures`` TABLES
and/or FORMS; Tesseract finds none). Tables are numbered 1.. in document order, and a table
that ends one page and starts the next with the same columns is marked as running on.

Written only when there is something: a document without tables or form fields has no
``tables.json`` (its text artifact says ``"tables": 0``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import JsonValue

from scriba import layout
from scriba.context import Context
from scriba.engines.ports import OcrPage
from scriba.media.tables import link_continuations, to_csv
from scriba.models.manifest import Artifact, ArtifactKind
from scriba.models.tables import DocumentTables, FormField, Table
from scriba.models.text import Page
from scriba.stages.extract.actions import PageSet
from scriba.workflow import Document


def _pages(numbers: Sequence[int]) -> str:
    listed = sorted(numbers)
    shown = ", ".join(str(number) for number in listed[:10])
    return shown + (f" and {len(listed) - 10} more" if len(listed) > 10 else "")


def document_tables(
    document: Document,
    text_layer: Sequence[Page],
    text_layer_tables: Sequence[Table],
    ocr: Sequence[OcrPage],
    *,
    searched_text_layer: bool,
    ocr_engine: str,
    ocr_finds_tables: bool,
) -> DocumentTables:
    """The tables and form fields of the document, in page order, numbered 1.."""
    text_numbers = {page.number for page in text_layer}
    tables = list(text_layer_tables) if searched_text_layer else []
    fields: list[FormField] = []
    ocr_numbers = []
    for read in ocr:
        if read.page.number in text_numbers:
            continue  # a text-layer page whose pictures were OCR'd: its tables are the layer's
        ocr_numbers.append(read.page.number)
        tables.extend(read.tables)
        fields.extend(read.fields)
    tables.sort(key=lambda t: (t.page, t.box.top if t.box else 0.0, t.box.left if t.box else 0.0))
    pages = {page.number: page for page in text_layer} | {
        read.page.number: read.page for read in ocr
    }
    tables = link_continuations(tables, pages)
    notes: list[str] = []
    searched = sorted(text_numbers) if searched_text_layer else []
    if text_numbers and not searched_text_layer:
        notes.append("the text layer was not searched for tables (SCRIBA_TABLES is off)")
    if ocr_numbers and ocr_finds_tables:
        searched.extend(ocr_numbers)
    elif ocr_numbers:
        notes.append(
            f"page(s) {_pages(ocr_numbers)} were OCR'd by {ocr_engine}, which finds no tables"
            + (" unless asked (TextractFeatures TABLES, FORMS)" if ocr_engine == "textract" else "")
        )
    fields.sort(key=lambda f: (f.page, f.key_box.top if f.key_box else 0.0))
    return DocumentTables(
        document_id=document.id,
        tables=[
            table.model_copy(update={"index": index, "csv": layout.table_csv_path(index)})
            for index, table in enumerate(tables, 1)
        ],
        fields=fields,
        pages_searched=sorted(set(searched)),
        notes=notes,
    )


def write_tables(ctx: Context[Any], document: Document, found: DocumentTables) -> list[Artifact]:
    """``tables.json`` and a CSV per table, when there are any tables or form fields."""
    if not found.tables and not found.fields:
        return []
    pages: list[JsonValue] = []
    pages.extend(sorted({table.page for table in found.tables}))
    artifacts = [
        ctx.storage.put_artifact(
            document.output,
            layout.TABLES,
            ArtifactKind.TABLES,
            found,
            details={
                "tables": len(found.tables),
                "form_fields": len(found.fields),
                "pages": pages,
            },
        )
    ]
    for table in found.tables:
        assert table.csv is not None
        artifacts.append(
            ctx.storage.put_artifact(
                document.output,
                table.csv,
                ArtifactKind.TABLE_CSV,
                to_csv(table),
                media_type="text/csv",
                details={
                    "table": table.index,
                    "page": table.page,
                    "rows": table.rows,
                    "columns": table.columns,
                },
            )
        )
    return artifacts


def tables_of(
    ctx: Context[Any], document: Document, layer: PageSet, read: Sequence[OcrPage]
) -> DocumentTables:
    """The document's tables from what inspect kept of the text layer and what OCR read."""
    settings = ctx.settings
    asked = {"TABLES", "FORMS"} & set(settings.textract_features)
    return document_tables(
        document,
        layer.pages,
        layer.tables,
        read,
        searched_text_layer=settings.tables,
        ocr_engine=ctx.engines.ocr.name,
        ocr_finds_tables=settings.engines == "aws" and bool(asked),
    )
