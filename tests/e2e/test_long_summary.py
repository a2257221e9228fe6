"""A long born-digital book summarized through the whole workflow: the state machine's
map-reduce (Summarize plans the chunks, the SummarizeChunks Map summarizes each, ReduceSummary
combines them) with the local engines, every state within AWS's limits (scriba.local.limits)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from scriba.aws.executions import execution_history
from scriba.local.cloud import LocalCloud
from scriba.local.limits import LimitsReport
from scriba.local.run import DocumentRun, run_documents
from scriba.media.sentences import split_sentences
from scriba.models.manifest import ArtifactKind, Status
from scriba.models.summary import Summary
from scriba.models.text import DocumentText

pytestmark = [pytest.mark.local_engines]

COPIES = 3  # the 117-page book three times over: 351 pages, about 9,200 readable sentences


@pytest.fixture(scope="module")
def long_book(
    corpus: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[DocumentRun, LimitsReport, Counter[str]]]:
    inbox = tmp_path_factory.mktemp("inbox")
    book = pdfium.PdfDocument(corpus / "GeoTopo-komprimiert.pdf")
    long = pdfium.PdfDocument.new()
    for _ in range(COPIES):
        long.import_pages(book)
    long.save(inbox / "book-three-times.pdf")
    out = tmp_path_factory.mktemp("out")
    with LocalCloud(workers=2, parameters={"TargetLanguages": "es"}) as cloud:
        (run,) = run_documents([inbox], out, cloud=cloud)
        assert run.execution_arn is not None
        entered = Counter(
            str(event.get("stateEnteredEventDetails", {}).get("name"))
            for event in execution_history(cloud.sfn, run.execution_arn)
            if str(event["type"]).endswith("StateEntered")
        )
        yield run, cloud.limits(), entered


def test_the_map_summarizes_each_chunk_within_the_state_limit(
    long_book: tuple[DocumentRun, LimitsReport, Counter[str]],
) -> None:
    run, limits, entered = long_book
    assert limits.exceeded == []
    assert run.manifest is not None
    summary_artifact = run.manifest.artifact(ArtifactKind.SUMMARY)
    assert summary_artifact is not None and summary_artifact.status is Status.SUCCEEDED
    chunks = summary_artifact.details["chunks"]
    assert isinstance(chunks, int) and chunks >= 3
    # Plan, one Map over the chunks (one task each), one reduce; HasSummary before and after.
    assert entered["Summarize"] == entered["SummarizeChunks"] == entered["ReduceSummary"] == 1
    assert entered["SummarizeChunk"] == chunks
    assert entered["HasSummary"] == 2
    (result,) = [
        s for s in limits.states if s.state == "SummarizeChunks" and s.what == "Map result"
    ]
    assert result.largest_bytes < 20 * chunks  # {"calls": 1} an iteration


def test_the_summary_quotes_the_book_in_its_language(
    long_book: tuple[DocumentRun, LimitsReport, Counter[str]],
) -> None:
    run, _, _ = long_book
    assert run.output is not None and run.manifest is not None
    assert run.manifest.pages == 117 * COPIES
    summary = Summary.model_validate_json((run.output / "summary.json").read_bytes())
    text = DocumentText.model_validate_json((run.output / "text.json").read_bytes())
    sentences = set(split_sentences(text.plain_text, "de"))
    assert summary.language == "de"
    assert len(summary.sentences) == 5
    assert all(sentence in sentences for sentence in summary.sentences)
    assert summary.source_sentences > 8_000
    # The estimate of what Bedrock would have billed counts every step: plan, chunks, reduce.
    cost = run.manifest.cost
    assert cost is not None
    bedrock = [line for line in cost.lines if line.service == "bedrock"]
    assert bedrock and all(line.stage.value == "summarize" for line in bedrock)
