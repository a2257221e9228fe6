"""OCR: which pages need it and how (the plan), page batches, and asynchronous OCR jobs.

``plan_ocr`` is pure: from the pages without a usable text layer it decides the mode. On AWS two
or more PDF pages go to one asynchronous Textract job on a PDF of just those pages, which the
state machine awaits (``start_ocr_job``, a Wait state, ``check_ocr_job``); otherwise the pages
are OCR'd in small batches, one task per batch (``ocr_batch``, a Map state), each page written as
soon as it is read so that a retried batch resumes where it stopped.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scriba import layout
from scriba.context import Context
from scriba.engines.ports import OcrJobs, OcrPage, PageImage
from scriba.errors import OcrJobFailed, OcrJobTimedOut, SourceNotFound
from scriba.models.document import DocumentKind
from scriba.stages.extract.actions import (
    CheckOcrJobRequest,
    ExecutionContext,
    OcrBatchRequest,
    OcrBatchResult,
    OcrJob,
    PageSet,
    PageSizes,
    StartOcrJobRequest,
    job_input_location,
    job_output_location,
    ocr_page_location,
    page_sizes_location,
)
from scriba.workflow import Document, OcrMode, OcrPlan

if TYPE_CHECKING:
    from scriba.config import Settings

FINISHED = ("SUCCEEDED", "PARTIAL_SUCCESS")
# Each batch downloads the source again (a TIFF's frames cannot be fetched alone): a 3,000-frame
# scan in batches of 2 was 1,500 downloads of up to 500 MB. At most this many batches: 30 frames
# a batch at 3,000, about 90 s of Textract calls (1-3 s a page) against the 900 s timeout.
MAX_BATCHES = 100


def batches(pages: Sequence[int], size: int) -> list[list[int]]:
    """``pages`` in consecutive batches of at most ``size``."""
    return [list(pages[i : i + size]) for i in range(0, len(pages), size)]


def plan_ocr(
    pages: Sequence[int],
    kind: DocumentKind,
    *,
    has_jobs: bool,
    languages: Sequence[str],
    settings: Settings,
) -> OcrPlan:
    """How the ``pages`` that need OCR are read: not at all, in one job, or in batches.

    A job needs an OCR service with jobs (``has_jobs``: Textract), a PDF (a job reads a PDF in
    the bucket) and at least ``settings.ocr_job_min_pages`` pages; anything else is batched,
    ``settings.ocr_batch_pages`` a batch, or more so that there are at most ``MAX_BATCHES``.
    """
    plan = OcrPlan(pages=list(pages), languages=list(languages))
    if not pages:
        return plan
    if has_jobs and kind is DocumentKind.PDF and len(pages) >= settings.ocr_job_min_pages:
        plan.mode = OcrMode.JOB
    else:
        plan.mode = OcrMode.PAGES
        size = max(settings.ocr_batch_pages, -(-len(pages) // MAX_BATCHES))
        plan.batches = batches(pages, size)
    return plan


def page_images(
    document: Document, path: Path, numbers: Sequence[int], settings: Settings
) -> Iterator[PageImage]:
    """The pages as pixels: rendered from the PDF, or the image input's (a TIFF may have many)."""
    if document.kind is DocumentKind.PDF:
        from scriba.media import pdf  # noqa: PLC0415  (pypdfium2: only the extract function)

        with pdf.pdf_document(path, document.name) as opened:
            for number in numbers:
                image = pdf.render_page(
                    opened, number, settings.ocr_dpi, max_side=settings.max_image_side
                )
                yield PageImage(number=number, image=image, dpi=settings.ocr_dpi)
    else:
        from scriba.media.image_input import load_image  # noqa: PLC0415

        for number in numbers:
            image = load_image(path, document.name, settings, page=number)
            yield PageImage(number=number, image=image, dpi=0)


def ocr_batch(request: OcrBatchRequest, ctx: Context[Any]) -> OcrBatchResult:
    """OCRs a batch of pages; each page is written as soon as it is done, so a retry resumes."""
    document = request.document
    todo = [n for n in request.pages if not ctx.storage.exists(ocr_page_location(document, n))]
    words = 0
    if todo:
        with ctx.storage.local_copy(document.source) as (path, _):
            for page_image in page_images(document, path, todo, ctx.settings):
                read = numbered(
                    ctx.engines.ocr.recognize(page_image, document.ocr.languages),
                    page_image.number,
                )
                location = ocr_page_location(document, page_image.number)
                ctx.storage.write_model(
                    location, PageSet(pages=[read.page], tables=read.tables, fields=read.fields)
                )
                words += read.page.word_count
    return OcrBatchResult(pages=len(request.pages), words=words)


def _jobs(ctx: Context[Any], document: Document) -> OcrJobs:
    jobs = ctx.engines.ocr_jobs
    if jobs is None:
        raise OcrJobFailed(
            f"the {ctx.engines.name} engines have no OCR jobs", document=document.name
        )
    return jobs


