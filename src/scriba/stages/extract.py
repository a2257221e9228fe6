"""Extract: inspect the source, read its text layer, OCR the pages that need it, assemble the text.

The work is split so that no single task grows with the document: ``inspect`` reads the text layer
(thousands of pages a second) and plans OCR; OCR then runs either in page batches (a Map state,
one task per batch) or as one asynchronous job awaited by the state machine; ``assemble`` merges
the pages and writes ``text.json`` and ``text.txt``.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, TypeAdapter

from scriba import layout
from scriba.engines import PageImage
from scriba.errors import (
    BadDocument,
    CorruptDocument,
    DecompressionBomb,
    DocumentTooLarge,
    EmptyDocument,
    OcrJobFailed,
    OcrJobTimedOut,
    ScribaError,
    SourceNotFound,
    TooManyPages,
    UnsupportedLanguage,
)
from scriba.media.intake import SNIFF_BYTES, sniff
from scriba.models.base import Model
from scriba.models.document import DocumentKind, S3Location, Source
from scriba.models.manifest import Artifact, ArtifactKind
from scriba.models.text import DocumentText, Page
from scriba.stages import Context, names_the_document, reuse
from scriba.workflow import Document, OcrMode, OcrPlan, Options, TextResult

if TYPE_CHECKING:
    import pypdfium2 as pdfium

    from scriba.config import Settings

logger = logging.getLogger(__name__)

LANGUAGE_SAMPLE_CHARS = 6000


class PageSet(Model):
    """Pages kept between tasks (text-layer pages, or one OCR batch)."""

    pages: list[Page]


class PageSizes(Model):
    """Width and height in points of the PDF pages that need OCR, by page number: an OCR job
    (Textract) reports boxes as fractions of a page but not the page's size."""

    sizes: dict[int, tuple[float, float]]


class OcrJob(Model):
    id: str
    status: str
    polls: int = 0
    message: str | None = None


class InspectRequest(Model):
    action: Literal["inspect"]
    source: Source
    options: Options = Field(default_factory=Options)


class OcrBatchRequest(Model):
    action: Literal["ocr"]
    document: Document
    pages: list[int] = Field(min_length=1)


class StartOcrJobRequest(Model):
    action: Literal["start_job"]
    document: Document


class CheckOcrJobRequest(Model):
    action: Literal["check_job"]
    document: Document
    job: OcrJob


class AssembleRequest(Model):
    action: Literal["assemble"]
    document: Document
    job: OcrJob | None = None


ExtractRequest = Annotated[
    InspectRequest | OcrBatchRequest | StartOcrJobRequest | CheckOcrJobRequest | AssembleRequest,
    Field(discriminator="action"),
]
EXTRACT_REQUEST: TypeAdapter[ExtractRequest] = TypeAdapter(ExtractRequest)


class OcrBatchResult(Model):
    pages: int
    words: int


@names_the_document
def handle(request: ExtractRequest, ctx: Context | None = None) -> Model:
    """Runs one extract action."""
    ctx = ctx or Context.current()
    if isinstance(request, InspectRequest):
        return inspect(request, ctx)
    if isinstance(request, OcrBatchRequest):
        return ocr_batch(request, ctx)
    if isinstance(request, StartOcrJobRequest):
        return start_ocr_job(request, ctx)
    if isinstance(request, CheckOcrJobRequest):
        return check_ocr_job(request, ctx)
    return assemble(request, ctx)


@contextmanager
def local_copy(ctx: Context, source: Source, name: str) -> Iterator[tuple[Path, str]]:
    """The source downloaded to a temporary file (deleted afterwards), with its SHA-256."""
    with tempfile.TemporaryDirectory(prefix="scriba-") as folder:
        path = Path(folder) / "source"
        digest = ctx.storage.download(source, path)
        yield path, digest


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(SNIFF_BYTES)


def _target_languages(options: Options, ctx: Context, name: str) -> list[str]:
    languages = options.languages if options.languages is not None else ctx.settings.languages
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


def _batches(pages: Sequence[int], size: int) -> list[list[int]]:
    return [list(pages[i : i + size]) for i in range(0, len(pages), size)]


