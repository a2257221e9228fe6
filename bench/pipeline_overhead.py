"""The whole local pipeline against the same stages called directly: what the executor costs.

- executor: ``scriba.local.run.run_documents`` (what ``scriba run`` does): the file goes into the
  input bucket, the trigger path (EventBridge rule, queue, starter) starts the execution, moto's
  ASL interpreter runs the state machine and hands each task to a handler in the worker pool, and
  the results are copied to a folder.
- direct: the same stage functions (``scriba.stages.*``) called one after the other in this
  process, in the workflow's order, against the same moto S3, with the results copied to a folder
  the same way. No trigger path, no state machine, no worker processes, no JSON between stages.

Both run with the local engines warm (one untimed document first) on the same stack; every run
reads a new copy of the document (other bytes, same pages) so that nothing is reused.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pypdfium2 as pdfium

from bench.local_stack import distinct_copy
from bench.results import (
    BOOK,
    CORPUS,
    BenchResult,
    Goal,
    Table,
    Timings,
    Verdict,
    number,
    run_alone,
)
from scriba import layout
from scriba.config import Settings
from scriba.context import Context, FunctionContext
from scriba.local.cloud import LocalCloud
from scriba.local.functions import error_payload
from scriba.local.run import export_results, run_documents
from scriba.media import pdf
from scriba.models.document import Source
from scriba.models.manifest import Stage
from scriba.stages import extract, finalize, speak, summarize, tag, translate
from scriba.stages.extract.actions import AssembleRequest, InspectRequest, OcrBatchRequest
from scriba.workflow import (
    Analysis,
    Document,
    LanguageOutcome,
    Options,
    PipelineState,
    StageError,
    StageFailure,
    SummaryResult,
    TagResult,
)

GOAL_OVERHEAD = 0.10
LANGUAGE = "es"
DIRECT_BUCKET = "scriba-benchmark-direct"  # no trigger on it: an upload here starts nothing
ENGLISH_PAGES = 100

T = TypeVar("T")


def english_document(folder: Path, pages: int = ENGLISH_PAGES) -> Path:
    """A long English PDF with a text layer: pdflatex-4-pages.pdf's pages over and over."""
    source = pdfium.PdfDocument(CORPUS / "pdflatex-4-pages.pdf")
    target = pdfium.PdfDocument.new()
    try:
        while len(target) < pages:
            take = min(len(source), pages - len(target))
            target.import_pages(source, list(range(take)))
        path = folder / f"english-{pages}-pages.pdf"
        target.save(path)
    finally:
        target.close()
        source.close()
    return path


def _stage_error(error: Exception) -> StageError:
    """What the state machine's Catch records for a failed task."""
    return StageError(Error=type(error).__name__, Cause=json.dumps(error_payload(error)))


