"""Inspect: check the source, reuse earlier results of the same bytes, read the text layer of
every page, and plan OCR for the pages without a usable one.

The text layer is read here (pdfium, thousands of pages a second), so only pages that need it
are OCR'd. Limits are enforced before any expensive work: bytes, pages, pixels.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scriba import layout
from scriba.aws.storage import StoredObject
from scriba.context import Context
from scriba.errors import (
    BadDocument,
    CorruptDocument,
    DecompressionBomb,
    DocumentTooLarge,
    EmptyDocument,
    ScribaError,
    TooManyPages,
    UnsupportedLanguage,
)
from scriba.media.intake import SNIFF_BYTES, sniff
from scriba.media.warnings import merged_warnings
from scriba.models.document import DocumentKind, S3Location, Source
from scriba.models.tables import Table
from scriba.models.text import Box, Page
from scriba.stages import reuse
from scriba.stages.extract.actions import (
    InspectRequest,
    PageSet,
    PageSizes,
    page_sizes_location,
    text_layer_location,
    text_layer_pages_location,
)
from scriba.stages.extract.language import LANGUAGE_SAMPLE_CHARS, detect_language, ocr_hints
from scriba.stages.extract.ocr import plan_ocr
from scriba.stages.extract.spool import PageSpool, upload_pages
from scriba.workflow import Document, OcrPlan, Options

if TYPE_CHECKING:
    from collections.abc import Callable

    import pypdfium2 as pdfium

    from scriba.config import Settings
    from scriba.media.tables import PageDrawing

logger = logging.getLogger(__name__)


@dataclass
class Reading:
    """What reading the pages found: the text-layer pages, the pages that need OCR (and their
    sizes, for a PDF), and a warning per page that could not be read."""

    count: int
    # Spooled to a local file as they are read: a long document's pages never all in memory.
    text_pages: PageSpool = field(default_factory=PageSpool)
    # The start of the text layer, to tell the document's language.
    sample: str = ""
    needs_ocr: list[int] = field(default_factory=list)
    sizes: dict[int, tuple[float, float]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # Text-layer pages OCR'd too, for the pictures on them that hold text the layer lacks.
    pictures: dict[int, list[Box]] = field(default_factory=dict)
    # Why each page OCR'd whole is (no text layer, mojibake, ...).
    reasons: dict[int, str] = field(default_factory=dict)
    # The ruled tables on the text-layer pages (scriba.media.tables), and the rules they are
    # made of, read while each page is loaded for its text layer.
    tables: list[Table] = field(default_factory=list)
    # The text-layer pages that hold a table: linking a table over a page break looks at them.
    table_pages: dict[int, Page] = field(default_factory=dict)

    def page_set(self) -> PageSet:
        """What assemble needs of this reading besides the text-layer pages (spooled): their
        tables, and how the rest is read."""
        return PageSet(pages=[], tables=self.tables, pictures=self.pictures, reasons=self.reasons)

    def keep(self, page: Page) -> None:
        self.text_pages.add(page)
        if len(self.sample) < LANGUAGE_SAMPLE_CHARS:
            self.sample += ("\n" if self.sample else "") + page.text


def target_languages(options: Options, settings: Settings, name: str) -> list[str]:
    """The languages asked for (the request's, else the settings'), checked and deduplicated."""
    languages = options.languages if options.languages is not None else settings.languages
    cleaned: list[str] = []
    for language in languages:
        code = language.strip().lower()
        if not (2 <= len(code) <= 8 and code.replace("-", "").isalpha()):
            raise UnsupportedLanguage(
                f"{language!r} is not a language code (use e.g. es, fr)", document=name
            )
        if code not in cleaned:
            cleaned.append(code)
    return cleaned


def _checked(source: Source, stored: StoredObject, settings: Settings) -> Source:
    """The source with what the bucket says of it, once its size is within the limits."""
    if stored.size == 0:
        raise EmptyDocument("the file is empty (0 bytes)", document=source.key)
    if stored.size > settings.max_document_bytes:
        raise DocumentTooLarge(
            f"{stored.size} bytes is over the limit of {settings.max_document_bytes} bytes",
            document=source.key,
        )
    return source.model_copy(
        update={
            "version_id": source.version_id or stored.version_id,
            "etag": source.etag or stored.etag,
            "size": stored.size,
        }
    )


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(SNIFF_BYTES)


def _within_page_limit(count: int, settings: Settings, name: str) -> None:
    if count > settings.max_pages:
        raise TooManyPages(
            f"{count} pages is over the limit of {settings.max_pages}", document=name
        )


def _without_name(error: ScribaError, name: str) -> str:
    return str(error).removeprefix(f"{name}: ")


def _read_page(
    document: pdfium.PdfDocument, number: int, settings: Settings, reading: Reading
) -> None:
    from scriba.media import pdf  # noqa: PLC0415  (pypdfium2: only the extract function)

    drawings: dict[int, PageDrawing | None] = {}
    visit = _table_rules(number, drawings) if settings.tables else None
    layer = pdf.read_text_layer(document, number, visit=visit)
    if layer.page is None or not settings.text_layer_fast_path:
        pdf.check_picture_sizes(document, number, settings.max_image_pixels)
        reading.reasons[number] = (
            layer.why if layer.page is None else "OCR of every page was asked for"
        )
    else:
        page = layer.page.model_copy(update={"why": layer.why})
        reading.keep(page)
        if settings.tables:
            _find_tables(drawings.get(number), page, reading)
        if not layer.pictures:
            return
        try:
            pdf.check_picture_sizes(document, number, settings.max_image_pixels)
        except DecompressionBomb as error:  # the text layer stands; only the pictures are lost
            message = str(error).removeprefix(f"{error.document}: ")
            reading.warnings.append(f"{message}; its pictures are not OCR'd")
            return
        reading.pictures[number] = list(layer.pictures)
    reading.sizes[number] = pdf.page_size(document, number)
    reading.needs_ocr.append(number)


def _table_rules(
    number: int, drawings: dict[int, PageDrawing | None]
) -> Callable[[pdfium.PdfPage], None]:
    """Keeps what a loaded text-layer page draws that could make a table."""
    from scriba.media import tables  # noqa: PLC0415  (pypdfium2)

    def visit(loaded: pdfium.PdfPage) -> None:
        drawings[number] = tables.page_drawing(loaded)

    return visit


def _find_tables(drawing: PageDrawing | None, page: Page, reading: Reading) -> None:
    """The ruled tables of one text-layer page, found while the page is at hand."""
    from scriba.media import tables  # noqa: PLC0415  (pypdfium2)

    found = tables.tables_in(drawing, page)
    if found:
        reading.tables.extend(found)
        reading.table_pages[page.number] = page


def _tables(reading: Reading) -> list[Table]:
    """The ruled tables of the text-layer pages, in document order, numbered and linked."""
    from scriba.media import tables  # noqa: PLC0415  (pypdfium2)

    return tables.numbered(reading.tables, list(reading.table_pages.values()))


def read_pdf(path: Path, name: str, settings: Settings) -> Reading:
    """The text layer of every page, and the pages that need OCR.

    A page pdfium cannot load, or holding a picture over ``max_image_pixels``, cannot be read
    nor rendered: it is skipped, with a warning, and the rest of the document is processed.
    When no page at all can be read, the document fails with the first page's error.
    """
    from scriba.media import pdf  # noqa: PLC0415

    with pdf.pdf_document(path, name) as document:
        reading = Reading(count=pdf.page_count(document))
        _within_page_limit(reading.count, settings, name)
        skipped: list[BadDocument] = []
        for number in range(1, reading.count + 1):
            try:
                _read_page(document, number, settings, reading)
            except (CorruptDocument, DecompressionBomb) as error:
                skipped.append(error)
                reading.warnings.append(f"{_without_name(error, name)}; the page is skipped")
        if settings.tables and settings.text_layer_fast_path:
            reading.tables = _tables(reading)
    if skipped and len(skipped) == reading.count:
        first = skipped[0]
        if reading.count == 1:
            raise first
        raise type(first)(
            f"none of the {reading.count} pages can be read; {_without_name(first, name)}",
            document=name,
        ) from first
    return reading


def read_image(path: Path, name: str, settings: Settings) -> Reading:
    """An image input: every page (a multi-page TIFF has several) needs OCR."""
    from scriba.media.image_input import load_image  # noqa: PLC0415

    with load_image(path, name, settings) as image:  # validates size, pixels, integrity
        count = int(image.info.get("frames", 1))  # a multi-page TIFF: its pages
    _within_page_limit(count, settings, name)
    return Reading(count=count, needs_ocr=list(range(1, count + 1)))


@dataclass(frozen=True)
class _Identity:
    """What every Document of this source carries, whatever inspect finds."""

    source: Source
    kind: DocumentKind
    sha256: str
    languages: list[str]
    settings: Settings

    @property
    def id(self) -> str:
        return layout.document_id(self.source)

    def document(
        self,
        *,
        pages: int,
        language: str | None,
        text_layer_pages: int = 0,
        ocr: OcrPlan | None = None,
        warnings: list[str] | None = None,
        reused_from: S3Location | None = None,
    ) -> Document:
        return Document(
            id=self.id,
            name=self.source.key,
            source=self.source,
            output=layout.output_prefix(self.settings, self.source),
            work=layout.work_prefix(self.settings, self.id),
            kind=self.kind,
            size=self.source.size or 0,
            sha256=self.sha256,
            pages=pages,
            text_layer_pages=text_layer_pages,
            language=language,
            languages=self.languages,
            ocr=ocr or OcrPlan(),
            warnings=warnings or [],
            reused_from=reused_from,
        )


def _reused(ctx: Context[Any], identity: _Identity, found: reuse.EarlierResults) -> Document:
    """The document whose results are copied from identical content: straight to finalize."""
    output = layout.output_prefix(ctx.settings, identity.source)
    reuse.copy_results(ctx, found.manifest, found.output, output, identity.languages)
    return identity.document(
        pages=found.manifest.pages or 1,
        language=found.manifest.language,
        reused_from=found.output,
    )


def _read(path: Path, kind: DocumentKind, name: str, settings: Settings) -> Reading:
    if kind is DocumentKind.PDF:
        return read_pdf(path, name, settings)
    return read_image(path, name, settings)


def inspect(request: InspectRequest, ctx: Context[Any]) -> Document:
    """Checks the source, reads the text layer, and plans OCR for the pages without one."""
    settings, name = ctx.settings, request.source.key
    source = _checked(request.source, ctx.storage.head(request.source), settings)
    languages = target_languages(request.options, settings, name)
    with ctx.storage.local_copy(source) as (path, digest):
        identity = _Identity(source, sniff(_head(path), name), digest, languages, settings)
        found = None if request.options.force else reuse.earlier_results(ctx, digest, languages)
        if found is not None:
            return _reused(ctx, identity, found)
        reading = _read(path, identity.kind, name, settings)
    language = detect_language(ctx, reading.sample)
    work = layout.work_prefix(settings, identity.id)
    with reading.text_pages:
        upload_pages(ctx.storage, reading.text_pages, text_layer_pages_location(work))
    ctx.storage.write_model(text_layer_location(work), reading.page_set())
    if reading.sizes:
        ctx.storage.write_model(page_sizes_location(work), PageSizes(sizes=reading.sizes))
    plan = plan_ocr(
        reading.needs_ocr,
        identity.kind,
        has_jobs=ctx.engines.ocr_jobs is not None,
        languages=settings.ocr_languages or ocr_hints(language),
        settings=settings,
    )
    logger.info(
        "inspected: %s, %d pages, %d with a text layer, OCR %s",
        identity.kind.value,
        reading.count,
        len(reading.text_pages),
        plan.mode.value,
    )
    return identity.document(
        pages=reading.count,
        text_layer_pages=len(reading.text_pages),
        language=language,
        ocr=plan,
        warnings=merged_warnings(reading.warnings),
    )