def inspect(request: InspectRequest, ctx: Context) -> Document:
    """Checks the source, reads the text layer, and plans OCR for the pages without one."""
    from scriba.media import pdf  # noqa: PLC0415  (pypdfium2: only the extract function needs it)

    source, settings = request.source, ctx.settings
    name = source.key
    stored = ctx.storage.head(source)
    if stored.size == 0:
        raise EmptyDocument("the file is empty (0 bytes)", document=name)
    if stored.size > settings.max_document_bytes:
        raise DocumentTooLarge(
            f"{stored.size} bytes is over the limit of {settings.max_document_bytes} bytes",
            document=name,
        )
    source = source.model_copy(
        update={
            "version_id": source.version_id or stored.version_id,
            "etag": source.etag or stored.etag,
            "size": stored.size,
        }
    )
    identifier = layout.document_id(source)
    work = layout.work_prefix(settings, identifier)
    languages = _target_languages(request.options, ctx, name)

    with local_copy(ctx, source, name) as (path, digest):
        kind = sniff(_head(path), name)
        found = None if request.options.force else reuse.earlier_results(ctx, digest, languages)
        if found is not None:
            earlier_output, earlier = found
            output = layout.output_prefix(settings, source)
            reuse.copy_results(ctx, earlier, earlier_output, output, languages)
            return Document(
                id=identifier,
                name=name,
                source=source,
                output=output,
                work=work,
                kind=kind,
                size=stored.size,
                sha256=digest,
                pages=earlier.pages or 1,
                language=earlier.language,
                languages=languages,
                reused_from=earlier_output,
            )
        text_pages: list[Page] = []
        ocr_sizes: dict[int, tuple[float, float]] = {}
        warnings: list[str] = []
        if kind is DocumentKind.PDF:
            with pdf.pdf_document(path, name) as document:
                count = pdf.page_count(document)
                if count > settings.max_pages:
                    raise TooManyPages(
                        f"{count} pages is over the limit of {settings.max_pages}", document=name
                    )
                needs_ocr = _read_pages(document, name, settings, text_pages, ocr_sizes, warnings)
        else:
            from scriba.media.images import load_image  # noqa: PLC0415

            with load_image(path, name, settings) as image:  # validates size, pixels, integrity
                count = int(image.info.get("frames", 1))  # a multi-page TIFF: its pages
            if count > settings.max_pages:
                raise TooManyPages(
                    f"{count} pages is over the limit of {settings.max_pages}", document=name
                )
            needs_ocr = list(range(1, count + 1))

    language = _detect(ctx, "\n".join(page.text for page in text_pages))
    ctx.storage.write_model(work.child("text-layer.json"), PageSet(pages=text_pages))
    if ocr_sizes:
        ctx.storage.write_model(_page_sizes_key(work), PageSizes(sizes=ocr_sizes))
    hints = settings.ocr_languages or ([language] if language else [])
    plan = OcrPlan(pages=needs_ocr, languages=hints)
    if needs_ocr:
        jobs = ctx.engines.ocr_jobs
        if (
            jobs is not None
            and kind is DocumentKind.PDF
            and len(needs_ocr) >= settings.ocr_job_min_pages
        ):
            plan.mode = OcrMode.JOB
        else:
            plan.mode = OcrMode.PAGES
            plan.batches = _batches(needs_ocr, settings.ocr_batch_pages)
    logger.info(
        "inspected %s: %s, %d pages, %d with a text layer, OCR %s",
        name,
        kind.value,
        count,
        len(text_pages),
        plan.mode.value,
    )
    return Document(
        id=identifier,
        name=name,
        source=source,
        output=layout.output_prefix(settings, source),
        work=work,
        kind=kind,
        size=stored.size,
        sha256=digest,
        pages=count,
        text_layer_pages=len(text_pages),
        language=language,
        languages=languages,
        ocr=plan,
        warnings=warnings,
    )


