"""A long document's summary on the AWS path: state transitions, Converse requests and what they
cost per 1,000 documents, at 10, 300 and 3,000 pages.

Each document is a born-digital PDF of 400-word pages (distinct sentences of a made-up harvest
report, 28 words each), run through the deployed definition by the local stack with the **AWS**
engines, as tests/e2e/test_aws_topology.py runs them: S3, SQS, EventBridge and Step Functions
are moto's, Bedrock, Comprehend, Translate and Polly are answered in-process by
``tests.e2e.aws_services.FakeAwsServices`` (Converse answers with the first sentences it was
given, its usage counted at 4 characters a token). The model is the template's default, Titan
Text Express (8K tokens).

Transitions are counted from each execution's history as ``bench.transitions`` counts them
(every state entered, every task retry); the summary's are those of the states Summarize,
HasSummary, SummarizeChunks, SummarizeChunk and ReduceSummary. Bedrock's USD come from the
document's cost ledger (the price table in ``scriba/cost/prices/aws.json``). The baseline is the
previous design: the same requests made one after another inside the one Summarize task (two
transitions, Summarize and HasSummary), which cannot finish a long document in its 600 s.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.local_stack import execution_history
from bench.results import BenchResult, Goal, Table, Verdict, run_alone
from bench.transitions import PRICE_PER_TRANSITION, transitions
from scriba.local.cloud import LocalCloud
from scriba.local.run import run_documents
from tests.badinputs.makers import text_pdf

PAGES = (10, 300, 3000)
WORDS_PER_PAGE = 400
SUMMARY_STATES = {"Summarize", "HasSummary", "SummarizeChunks", "SummarizeChunk", "ReduceSummary"}
BASELINE_TRANSITIONS = 2  # Summarize, HasSummary: the map-reduce inside one task


def sentence(index: int) -> str:
    """28 words, distinct for every index."""
    return (
        f"In district {index} the cooperative harvested {index * 7 % 9973} tonnes of coffee "
        f"beans this season which were washed dried on raised beds sorted by hand and shipped "
        f"to the port before rain {index}."
    )


def report_pdf(pages: int, path: Path) -> Path:
    per_page = WORDS_PER_PAGE // len(sentence(1).split())
    lines = [[sentence(page * per_page + n) for n in range(per_page)] for page in range(pages)]
    # Small type so that every line stays on the page.
    path.write_bytes(text_pdf(lines).replace(b"/F1 14 Tf", b"/F1 5 Tf"))
    return path


def measure() -> BenchResult:
    import scriba.aws.clients  # noqa: PLC0415
    from scriba.context import forget_contexts  # noqa: PLC0415
    from tests.e2e.aws_services import FakeAwsServices  # noqa: PLC0415

    table = Table(
        [
            "pages",
            "status",
            "chunks (levels)",
            "Converse requests",
            "summary transitions (baseline)",
            "all transitions",
            "transitions USD per 1,000 documents",
            "Bedrock USD per 1,000 documents",
            "seconds",
        ]
    )
    result = BenchResult(
        key="summaries", title="Long summaries: the state machine's map-reduce", table=table
    )
    environment = {"SCRIBA_ENGINES": "aws"}
    with (
        tempfile.TemporaryDirectory(prefix="scriba-bench-") as temporary,
        LocalCloud(
            workers=0, parameters={"TargetLanguages": "es"}, environment=environment
        ) as cloud,
    ):
        folder = Path(temporary)
        services = FakeAwsServices(cloud.clients.s3)
        forget_contexts()
        services.install(scriba.aws.clients.session())
        try:
            for pages in PAGES:
                path = report_pdf(pages, folder / f"report-{pages}-pages.pdf")
                started = time.perf_counter()
                (run,) = run_documents([path], folder / "out", cloud=cloud)
                seconds = time.perf_counter() - started
                assert run.execution_arn is not None and run.manifest is not None
                events = execution_history(cloud, run.execution_arn)
                total, _, _ = transitions(events)
                entered = Counter(
                    str(event.get("stateEnteredEventDetails", {}).get("name"))
                    for event in events
                    if str(event["type"]).endswith("StateEntered")
                )
                summary_transitions = sum(entered[name] for name in SUMMARY_STATES)
                artifact = next(a for a in run.manifest.artifacts if a.kind.value == "summary")
                chunks = artifact.details.get("chunks", 1)
                levels = artifact.details.get("levels", 1)
                cost = run.manifest.cost
                lines = cost.lines if cost is not None else []
                bedrock_usd = sum(line.usd for line in lines if line.service == "bedrock")
                calls = sum(1 for call in services.calls if call.operation == "Converse")
                services.calls.clear()
                transitions_usd = total * PRICE_PER_TRANSITION * 1000
                table.add(
                    pages,
                    run.status.value if run.status else "unknown",
                    f"{chunks} ({levels})",
                    calls,
                    f"{summary_transitions} ({BASELINE_TRANSITIONS})",
                    total,
                    f"{transitions_usd:.2f}",
                    f"{bedrock_usd * 1000:.2f}",
                    f"{seconds:.0f}",
                )
                result.goals.append(
                    Goal(
                        f"{pages} pages",
                        f"{total} transitions (${transitions_usd:.2f} per 1,000 documents), "
                        f"{calls} Converse requests (${bedrock_usd * 1000:.2f})",
                        "report; every request and transition counted",
                        Verdict.REPORTED,
                    )
                )
            limits = cloud.limits()
        finally:
            services.uninstall()
            forget_contexts()
    largest = max(limits.states, key=lambda state: state.largest_bytes)
    result.goals.append(
        Goal(
            "largest state payload, Map results included (all three documents)",
            f"{largest.largest_bytes:,} bytes ({largest.state}, {largest.what})",
            "under 256 KiB (scriba.local.limits)",
            Verdict.MET if not limits.exceeded else Verdict.MISSED,
        )
    )
    result.notes += [
        "Summary transitions: Summarize (the plan) and HasSummary, then per level one "
        "SummarizeChunks Map, one SummarizeChunk per chunk, one ReduceSummary and HasSummary "
        "again: chunks + 3 per level above the baseline's 2. A document of one chunk takes the "
        "baseline's 2.",
        f"Priced at ${PRICE_PER_TRANSITION * 1000:.3f} per 1,000 transitions (Standard workflows, "
        "us-east-1) and the price table's Titan Text Express tokens; the fake Bedrock answers "
        "with the first sentences it was given, so output tokens (and a reduce's input) are "
        "those of an extractive answer.",
        "The Map runs 4 chunks at a time per document (MaxConcurrency): Bedrock's on-demand "
        "quotas are per model and account, shared by every document in flight.",
    ]
    return result


if __name__ == "__main__":
    run_alone(measure)