@dataclass
class DirectRun:
    """The workflow's stages in order, in this process; seconds spent in each."""

    ctx: Context[Settings]
    stages: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.stages[stage] = self.stages.get(stage, 0.0) + time.perf_counter() - started

    def call(self, stage: str, function: Callable[[], T]) -> T:
        with self.timed(stage):
            return function()

    def run(self, source: Source, languages: list[str], out: Path) -> finalize.Outcome:
        ctx = self.ctx
        started_at = datetime.now(UTC)
        request = InspectRequest(
            action="inspect", source=source, options=Options(languages=languages)
        )
        document: Document = self.call("inspect", lambda: extract.inspect(request, ctx))
        state = PipelineState(
            source=source, options=Options(languages=languages), document=document
        )
        if document.reused_from is None:
            for pages in document.ocr.batches:
                batch = OcrBatchRequest(action="ocr", document=document, pages=pages)
                self.call("ocr", lambda batch=batch: extract.ocr_batch(batch, ctx))  # type: ignore[misc]
            assemble = AssembleRequest(action="assemble", document=document)
            text = self.call("assemble", lambda: extract.assemble(assemble, ctx))
            tags: TagResult | StageFailure
            try:
                tags = self.call("tag", lambda: tag.tag(tag.TagRequest(document=document), ctx))
            except Exception as error:
                tags = StageFailure(stage=Stage.TAG, error=_stage_error(error))
            state.analysis = Analysis(text=text, tags=tags)
            summary_request = summarize.SummarizeRequest(document=document, text=text, tags=tags)
            try:
                state.summary = self.call(
                    "summarize", lambda: summarize.summarize(summary_request, ctx)
                )
            except Exception as error:
                state.summary = StageFailure(stage=Stage.SUMMARIZE, error=_stage_error(error))
            if isinstance(state.summary, SummaryResult) and state.summary.characters > 0:
                state.outputs = [
                    self._language(document, state.summary, language)
                    for language in document.languages
                ]
        finalize_request = finalize.FinalizeRequest(
            action="finalize", state=state, execution=None, started_at=started_at
        )
        outcome = self.call("finalize", lambda: finalize.handle(finalize_request, ctx))
        with self.timed("export"):
            export_results(ctx.storage, document.output, out / layout.safe_key(source.key))
        return outcome

    def _language(
        self, document: Document, summary: SummaryResult, language: str
    ) -> LanguageOutcome:
        ctx = self.ctx
        outcome = LanguageOutcome(language=language)
        request = translate.TranslateRequest(document=document, summary=summary, language=language)
        try:
            outcome.translation = self.call("translate", lambda: translate.translate(request, ctx))
        except Exception as error:
            outcome.stage, outcome.error = Stage.TRANSLATE, _stage_error(error)
            self.notes.append(f"translate to {language}: {type(error).__name__}")
            return outcome
        speak_request = speak.SpeakRequest(
            document=document, language=language, translation=outcome.translation
        )
        try:
            outcome.narration = self.call("speak", lambda: speak.speak(speak_request, ctx))
        except Exception as error:
            outcome.stage, outcome.error = Stage.SPEAK, _stage_error(error)
            self.notes.append(f"speak {language}: {type(error).__name__}")
        return outcome


@dataclass
class Measured:
    label: str
    pages: int
    executor: Timings
    direct: Timings
    stages: dict[str, float]  # median seconds per stage, direct runs
    status: str
    failures: list[str]

    @property
    def overhead(self) -> float:
        return self.executor.median / self.direct.median - 1.0


def measure_document(
    cloud: LocalCloud, path: Path, label: str, folder: Path, repeats: int
) -> Measured:
    data = path.read_bytes()
    with pdf.pdf_document(path, path.name) as opened:
        pages = pdf.page_count(opened)
    s3 = cloud.clients.s3
    ctx = FunctionContext(Settings).current()
    executor_seconds: list[float] = []
    direct_seconds: list[float] = []
    stage_seconds: dict[str, list[float]] = {}
    status = ""
    failures: list[str] = []
    # Warm-up, untimed: a copy per worker at once, so that every worker process has loaded the
    # engines of every stage (a stage runs on whichever worker is free).
    warmups = []
    for worker in range(max(cloud.workers, 1)):
        warmup = folder / f"{path.stem}-warm-up-{worker}.pdf"
        warmup.write_bytes(distinct_copy(data, f"warm-up {worker}"))
        warmups.append(warmup)
    run_documents(warmups, folder / "executor", cloud=cloud)
    for run in range(repeats + 1):  # run 0 warms the direct side up
        copy = folder / f"{path.stem}-executor-{run}.pdf"
        copy.write_bytes(distinct_copy(data, f"executor {run}"))
        started = time.perf_counter()
        (document_run,) = run_documents([copy], folder / "executor", cloud=cloud)
        if run:
            executor_seconds.append(time.perf_counter() - started)
        status = document_run.status.value if document_run.status else "unknown"
        key = f"{path.stem}-direct-{run}.pdf"
        s3.put_object(Bucket=DIRECT_BUCKET, Key=key, Body=distinct_copy(data, f"direct {run}"))
        direct = DirectRun(ctx)
        started = time.perf_counter()
        direct.run(Source(bucket=DIRECT_BUCKET, key=key), [LANGUAGE], folder / "direct")
        if run:
            direct_seconds.append(time.perf_counter() - started)
            for stage, seconds in direct.stages.items():
                stage_seconds.setdefault(stage, []).append(seconds)
        failures = sorted(set(direct.notes))
    return Measured(
        label=label,
        pages=pages,
        executor=Timings(tuple(executor_seconds)),
        direct=Timings(tuple(direct_seconds)),
        stages={stage: Timings(tuple(values)).median for stage, values in stage_seconds.items()},
        status=status,
        failures=failures,
    )


