"""The map-reduce of a long document's summary, step by step as the state machine runs it: the
plan (chunks in the bucket, a small plan in the state), the chunks (one request each, written to
the bucket, never asked twice), the reduce (combined, or grouped into another level), with an
engine that packs a fixed number of sentences per request."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import boto3
import pytest

from scriba.aws.storage import Storage
from scriba.config import Settings
from scriba.context import Context
from scriba.cost.units import bedrock_tokens
from scriba.engines import BACKENDS
from scriba.engines.ports import SummaryDraft, SummaryStep
from scriba.errors import EngineFailed, Throttled
from scriba.models.summary import Summary, SummaryMethod, TokenUsage
from scriba.stages.summarize import (
    PartialSummary,
    SummarizeChunkResult,
    SummaryChunk,
    chunk_location,
    partial_location,
    plan_summary,
    summarize,
    summarize_chunk,
)
from scriba.workflow import SummaryPlan, SummaryResult
from tests.summaries import (
    BUCKET,
    chunk_request,
    district_sentences,
    run_level,
    stored_document,
    text_pages,
)

MODEL = "amazon.titan-text-express-v1"


class CountingSummarizer:
    """Packs ``per_chunk`` sentences per request; a step's summary is the first sentence of
    each of its first ``keep`` sentences' worth (abstractive, as Bedrock's). Counts requests."""

    name = "counting"

    def __init__(self, per_chunk: int, keep: int = 1, fail: dict[int, Exception] | None = None):
        self.per_chunk = per_chunk
        self.keep = keep
        self.fail = fail or {}
        self.requests: list[tuple[SummaryStep | None, list[str]]] = []

    def _draft(self, sentences: Sequence[str]) -> SummaryDraft:
        text = " ".join(s.split(",")[0].rstrip(".") + "." for s in sentences[: self.keep])
        usage = TokenUsage(input_tokens=100 * len(sentences), output_tokens=10, calls=1)
        return SummaryDraft(
            text=text,
            sentences=[s.split(",")[0].rstrip(".") + "." for s in sentences[: self.keep]],
            method=SummaryMethod.ABSTRACTIVE,
            engine="counting",
            model=MODEL,
            usage=usage,
            billed=bedrock_tokens(MODEL, usage),
        )

    def summarize(self, sentences: Sequence[str], language: str | None, n: int) -> SummaryDraft:
        self.requests.append((None, list(sentences)))
        return self._draft(sentences)

    def chunks(self, sentences: Sequence[str], language: str | None, n: int) -> list[list[str]]:
        kept = [s for s in sentences if s.strip()]
        return [kept[i : i + self.per_chunk] for i in range(0, len(kept), self.per_chunk)]

    def summarize_step(
        self, sentences: Sequence[str], language: str | None, n: int, step: SummaryStep
    ) -> SummaryDraft:
        index = len([r for r in self.requests if r[0] is step])
        self.requests.append((step, list(sentences)))
        if step is SummaryStep.PART and index in self.fail:
            raise self.fail[index]
        return self._draft(sentences)


@pytest.fixture
def storage(mocked_aws: None) -> Storage:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    return Storage(s3=s3)


def context(storage: Storage, engine: Any, **settings: Any) -> Context[Settings]:
    backend = replace(BACKENDS["aws"], summarizer=lambda s, c: engine)
    return Context.of(Settings(output_bucket=BUCKET, **settings), storage=storage, backend=backend)


def test_a_document_of_one_chunk_is_one_request_and_no_plan(storage: Storage) -> None:
    engine = CountingSummarizer(per_chunk=100)
    ctx = context(storage, engine)
    request = stored_document(ctx, text_pages(district_sentences(40), per_page=10))

    result = plan_summary(request, ctx)

    assert isinstance(result, SummaryResult)
    assert [step for step, _ in engine.requests] == [None]  # summarize(): one request
    assert result.usage == TokenUsage(input_tokens=4000, output_tokens=10, calls=1)
    assert list(storage.list(request.document.work)) == []  # nothing for a Map


def test_a_long_document_is_planned_into_chunks_in_the_bucket(storage: Storage) -> None:
    engine = CountingSummarizer(per_chunk=30)
    ctx = context(storage, engine)
    sentences = district_sentences(100)
    request = stored_document(ctx, text_pages(sentences, per_page=10))

    plan = plan_summary(request, ctx)

    assert isinstance(plan, SummaryPlan)
    assert engine.requests == []  # planning asks nothing
    assert (plan.level, plan.chunks, plan.items, plan.first_chunks) == (0, 4, [0, 1, 2, 3], 4)
    assert (plan.language, plan.source_sentences) == ("en", 100)
    chunks = [
        storage.read_model(chunk_location(request.document, 0, i), SummaryChunk) for i in range(4)
    ]
    # Every sentence in exactly one chunk, in document order, with its page's language.
    assert [s for chunk in chunks for s in chunk.sentences] == sentences
    assert [len(chunk.sentences) for chunk in chunks] == [30, 30, 30, 10]
    assert all(chunk.languages == ["en"] * len(chunk.sentences) for chunk in chunks)
    assert chunk_location(request.document, 0, 3).key == (
        "work/doc-1/summary/level-0/chunk-00003.json"
    )


def test_chunks_then_reduce_make_the_summary_and_count_every_request(storage: Storage) -> None:
    engine = CountingSummarizer(per_chunk=30)
    ctx = context(storage, engine)
    request = stored_document(ctx, text_pages(district_sentences(100), per_page=10))
    plan = plan_summary(request, ctx)
    assert isinstance(plan, SummaryPlan)

    done, result = run_level(request, plan, ctx)

    assert done == [SummarizeChunkResult(level=0, chunk=i, calls=1) for i in range(4)]
    assert isinstance(result, SummaryResult)
    steps = [step for step, _ in engine.requests]
    assert steps == [SummaryStep.PART] * 4 + [SummaryStep.COMBINE]
    # The reduce reads each chunk's summary, in order.
    assert engine.requests[-1][1] == [
        "In district 1 the harvest yielded 7 tonnes of beans.",
        "In district 31 the harvest yielded 217 tonnes of beans.",
        "In district 61 the harvest yielded 427 tonnes of beans.",
        "In district 91 the harvest yielded 637 tonnes of beans.",
    ]
    # Usage and billing: the four chunks and the reduce.
    assert result.usage == TokenUsage(
        input_tokens=100 * (30 + 30 + 30 + 10 + 4), output_tokens=50, calls=5
    )
    billed = {item.item: item.quantity for item in result.billed}
    assert billed == {f"{MODEL} input": pytest.approx(10.4), f"{MODEL} output": 0.05}
    summary = storage.read_model(request.document.output.child("summary.json"), Summary)
    assert summary.text == "In district 1 the harvest yielded 7 tonnes of beans."
    assert summary.usage is not None and summary.usage.calls == 5
    assert (summary.language, summary.source_sentences) == ("en", 100)
    assert result.artifacts[0].details["chunks"] == 4
    assert result.artifacts[0].details["levels"] == 1


def test_summaries_too_many_for_one_request_are_reduced_in_levels(storage: Storage) -> None:
    engine = CountingSummarizer(per_chunk=3)
    ctx = context(storage, engine)
    request = stored_document(ctx, text_pages(district_sentences(20), per_page=5))
    plan = plan_summary(request, ctx)
    assert isinstance(plan, SummaryPlan) and plan.chunks == 7

    _, second = run_level(request, plan, ctx)
    assert isinstance(second, SummaryPlan)
    assert (second.level, second.chunks, second.first_chunks) == (1, 3, 7)
    assert second.usage.calls == 7  # the level below, carried on
    level_one = storage.read_model(chunk_location(request.document, 1, 0), SummaryChunk)
    assert len(level_one.sentences) == 3

    _, third = run_level(request, second, ctx)
    assert isinstance(third, SummaryResult)
    steps = [step for step, _ in engine.requests]
    assert steps == [SummaryStep.PART] * 7 + [SummaryStep.COMBINE_PART] * 3 + [SummaryStep.COMBINE]
    assert third.usage is not None and third.usage.calls == 11
    assert third.artifacts[0].details["levels"] == 2


def test_a_level_that_does_not_shrink_fails_instead_of_looping(storage: Storage) -> None:
    engine = CountingSummarizer(per_chunk=1)  # one sentence a chunk: summaries never combine
    ctx = context(storage, engine)
    request = stored_document(ctx, text_pages(district_sentences(3), per_page=3))
    plan = plan_summary(request, ctx)
    assert isinstance(plan, SummaryPlan)
    with pytest.raises(EngineFailed, match="3 chunks make 3 chunks again at level 1"):
        run_level(request, plan, ctx)


def test_the_in_process_summary_runs_the_same_steps(storage: Storage) -> None:
    engine = CountingSummarizer(per_chunk=30)
    ctx = context(storage, engine)
    request = stored_document(ctx, text_pages(district_sentences(100), per_page=10))
    result = summarize(request, ctx)
    assert result.usage is not None and result.usage.calls == 5
    assert len(engine.requests) == 5


def test_a_chunk_summarized_before_is_not_asked_again(storage: Storage) -> None:
    engine = CountingSummarizer(per_chunk=30)
    ctx = context(storage, engine)
    request = stored_document(ctx, text_pages(district_sentences(100), per_page=10))
    plan = plan_summary(request, ctx)
    assert isinstance(plan, SummaryPlan)

    first = summarize_chunk(chunk_request(request, plan, 2), ctx)
    again = summarize_chunk(chunk_request(request, plan, 2), ctx)

    assert (first.calls, again.calls) == (1, 0)
    assert len(engine.requests) == 1
    written = storage.read_model(partial_location(request.document, 0, 2), PartialSummary)
    assert written.draft.text.startswith("In district 61 ")

    # Other settings (a longer summary) make another summary of the same chunk.
    other = context(storage, engine, summary_sentences=7)
    assert summarize_chunk(chunk_request(request, plan, 2), other).calls == 1
    assert len(engine.requests) == 2


def test_a_failing_chunk_names_itself_and_keeps_its_error_type(storage: Storage) -> None:
    engine = CountingSummarizer(per_chunk=30, fail={0: Throttled("Bedrock: rate exceeded")})
    ctx = context(storage, engine)
    request = stored_document(ctx, text_pages(district_sentences(100), per_page=10))
    plan = plan_summary(request, ctx)
    assert isinstance(plan, SummaryPlan)
    with pytest.raises(Throttled) as raised:  # still Throttled: the Retry matches it
        summarize_chunk(chunk_request(request, plan, 1), ctx)
    assert str(raised.value) == "report.pdf: summary chunk 2 of 4: Bedrock: rate exceeded"
    assert not storage.exists(partial_location(request.document, 0, 1))


def test_what_travels_between_states_stays_small_at_3000_pages() -> None:
    """Titan Text Express on 3,000 pages of 400 words: the plan (the Map's items) and an
    iteration's result, against the 256 KiB of a state."""
    from scriba.engines.aws.bedrock import BedrockSummarizer

    bedrock = BedrockSummarizer(Settings(), client=None)  # type: ignore[arg-type]
    sentences = district_sentences(3000 * 400 // 28)
    chunks = bedrock.chunks(sentences, "en", 5)
    assert 300 < len(chunks) < 600
    usage = TokenUsage(input_tokens=3_000_000, output_tokens=100_000, calls=len(chunks))
    plan = SummaryPlan(
        level=0,
        chunks=len(chunks),
        items=list(range(len(chunks))),
        language="en",
        source_sentences=len(sentences),
        first_chunks=len(chunks),
        usage=usage,
        billed=bedrock_tokens(MODEL, usage),
        warnings=[],
    )
    assert len(plan.model_dump_json()) < 4 * 1024
    # The Map's result: {"calls": 1} per iteration (the state's ResultSelector).
    assert len(chunks) * len('{"calls":1},') < 8 * 1024


class FindingNothing(CountingSummarizer):
    """An extractive engine that finds no sentence worth quoting in any chunk."""

    def summarize_step(
        self, sentences: Sequence[str], language: str | None, n: int, step: SummaryStep
    ) -> SummaryDraft:
        self.requests.append((step, list(sentences)))
        return SummaryDraft(text="", method=SummaryMethod.NONE, engine="counting")


def test_chunks_without_prose_make_an_empty_summary_with_a_warning(storage: Storage) -> None:
    engine = FindingNothing(per_chunk=30)
    ctx = context(storage, engine)
    request = stored_document(ctx, text_pages(district_sentences(100), per_page=10))
    plan = plan_summary(request, ctx)
    assert isinstance(plan, SummaryPlan)
    _, result = run_level(request, plan, ctx)
    assert isinstance(result, SummaryResult)
    assert result.characters == 0  # HasSummary: straight to Finalize
    assert [step for step, _ in engine.requests] == [SummaryStep.PART] * 4  # nothing to combine
    assert result.warnings == [
        "no sentence of the text reads as prose (headings, lists): nothing to summarize"
    ]