def start_ocr_job(request: StartOcrJobRequest, ctx: Context[Any]) -> OcrJob:
    """Starts one asynchronous OCR job on a PDF of just the pages that need it."""
    from scriba.media import pdf  # noqa: PLC0415

    document = request.document
    jobs = _jobs(ctx, document)
    with ctx.storage.local_copy(document.source) as (path, _):
        subset = path.with_name("ocr-input.pdf")
        with pdf.pdf_document(path, document.name) as opened:
            pdf.subset_pdf(opened, document.ocr.pages, subset)
        ctx.storage.upload(subset, job_input_location(document), "application/pdf")
    job_id = jobs.start(
        job_input_location(document), job_output_location(document), token=job_token(request)
    )
    return OcrJob(id=job_id, status="IN_PROGRESS")


def job_token(request: StartOcrJobRequest) -> str:
    """The idempotency token of the document's OCR job in this attempt.

    Textract answers a start with a token it saw (for about seven days) with the job it started
    then, so the token is the same for every retry of the task within one attempt (a start whose
    answer was lost must not pay for a second job) and new for each new attempt: a sweeper's
    re-run (``-rN`` in the execution name) or a Step Functions redrive (``RedriveCount``), which
    would otherwise get the failed job back. The state's own RetryCount is left out on purpose.
    ``<document id>-a<attempt>-d<redrives>``: 24 hex characters and two counts, within the 64
    characters of ``[a-zA-Z0-9-_]`` Textract accepts.
    """
    context = request.execution_context or ExecutionContext()
    attempt = layout.attempt_of(context.name or request.execution)
    return f"{request.document.id}-a{attempt}-d{context.redrive_count}"


# What the state machine may wait for one job at most, whatever its size: the execution's own
# timeout (TimeoutSeconds, 6 h) less an hour for the stages after OCR.
OCR_JOB_MAX_WAIT_SECONDS = 5 * 3600


def job_wait_budget(pages: int, settings: Settings) -> int:
    """Seconds the state machine waits for a job of ``pages`` pages before giving up."""
    minutes = (
        settings.ocr_job_wait_minutes + settings.ocr_job_wait_minutes_per_100_pages * pages / 100
    )
    return min(int(minutes * 60), OCR_JOB_MAX_WAIT_SECONDS)


def next_wait(waited: int) -> int:
    """The Wait before the next poll: 15 s for the first two minutes (small jobs end fast), 30 s
    to ten minutes, then a minute: a 3,000-page job given two hours polls 134 times, not 480,
    leaving GetDocumentTextDetection's few requests a second per account to the others."""
    if waited < 120:
        return 15
    if waited < 600:
        return 30
    return 60


def check_ocr_job(request: CheckOcrJobRequest, ctx: Context[Any]) -> OcrJob:
    """One poll of the job; the state machine waits between polls, never a Lambda.

    The poll says how long to wait before the next (``wait_seconds``, the Wait state's
    ``SecondsPath``), and the job may take ``job_wait_budget`` seconds: longer for more pages.
    """
    document, job = request.document, request.job
    state = _jobs(ctx, document).state(job.id)
    polls = job.polls + 1
    waited = job.waited + job.wait_seconds  # the Wait this poll followed
    if state.status == "FAILED":
        raise OcrJobFailed(f"OCR job {job.id} failed: {state.message}", document=document.name)
    budget = job_wait_budget(len(document.ocr.pages), ctx.settings)
    if state.status not in FINISHED and waited >= budget:
        raise OcrJobTimedOut(
            f"OCR job {job.id} of {len(document.ocr.pages)} pages still {state.status} after "
            f"{waited // 60} minutes ({polls} polls; the wait for a job this size is "
            f"{budget // 60} minutes)",
            document=document.name,
        )
    wait = min(next_wait(waited), max(1, budget - waited))
    return OcrJob(
        id=job.id,
        status=state.status,
        polls=polls,
        message=state.message,
        waited=waited,
        wait_seconds=wait,
    )


def job_pages(document: Document, job: OcrJob, ctx: Context[Any]) -> Iterator[OcrPage]:
    """The pages a finished job read, numbered and sized as the source's pages.

    The job ran on a PDF of just the OCR pages: its page n is the source's page
    ``ocr.pages[n - 1]``, in size and in number. Pages are matched by number, not position: a
    partly successful job may leave a page out.
    """
    originals = dict(enumerate(document.ocr.pages, start=1))
    try:
        sizes = ctx.storage.read_model(page_sizes_location(document.work), PageSizes).sizes
    except SourceNotFound:  # inspected by a version that kept no sizes: pages unsized
        sizes = {}
    job_sizes = {n: sizes[original] for n, original in originals.items() if original in sizes}
    found = _jobs(ctx, document).pages(job.id, job_output_location(document), job_sizes)
    return (
        numbered(read, originals[read.page.number])
        for read in found
        if read.page.number in originals
    )


def numbered(read: OcrPage, number: int) -> OcrPage:
    """What was read on a page image or a job's page, as page ``number`` of the source."""
    return OcrPage(
        page=read.page.model_copy(update={"number": number}),
        tables=[table.model_copy(update={"page": number}) for table in read.tables],
        fields=[field.model_copy(update={"page": number}) for field in read.fields],
    )


def batch_pages(document: Document, ctx: Context[Any]) -> Iterator[OcrPage]:
    """The pages the batches read, in the plan's order, read from the bucket one at a time."""
    for number in document.ocr.pages:
        kept = ctx.storage.read_model(ocr_page_location(document, number), PageSet)
        yield OcrPage(page=kept.pages[0], tables=kept.tables, fields=kept.fields)