def measure(repeats: int = 5) -> BenchResult:
    with tempfile.TemporaryDirectory(prefix="scriba-bench-") as temporary:
        folder = Path(temporary)
        documents = {
            f"the book ({BOOK}), German": CORPUS / BOOK,
            f"English, {ENGLISH_PAGES} pages (pdflatex-4-pages.pdf repeated)": english_document(
                folder
            ),
        }
        started = time.perf_counter()
        with LocalCloud(parameters={"TargetLanguages": LANGUAGE}) as cloud:
            start_up = time.perf_counter() - started
            workers = cloud.workers
            cloud.clients.s3.create_bucket(Bucket=DIRECT_BUCKET)
            measured = [
                measure_document(cloud, path, label, folder, repeats)
                for label, path in documents.items()
            ]
    table = Table(
        [
            "document",
            "pages",
            "executor (`run_documents`), s",
            "direct stages, s",
            "executor s/page",
            "overhead",
            "status",
        ]
    )
    stage_names = list(dict.fromkeys(name for item in measured for name in item.stages))
    stages = Table(["document", *stage_names])
    result = BenchResult(
        key="pipeline_overhead",
        title=f"Whole local pipeline, one target language ({LANGUAGE})",
        table=table,
    )
    for item in measured:
        table.add(
            item.label,
            item.pages,
            item.executor.describe(),
            item.direct.describe(),
            number(item.executor.median / item.pages),
            f"{item.overhead:+.1%}",
            item.status,
        )
        stages.add(item.label, *[number(item.stages.get(name, 0.0)) for name in stages.headers[1:]])
        result.goals.append(
            Goal(
                f"{item.label}: seconds per page",
                f"{number(item.executor.median / item.pages)} s/page",
                "report",
                Verdict.REPORTED,
            )
        )
        result.goals.append(
            Goal.at_most(
                f"{item.label}: executor overhead",
                item.overhead,
                GOAL_OVERHEAD,
                f"{item.overhead:+.1%}",
                f"≤ {GOAL_OVERHEAD:.0%}",
            )
        )
    book = measured[0]
    result.notes += [
        f"Median of {repeats} runs each, range in brackets, executor and direct runs alternating, "
        "after untimed warm-up documents (the executor's, one per worker at once, so that every "
        f"worker has loaded every stage's engines); {workers} worker processes. Starting the local "
        f"stack (moto server, resources) took {start_up:.1f} s before the first document (not in "
        "the figures: it is paid once per `scriba run`).",
        "Direct runs, median seconds per stage:\n\n" + stages.markdown() + "\n",
        "The book is German and Apertium has no German pair: translation fails fast with "
        f"{', '.join(book.failures) or 'no error'} and narration is skipped, in both runs (the "
        f"document ends `{book.status}`). The English document is translated and narrated for "
        "real.",
        "The executor runs the text and picture branches of Analyze in parallel on two workers; "
        "the direct run calls them one after the other: a negative overhead is that parallelism.",
    ]
    return result


if __name__ == "__main__":
    run_alone(measure)
