"""Assemble: merge the text-layer and OCR pages in page order; write text.json and text.txt."""

from __future__ import annotations

from typing import Any

from scriba import layout
from scriba.context import Context
from scriba.cost.units import Billed, textract_pages
from scriba.engines.ports import OcrPage
from scriba.models.manifest import ArtifactKind
from scriba.models.text import DocumentText, Page, PageSource
from scriba.stages.extract.actions import AssembleRequest, OcrJob, PageSet, text_layer_location
from scriba.stages.extract.language import (
    detect_language,
    language_sample,
    language_shares,
    page_languages,
    untranslatable,
)
from scriba.stages.extract.merge import merge_pictures, reading_runs
from scriba.stages.extract.ocr import batch_pages, job_pages
from scriba.stages.extract.tables import tables_of, write_tables
from scriba.workflow import Document, TextResult


def _ocr_pages(document: Document, job: OcrJob | None, ctx: Context[Any]) -> list[OcrPage]:
    if not document.ocr.pages:
        return []
    if job is not None:
        return job_pages(document, job, ctx)
    return batch_pages(document, ctx)


def _billed(ctx: Context[Any], job: OcrJob | None, ocr_pages: int) -> list[Billed]:
    """What the OCR engine (or job) that read the pages reports."""
    billed: list[Billed] = []
    if ocr_pages:
        engine = ctx.engines.ocr_jobs if job is not None else None
        billed.append((engine or ctx.engines.ocr).billed(ocr_pages))
    return billed


def _warnings(ctx: Context[Any], text: DocumentText, plain: str) -> list[str]:
    if not plain.strip():
        return ["no text found in the document"]
    return untranslatable(ctx, text.languages)


def merged_pages(layer: PageSet, ocr: list[Page], min_confidence: float) -> list[Page]:
    """The document's pages in order: text-layer pages, OCR'd pages (with why they were), and
    text-layer pages with what OCR read in their pictures merged in."""
    by_number = {page.number: page for page in layer.pages}
    for page in ocr:
        pictures = layer.pictures.get(page.number)
        if pictures and page.number in by_number:
            by_number[page.number] = merge_pictures(
                by_number[page.number], page, pictures, min_confidence
            )
        else:
            why = layer.reasons.get(page.number) or page.why
            by_number[page.number] = page.model_copy(update={"why": why})
    return [by_number[number] for number in sorted(by_number)]


def _how_read(pages: list[Page]) -> dict[str, Any]:
    """For the manifest: how each page was read and why, in runs of pages read alike."""
    runs, more = reading_runs(pages)
    how: dict[str, Any] = {
        "mixed_pages": sum(1 for page in pages if page.source is PageSource.MIXED),
        "reading": [run.model_dump(mode="json", exclude_none=True) for run in runs],
    }
    if more:
        how["reading_more"] = more
    return how


def assemble(request: AssembleRequest, ctx: Context[Any]) -> TextResult:
    """Merges text-layer and OCR pages in page order; writes text.json and text.txt."""
    document = request.document
    layer = ctx.storage.read_model(text_layer_location(document.work), PageSet)
    read = _ocr_pages(document, request.job, ctx)
    pages = merged_pages(layer, [found.page for found in read], ctx.settings.min_text_confidence)
    # Pages OCR read (and Textract bills), those whose pictures it read included.
    ocr_pages = [found.page for found in read]
    found, detections = page_languages(ctx, pages)
    pages = [page.model_copy(update={"language": found.get(page.number)}) for page in pages]
    shares = language_shares(pages)
    text = DocumentText(document_id=document.id, pages=pages, languages=shares)
    plain = text.plain_text
    # Most of the text's language; a document too short to tell per page is told whole.
    language = shares[0].language if shares else None
    if language is None and plain.strip():
        language = detect_language(ctx, plain) if ocr_pages else document.language
        detections.append(ctx.engines.language.billed(language_sample(plain)))
    text.language = language or document.language
    details: dict[str, Any] = {
        "pages": len(pages),
        "words": text.word_count,
        "ocr_pages": len(ocr_pages),
        **_how_read(pages),
    }
    artifacts = [
        ctx.storage.put_artifact(
            document.output,
            layout.TEXT,
            ArtifactKind.TEXT,
            text,
            language=text.language,
            details=details,
        ),
        ctx.storage.put_artifact(
            document.output,
            layout.PLAIN_TEXT,
            ArtifactKind.PLAIN_TEXT,
            plain,
            language=text.language,
        ),
    ]
    artifacts += write_tables(ctx, document, tables_of(ctx, document, layer, read))
    # A page read from its text layer, its pictures OCR'd or not: the two counts may overlap.
    text_layer_pages = sum(1 for page in pages if page.source is not PageSource.OCR)
    not_ocrd = len(pages) - len(ocr_pages)
    return TextResult(
        artifacts=artifacts,
        language=text.language,
        pages=len(pages),
        words=text.word_count,
        characters=len(plain),
        ocr_pages=len(ocr_pages),
        text_layer_pages=text_layer_pages,
        warnings=_warnings(ctx, text, plain),
        billed=detections + _billed(ctx, request.job, len(ocr_pages)),
        # What OCR would have cost without the text layer: priced as Textract would bill it.
        saved=[textract_pages(ctx.settings.textract_features, not_ocrd)],
    )
