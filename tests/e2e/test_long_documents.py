"""Long documents through the whole workflow, with AWS's limits enforced by the local stack
(scriba.local.limits): every state under 256 KiB, where AWS would fail the execution."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scriba.local.cloud import LocalCloud
from scriba.local.limits import STATE_PAYLOAD_BYTES, LimitsReport
from scriba.local.run import DocumentRun, run_documents
from scriba.models.manifest import Status
from scriba.models.text import DocumentText
from tests.badinputs.makers import multipage_tiff, text_image

pytestmark = [pytest.mark.local_engines]

# A scan of this many frames goes to OCR in 100 batches of 3 (at most 100 downloads of the
# source): a Map of 100 iterations. Were each iteration to return its input (the Document), the
# Map's result would pass 256 KiB here (it did: 430 KB).
FRAMES = 300
BATCHES = 100


def _frame_text(number: int) -> str:
    return f"Frame {number} of the long scan"


@pytest.fixture(scope="module")
def long_scan(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[DocumentRun, LimitsReport]]:
    inbox = tmp_path_factory.mktemp("inbox")
    frames = [
        text_image([_frame_text(n)], size=(700, 120), font_size=32) for n in range(1, FRAMES + 1)
    ]
    (inbox / "long-scan.tiff").write_bytes(multipage_tiff(frames))
    out = tmp_path_factory.mktemp("out")
    # Workers of each function's own: peak memory is measured only there.
    with LocalCloud(
        workers=2, parameters={"TargetLanguages": "es"}, sandboxes="per-function"
    ) as cloud:
        (run,) = run_documents([inbox], out, cloud=cloud)
        yield run, cloud.limits()


def test_a_long_scan_is_read_whole_within_the_state_limit(
    long_scan: tuple[DocumentRun, LimitsReport],
) -> None:
    run, limits = long_scan
    assert limits.exceeded == []
    assert run.status is Status.SUCCEEDED, run.failure
    assert run.output is not None
    text = DocumentText.model_validate_json((run.output / "text.json").read_bytes())
    assert [page.number for page in text.pages] == list(range(1, FRAMES + 1))
    assert _frame_text(FRAMES) in text.pages[-1].text
    assert _frame_text(17) in text.pages[16].text


def test_the_ocr_map_result_does_not_grow_with_the_document(
    long_scan: tuple[DocumentRun, LimitsReport],
) -> None:
    _, limits = long_scan
    (result,) = [s for s in limits.states if s.state == "OcrPages" and s.what == "Map result"]
    # 100 iterations: a few bytes each, never the Document each time.
    assert result.largest_bytes < 50 * BATCHES
    largest = max(limits.states, key=lambda s: s.largest_bytes)
    assert largest.largest_bytes < STATE_PAYLOAD_BYTES / 4, largest


def test_each_function_is_measured_against_its_template_limits(
    long_scan: tuple[DocumentRun, LimitsReport],
) -> None:
    _, limits = long_scan
    extract = next(use for use in limits.functions if use.function == "ExtractFunction")
    # Inspect, 100 OCR batches and assemble: each counted, each timed, each measured.
    assert extract.invocations >= BATCHES + 2
    assert 0 < extract.longest_seconds < extract.timeout_seconds
    assert extract.peak_mb is not None and extract.peak_mb > 0
    assert extract.memory_mb == 3008 and extract.timeout_seconds == 900