def _read_pages(
    document: pdfium.PdfDocument,
    name: str,
    settings: Settings,
    text_pages: list[Page],
    ocr_sizes: dict[int, tuple[float, float]],
    warnings: list[str],
) -> list[int]:
    """Reads the text layer of every page into ``text_pages``; returns the pages that need OCR
    (their sizes into ``ocr_sizes``).

    A page pdfium cannot load, or holding a picture over ``max_image_pixels``, cannot be read
    nor rendered: it is skipped, with a warning, and the rest of the document is processed.
    When no page at all can be read, the document fails with the first page's error.
    """
    from scriba.media import pdf  # noqa: PLC0415

    count = pdf.page_count(document)
    needs_ocr: list[int] = []
    skipped: list[BadDocument] = []
    for number in range(1, count + 1):
        try:
            page = pdf.text_layer_page(document, number)
            if page is not None and settings.text_layer_fast_path:
                text_pages.append(page)
                continue
            pdf.check_picture_sizes(document, number, settings.max_image_pixels)
            ocr_sizes[number] = pdf.page_size(document, number)
        except (CorruptDocument, DecompressionBomb) as error:
            skipped.append(error)
            warnings.append(f"{_without_name(error, name)}; the page is skipped")
            continue
        needs_ocr.append(number)
    if skipped and len(skipped) == count:
        first = skipped[0]
        if count == 1:
            raise first
        raise type(first)(
            f"none of the {count} pages can be read; {_without_name(first, name)}", document=name
        ) from first
    return needs_ocr


def _without_name(error: ScribaError, name: str) -> str:
    return str(error).removeprefix(f"{name}: ")


def _detect(ctx: Context, text: str) -> str | None:
    sample = text.strip()[:LANGUAGE_SAMPLE_CHARS]
    if len(sample) < 20:
        return None
    return ctx.engines.language.detect(sample)


def _page_sizes_key(work: S3Location) -> S3Location:
    return work.child("page-sizes.json")


def _ocr_key(document: Document, number: int) -> S3Location:
    return document.work.child(f"ocr/{number:05d}.json")


def page_images(
    document: Document, path: Path, numbers: Sequence[int], ctx: Context
) -> Iterator[PageImage]:
    """The pages as pixels: rendered from the PDF, or the image input's (a TIFF may have many)."""
    if document.kind is DocumentKind.PDF:
        from scriba.media import pdf  # noqa: PLC0415

        with pdf.pdf_document(path, document.name) as opened:
            for number in numbers:
                image = pdf.render_page(
                    opened, number, ctx.settings.ocr_dpi, max_side=ctx.settings.max_image_side
                )
                yield PageImage(number=number, image=image, dpi=ctx.settings.ocr_dpi)
    else:
        from scriba.media.images import load_image  # noqa: PLC0415

        for number in numbers:
            image = load_image(path, document.name, ctx.settings, page=number)
            yield PageImage(number=number, image=image, dpi=0)


def ocr_batch(request: OcrBatchRequest, ctx: Context) -> OcrBatchResult:
    """OCRs a batch of pages; each page is written as soon as it is done, so a retry resumes."""
    document = request.document
    todo = [n for n in request.pages if not ctx.storage.exists(_ocr_key(document, n))]
    words = 0
    if todo:
        with local_copy(ctx, document.source, document.name) as (path, _):
            for page_image in page_images(document, path, todo, ctx):
                page = ctx.engines.ocr.recognize(page_image, document.ocr.languages)
                page = page.model_copy(update={"number": page_image.number})
                ctx.storage.write_model(_ocr_key(document, page.number), PageSet(pages=[page]))
                words += page.word_count
    return OcrBatchResult(pages=len(request.pages), words=words)


def _job_input(document: Document) -> S3Location:
    return document.work.child("ocr-input.pdf")


def _job_output(document: Document) -> S3Location:
    return document.work.child("ocr-job")


def start_ocr_job(request: StartOcrJobRequest, ctx: Context) -> OcrJob:
    """Starts one asynchronous OCR job on a PDF of just the pages that need it."""
    from scriba.media import pdf  # noqa: PLC0415

    document = request.document
    jobs = ctx.engines.ocr_jobs
    if jobs is None:
        raise OcrJobFailed(
            f"the {ctx.engines.name} engines have no OCR jobs", document=document.name
        )
    with local_copy(ctx, document.source, document.name) as (path, _):
        subset = path.with_name("ocr-input.pdf")
        with pdf.pdf_document(path, document.name) as opened:
            pdf.subset_pdf(opened, document.ocr.pages, subset)
        ctx.storage.upload(subset, _job_input(document), "application/pdf")
    job_id = jobs.start(_job_input(document), _job_output(document), token=document.id)
    return OcrJob(id=job_id, status="IN_PROGRESS")


