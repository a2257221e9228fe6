"""Assemble: merge the text-layer and OCR pages in page order; write text.json and text.txt."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

from scriba import layout
from scriba.aws.storage import JSON, PLAIN_TEXT
from scriba.context import Context
from scriba.cost.units import Billed, textract_pages
from scriba.engines.ports import OcrPage
from scriba.models.manifest import ArtifactKind
from scriba.models.text import Box, DocumentText, LanguageShare, Page, PageSource
from scriba.stages.extract.actions import (
    AssembleRequest,
    OcrJob,
    PageSet,
    text_layer_location,
    text_layer_pages_location,
)
from scriba.stages.extract.language import (
    LANGUAGE_SAMPLE_CHARS,
    PageFacts,
    detect_language,
    language_sample,
    language_shares,
    page_languages,
    untranslatable,
)
from scriba.stages.extract.merge import merge_pictures, reading_runs
from scriba.stages.extract.ocr import batch_pages, job_pages
from scriba.stages.extract.spool import PageSpool, stored_pages
from scriba.stages.extract.tables import tables_of, write_tables
from scriba.workflow import Document, TextResult


def _ocr_pages(document: Document, job: OcrJob | None, ctx: Context[Any]) -> Iterator[OcrPage]:
    """The OCR'd pages in page order: a batch's one at a time from the bucket; a job's as its
    reader gives them."""
    if not document.ocr.pages:
        return iter(())
    if job is not None:
        return job_pages(document, job, ctx)  # in page order: the job's pages are the plan's
    return batch_pages(document, ctx)


def _billed(ctx: Context[Any], job: OcrJob | None, ocr_pages: int) -> list[Billed]:
    """What the OCR engine (or job) that read the pages reports."""
    billed: list[Billed] = []
    if ocr_pages:
        engine = ctx.engines.ocr_jobs if job is not None else None
        billed.append((engine or ctx.engines.ocr).billed(ocr_pages))
    return billed


def _warnings(ctx: Context[Any], shares: list[LanguageShare], has_text: bool) -> list[str]:
    if not has_text:
        return ["no text found in the document"]
    return untranslatable(ctx, shares)


def merge_in_order(
    layer: Iterable[Page],
    ocr: Iterable[Page],
    pictures: Mapping[int, list[Box]],
    reasons: Mapping[int, str],
    min_confidence: float,
) -> Iterator[Page]:
    """The document's pages in order, one at a time, from the text-layer pages and the OCR'd
    pages (each in page order): an OCR'd page with why it was; a text-layer page OCR'd for its
    pictures with what OCR read in them merged in; the other text-layer pages as they are."""
    read = iter(ocr)
    pending = next(read, None)

    def ocr_page(page: Page) -> Page:
        return page.model_copy(update={"why": reasons.get(page.number) or page.why})

    for page in layer:
        while pending is not None and pending.number < page.number:
            yield ocr_page(pending)
            pending = next(read, None)
        if pending is not None and pending.number == page.number:
            found = pictures.get(page.number)
            yield (
                merge_pictures(page, pending, found, min_confidence) if found else ocr_page(pending)
            )
            pending = next(read, None)
        else:
            yield page
    while pending is not None:
        yield ocr_page(pending)
        pending = next(read, None)


@dataclass(frozen=True)
class _Seen:
    """What assemble keeps of a page once it is spooled: how it was read, and its facts."""

    facts: PageFacts
    source: PageSource
    why: str | None
    words: int

    @property
    def number(self) -> int:
        return self.facts.number


def _how_read(pages: Sequence[_Seen]) -> dict[str, Any]:
    """For the manifest: how each page was read and why, in runs of pages read alike."""
    runs, more = reading_runs(pages)
    how: dict[str, Any] = {
        "mixed_pages": sum(1 for page in pages if page.source is PageSource.MIXED),
        "reading": [run.model_dump(mode="json", exclude_none=True) for run in runs],
    }
    if more:
        how["reading_more"] = more
    return how


def _layer_pages(document: Document, layer: PageSet, ctx: Context[Any]) -> Iterable[Page]:
    # A text-layer file of an earlier version holds its pages; now they are spooled apart.
    if layer.pages:
        return layer.pages
    return stored_pages(ctx.storage, text_layer_pages_location(document.work))


def _stub(page: Page) -> Page:
    """A page without its lines: its number and size, for the tables of the document."""
    return page.model_copy(update={"lines": []})


def _text_json(
    document: Document,
    language: str | None,
    shares: list[LanguageShare],
    pages: PageSpool,
    languages: Mapping[int, str],
) -> IO[bytes]:
    """text.json written to a local file a page at a time, each page with its language; the
    same document as ``DocumentText`` (a page a line), without holding every page at once."""
    head = DocumentText(
        document_id=document.id, language=language, languages=shares, pages=[]
    ).model_dump(mode="json")
    del head["pages"]
    out = tempfile.TemporaryFile(suffix=".json")  # noqa: SIM115  (closed by the caller)
    out.write(json.dumps(head, ensure_ascii=False)[:-1].encode("utf-8") + b', "pages": [\n')
    for index, page in enumerate(pages):
        page.language = languages.get(page.number)
        out.write((b",\n" if index else b"") + page.model_dump_json().encode("utf-8"))
    out.write(b"\n]}\n")
    out.seek(0)
    return out


def assemble(request: AssembleRequest, ctx: Context[Any]) -> TextResult:
    """Merges text-layer and OCR pages in page order, a page at a time; writes text.json and
    text.txt. Memory holds a few facts per page, not the pages (``spool``)."""
    document = request.document
    layer = ctx.storage.read_model(text_layer_location(document.work), PageSet)
    table_pages = {table.page for table in layer.tables}
    read: list[OcrPage] = []  # what tables need of the OCR'd pages: their tables and fields

    def ocr_pages() -> Iterator[Page]:
        for found in _ocr_pages(document, request.job, ctx):
            keep = found.page if found.tables else _stub(found.page)
            read.append(OcrPage(page=keep, tables=found.tables, fields=found.fields))
            yield found.page

    seen: list[_Seen] = []
    layer_kept: list[Page] = []  # text-layer pages for tables: whole where a table is
    sample, characters = "", 0
    with PageSpool() as pages, tempfile.TemporaryFile(suffix=".txt") as plain:
        for page in merge_in_order(
            _layer_pages(document, layer, ctx),
            ocr_pages(),
            layer.pictures,
            layer.reasons,
            ctx.settings.min_text_confidence,
        ):
            pages.add(page)
            text = ("\f" if seen else "") + page.text  # pages apart by a form feed (pdftotext)
            plain.write(text.encode("utf-8"))
            characters += len(text)
            if len(sample) < LANGUAGE_SAMPLE_CHARS:
                sample += text
            if page.source is not PageSource.OCR:
                layer_kept.append(page if page.number in table_pages else _stub(page))
            seen.append(_Seen(PageFacts.of(page), page.source, page.why, page.word_count))
        found, detections = page_languages(ctx, [s.facts for s in seen])
        shares = language_shares([s.facts for s in seen], found)
        # Most of the text's language; a document too short to tell per page is told whole.
        language = shares[0].language if shares else None
        has_text = bool(sample.strip())
        if language is None and has_text:
            language = detect_language(ctx, sample) if read else document.language
            detections.append(ctx.engines.language.billed(language_sample(sample)))
        language = language or document.language
        words = sum(s.words for s in seen)
        details: dict[str, Any] = {
            "pages": len(seen),
            "words": words,
            "ocr_pages": len(read),
            **_how_read(seen),
        }
        with _text_json(document, language, shares, pages, found) as text_json:
            artifacts = [
                ctx.storage.put_artifact(
                    document.output,
                    layout.TEXT,
                    ArtifactKind.TEXT,
                    text_json,
                    media_type=JSON,
                    language=language,
                    details=details,
                )
            ]
        plain.seek(0)
        artifacts.append(
            ctx.storage.put_artifact(
                document.output,
                layout.PLAIN_TEXT,
                ArtifactKind.PLAIN_TEXT,
                plain,
                media_type=PLAIN_TEXT,
                language=language,
            )
        )
    with_layer = layer.model_copy(update={"pages": layer_kept})
    artifacts += write_tables(ctx, document, tables_of(ctx, document, with_layer, read))
    # A page read from its text layer, its pictures OCR'd or not: the two counts may overlap.
    text_layer_pages = sum(1 for s in seen if s.source is not PageSource.OCR)
    not_ocrd = len(seen) - len(read)
    return TextResult(
        artifacts=artifacts,
        language=language,
        pages=len(seen),
        words=words,
        characters=characters,
        ocr_pages=len(read),
        text_layer_pages=text_layer_pages,
        warnings=_warnings(ctx, shares, has_text),
        billed=detections + _billed(ctx, request.job, len(read)),
        # What OCR would have cost without the text layer: priced as Textract would bill it.
        saved=[textract_pages(ctx.settings.textract_features, not_ocrd)],
    )
