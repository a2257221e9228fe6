"""Assemble: merge the text-layer and OCR pages in page order; write text.json and text.txt."""

from __future__ import annotations

from typing import Any

from scriba import layout
from scriba.context import Context
from scriba.cost.units import Billed, textract_pages
from scriba.engines.ports import OcrPage
from scriba.models.manifest import ArtifactKind
from scriba.models.text import DocumentText
from scriba.stages.extract.actions import AssembleRequest, OcrJob, PageSet, text_layer_location
from scriba.stages.extract.language import detect_language, language_sample
from scriba.stages.extract.ocr import batch_pages, job_pages
from scriba.workflow import Document, TextResult


def _ocr_pages(document: Document, job: OcrJob | None, ctx: Context[Any]) -> list[OcrPage]:
    if not document.ocr.pages:
        return []
    if job is not None:
        return job_pages(document, job, ctx)
    return batch_pages(document, ctx)


def _billed(ctx: Context[Any], job: OcrJob | None, ocr_pages: int, text: str) -> list[Billed]:
    """What the OCR engine (or job) that read the pages reports, and one language detection of
    the document's text."""
    billed = [ctx.engines.language.billed(language_sample(text))]
    if ocr_pages:
        engine = ctx.engines.ocr_jobs if job is not None else None
        billed.append((engine or ctx.engines.ocr).billed(ocr_pages))
    return billed


def assemble(request: AssembleRequest, ctx: Context[Any]) -> TextResult:
    """Merges text-layer and OCR pages in page order; writes text.json and text.txt."""
    document = request.document
    pages = ctx.storage.read_model(text_layer_location(document.work), PageSet).pages
    ocr_pages = [read.page for read in _ocr_pages(document, request.job, ctx)]
    pages = sorted([*pages, *ocr_pages], key=lambda page: page.number)
    text = DocumentText(document_id=document.id, pages=pages)
    plain = text.plain_text
    language = document.language if not ocr_pages else detect_language(ctx, plain)
    text.language = language or document.language
    details: dict[str, Any] = {
        "pages": len(pages),
        "words": text.word_count,
        "ocr_pages": len(ocr_pages),
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
    text_layer_pages = len(pages) - len(ocr_pages)
    return TextResult(
        artifacts=artifacts,
        language=text.language,
        pages=len(pages),
        words=text.word_count,
        characters=len(plain),
        ocr_pages=len(ocr_pages),
        text_layer_pages=text_layer_pages,
        warnings=[] if plain.strip() else ["no text found in the document"],
        billed=_billed(ctx, request.job, len(ocr_pages), plain),
        # What OCR would have cost without the text layer: priced as Textract would bill it.
        saved=[textract_pages(ctx.settings.textract_features, text_layer_pages)],
    )
