"""Helpers of the summary tests: a document's text.json in a (moto) bucket, the Summarize request
about it, and the state machine's map-reduce played step by step as its Map would."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scriba import layout
from scriba.context import Context
from scriba.models.document import DocumentKind, S3Location, Source
from scriba.models.manifest import ArtifactKind
from scriba.models.text import Box, DocumentText, Line, Page, PageSource
from scriba.stages.summarize import (
    ReduceSummaryRequest,
    SummarizeChunkRequest,
    SummarizeChunkResult,
    SummarizeRequest,
    reduce_summary,
    summarize_chunk,
)
from scriba.workflow import Document, SummaryPlan, SummaryResult, TagResult, TextResult

BUCKET = "scriba-output"
BOX = Box(left=0.1, top=0.1, width=0.8, height=0.02)


def district_sentences(count: int, start: int = 1) -> list[str]:
    """Sentences of a made-up harvest report, each distinct."""
    return [
        f"In district {index} the harvest yielded {index * 7} tonnes of beans, which were "
        f"washed, dried on raised beds and shipped to the port of "
        f"{'Mombasa' if index % 2 else 'Dar es Salaam'} before the rains."
        for index in range(start, start + count)
    ]


def text_pages(sentences: Sequence[str], per_page: int, language: str = "en") -> DocumentText:
    """The sentences as text-layer pages of ``per_page`` lines, one sentence a line."""
    pages = []
    for number, start in enumerate(range(0, len(sentences), per_page), start=1):
        lines = [
            Line(text=sentence, box=BOX, confidence=100.0, words=[])
            for sentence in sentences[start : start + per_page]
        ]
        pages.append(
            Page(
                number=number,
                width=612,
                height=792,
                unit="pt",
                source=PageSource.TEXT_LAYER,
                engine="pdfium",
                language=language,
                lines=lines,
            )
        )
    return DocumentText(document_id="doc-1", language=language, pages=pages)


def stored_document(ctx: Context[Any], text: DocumentText) -> SummarizeRequest:
    """text.json in the bucket and the Summarize request about it (no pictures, no tables)."""
    output = S3Location(bucket=BUCKET, key="documents/report.pdf")
    ctx.storage.write_model(output.child(layout.TEXT), text)
    document = Document(
        id="doc-1",
        name="report.pdf",
        source=Source(bucket="scriba-input", key="report.pdf", version_id="v1"),
        output=output,
        work=S3Location(bucket=BUCKET, key="work/doc-1"),
        kind=DocumentKind.PDF,
        size=1000,
        sha256="0" * 64,
        pages=len(text.pages),
        text_layer_pages=len(text.pages),
        language=text.language,
        languages=["es"],
    )
    from scriba.models.manifest import Artifact

    result = TextResult(
        artifacts=[Artifact(kind=ArtifactKind.TEXT, path=layout.TEXT)],
        language=text.language,
        pages=len(text.pages),
        words=text.word_count,
        characters=len(text.plain_text),
        ocr_pages=0,
        text_layer_pages=len(text.pages),
    )
    tags = TagResult(artifacts=[], images=0, labels=[], people=False)
    return SummarizeRequest(document=document, text=result, tags=tags, execution="arn:x:exec")


def chunk_request(
    request: SummarizeRequest, plan: SummaryPlan, index: int
) -> SummarizeChunkRequest:
    """What the Map's ItemSelector and the SummarizeChunk state's Parameters send."""
    return SummarizeChunkRequest(
        action="chunk",
        document=request.document,
        level=plan.level,
        chunk=index,
        chunks=plan.chunks,
        language=plan.language,
        execution=request.execution,
    )


def run_level(
    request: SummarizeRequest, plan: SummaryPlan, ctx: Context[Any]
) -> tuple[list[SummarizeChunkResult], SummaryResult | SummaryPlan]:
    """One level as the state machine runs it: every chunk, then the reduce."""
    done = [summarize_chunk(chunk_request(request, plan, index), ctx) for index in plan.items]
    reduce = ReduceSummaryRequest(
        action="reduce",
        document=request.document,
        text=request.text,
        tags=request.tags,
        plan=plan,
        execution=request.execution,
    )
    return done, reduce_summary(reduce, ctx)
