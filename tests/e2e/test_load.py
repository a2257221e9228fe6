"""A burst of mixed documents, some bad, through the whole trigger path: nothing is lost.

The full 200-document run is `python -m bench.load`; this runs a smaller burst in CI.
"""

from __future__ import annotations

import pytest

from bench.load import report, run

pytestmark = [pytest.mark.local_engines, pytest.mark.slow]


def test_every_document_of_a_burst_ends_processed_or_failed_with_a_reason() -> None:
    result = run(40, workers=2)
    figures = report(result)
    assert figures["without a manifest"] == 0
    assert figures["reconciled"], figures
    assert figures["unexpected outcomes"] == []
    assert figures["executions"] == 40  # duplicates of content reuse results, never re-run twice
    assert figures["failed"] == 20 and figures["succeeded"] == 20