def check_ocr_job(request: CheckOcrJobRequest, ctx: Context) -> OcrJob:
    """One poll of the job; the state machine waits between polls, never a Lambda."""
    document, job = request.document, request.job
    jobs = ctx.engines.ocr_jobs
    if jobs is None:
        raise OcrJobFailed(
            f"the {ctx.engines.name} engines have no OCR jobs", document=document.name
        )
    state = jobs.state(job.id)
    polls = job.polls + 1
    if state.status == "FAILED":
        raise OcrJobFailed(f"OCR job {job.id} failed: {state.message}", document=document.name)
    if (
        state.status not in ("SUCCEEDED", "PARTIAL_SUCCESS")
        and polls >= ctx.settings.ocr_job_max_polls
    ):
        raise OcrJobTimedOut(
            f"OCR job {job.id} still {state.status} after {polls} polls", document=document.name
        )
    return OcrJob(id=job.id, status=state.status, polls=polls, message=state.message)


def _ocr_pages(document: Document, job: OcrJob | None, ctx: Context) -> list[Page]:
    if not document.ocr.pages:
        return []
    if job is not None:
        jobs = ctx.engines.ocr_jobs
        if jobs is None:
            raise OcrJobFailed("no OCR jobs in these engines", document=document.name)
        # The job ran on a PDF of just the OCR pages: its page n is the source's page
        # ocr.pages[n - 1], in size and in number. Pages are matched by number, not position:
        # a partly successful job may leave a page out.
        originals = dict(enumerate(document.ocr.pages, start=1))
        try:
            sizes = ctx.storage.read_model(_page_sizes_key(document.work), PageSizes).sizes
        except SourceNotFound:  # inspected by a version that kept no sizes: pages unsized
            sizes = {}
        job_sizes = {n: sizes[original] for n, original in originals.items() if original in sizes}
        return [
            page.model_copy(update={"number": originals[page.number]})
            for page in jobs.pages(job.id, _job_output(document), job_sizes)
            if page.number in originals
        ]
    return [
        ctx.storage.read_model(_ocr_key(document, number), PageSet).pages[0]
        for number in document.ocr.pages
    ]


def assemble(request: AssembleRequest, ctx: Context) -> TextResult:
    """Merges text-layer and OCR pages in page order; writes text.json and text.txt."""
    document = request.document
    pages = ctx.storage.read_model(document.work.child("text-layer.json"), PageSet).pages
    ocr_pages = _ocr_pages(document, request.job, ctx)
    pages = sorted([*pages, *ocr_pages], key=lambda page: page.number)
    text = DocumentText(document_id=document.id, pages=pages)
    plain = text.plain_text
    language = document.language if not ocr_pages else _detect(ctx, plain)
    text.language = language or document.language
    warnings: list[str] = []
    if not plain.strip():
        warnings.append("no text found in the document")
    size_json = ctx.storage.write_model(document.output.child(layout.TEXT), text)
    size_txt = ctx.storage.write_text(
        document.output.child(layout.PLAIN_TEXT), plain, "text/plain; charset=utf-8"
    )
    details = {"pages": len(pages), "words": text.word_count, "ocr_pages": len(ocr_pages)}
    return TextResult(
        artifacts=[
            Artifact(
                kind=ArtifactKind.TEXT,
                path=layout.TEXT,
                media_type="application/json",
                size=size_json,
                language=text.language,
                details=dict(details),
            ),
            Artifact(
                kind=ArtifactKind.PLAIN_TEXT,
                path=layout.PLAIN_TEXT,
                media_type="text/plain",
                size=size_txt,
                language=text.language,
            ),
        ],
        language=text.language,
        pages=len(pages),
        words=text.word_count,
        characters=len(plain),
        ocr_pages=len(ocr_pages),
        text_layer_pages=len(pages) - len(ocr_pages),
        warnings=warnings,
    )
