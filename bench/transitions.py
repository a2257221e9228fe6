"""State transitions per document, from the execution history, for 1 and 3 target languages.

Step Functions Standard workflows are billed per state transition: "Step Functions counts a state
transition each time a step of your workflow is executed ... including retries" (AWS pricing
page). From each execution's history we count every ``*StateEntered`` event (one per state
executed, inside Parallel branches and Map iterations too) plus every retried task attempt (a
``LambdaFunctionScheduled`` beyond the first of its state). The executions are moto's, running
the deployed definition with the real handlers.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.local_stack import distinct_copy, execution_history
from bench.results import CORPUS, BenchResult, Goal, Table, Verdict, run_alone
from scriba.local.cloud import LocalCloud
from scriba.local.run import run_documents
from tests.scans import image_only_pdf, scan_page

PRICE_PER_TRANSITION = 0.025 / 1000  # USD, Standard workflows (us-east-1)
SHORT = "pdflatex-4-pages.pdf"


def transitions(events: Sequence[Mapping[str, Any]]) -> tuple[int, int, Counter[str]]:
    """Billed transitions (states executed plus task retries), the retries, and the states
    executed by type."""
    entered = Counter(
        event["type"].removesuffix("StateEntered")
        for event in events
        if event["type"].endswith("StateEntered")
    )
    tasks = entered.get("Task", 0)
    attempts = sum(1 for event in events if event["type"] == "LambdaFunctionScheduled")
    retries = max(attempts - tasks, 0)
    return sum(entered.values()) + retries, retries, entered


def scanned_copy(folder: Path) -> Path:
    """The short document as a scanner would make it: no text layer, so the OCR path runs."""
    source = CORPUS / SHORT
    scans = [scan_page(source, page, 200) for page in range(1, 5)]
    return image_only_pdf(scans, folder / "pdflatex-4-pages-scanned.pdf", 200)


def measure() -> BenchResult:
    table = Table(
        [
            "document",
            "languages",
            "status",
            "state transitions",
            "of which retries",
            "states executed by type",
            "USD per 1,000 documents",
        ]
    )
    result = BenchResult(key="transitions", title="State transitions per document", table=table)
    counted: dict[tuple[str, str], int] = {}
    with tempfile.TemporaryDirectory(prefix="scriba-bench-") as temporary:
        folder = Path(temporary)
        documents = {
            f"{SHORT} (text layer)": CORPUS / SHORT,
            f"{SHORT} scanned (OCR)": scanned_copy(folder),
        }
        for languages in ("es", "es,fr,ca"):
            with LocalCloud(parameters={"TargetLanguages": languages}) as cloud:
                for label, path in documents.items():
                    copy = folder / languages.replace(",", "-") / path.name
                    copy.parent.mkdir(parents=True, exist_ok=True)
                    copy.write_bytes(distinct_copy(path.read_bytes(), languages))
                    (run,) = run_documents([copy], folder / "out", cloud=cloud)
                    assert run.execution_arn is not None
                    total, retries, by_type = transitions(
                        execution_history(cloud, run.execution_arn)
                    )
                    counted[(label, languages)] = total
                    cost = total * PRICE_PER_TRANSITION * 1000
                    result.goals.append(
                        Goal(
                            f"{label}, {languages}",
                            f"{total} transitions (${cost:.2f} per 1,000 documents)",
                            "report; minimal",
                            Verdict.REPORTED,
                        )
                    )
                    table.add(
                        label,
                        languages,
                        run.status.value if run.status else "unknown",
                        total,
                        retries,
                        ", ".join(f"{kind} {count}" for kind, count in sorted(by_type.items())),
                        f"{cost:.2f}",
                    )
    text = f"{SHORT} (text layer)"
    per_language = (counted[(text, "es,fr,ca")] - counted[(text, "es")]) / 2
    result.notes += [
        f"Each further language adds {per_language:g} transitions (Translate, Speak and "
        "LanguageDone in its Map iteration).",
        f"Priced at ${PRICE_PER_TRANSITION * 1000:.3f} per 1,000 transitions (Standard workflows, "
        "us-east-1), after the free tier.",
        "The scanned copy (4 pages at 200 dpi, no text layer) takes the local OCR path: one "
        "transition per OCR batch, plus the OcrPages Map state. On AWS a multi-page scan goes to "
        "one Textract job instead (StartOcrJob, then a Wait and CheckOcrJob per poll).",
    ]
    return result


if __name__ == "__main__":
    run_alone(measure)
