"""The OCR plan: which pages are OCR'd, and how, decided from the pages alone (no bucket)."""

from __future__ import annotations

import pytest

from scriba.config import Settings
from scriba.models.document import DocumentKind
from scriba.stages.extract.ocr import batches, plan_ocr
from scriba.workflow import OcrMode

SETTINGS = Settings(ocr_batch_pages=2, ocr_job_min_pages=2)


def test_pages_with_a_text_layer_need_no_ocr() -> None:
    plan = plan_ocr([], DocumentKind.PDF, has_jobs=True, languages=["en"], settings=SETTINGS)
    assert (plan.mode, plan.pages, plan.batches) == (OcrMode.NONE, [], [])


def test_a_multi_page_pdf_goes_to_one_job_where_there_are_jobs() -> None:
    plan = plan_ocr([1, 3, 4], DocumentKind.PDF, has_jobs=True, languages=[], settings=SETTINGS)
    assert (plan.mode, plan.pages, plan.batches) == (OcrMode.JOB, [1, 3, 4], [])


def test_one_page_is_below_the_job_minimum_and_is_batched() -> None:
    plan = plan_ocr([7], DocumentKind.PDF, has_jobs=True, languages=[], settings=SETTINGS)
    assert (plan.mode, plan.batches) == (OcrMode.PAGES, [[7]])


@pytest.mark.parametrize("kind", [DocumentKind.TIFF, DocumentKind.PNG, DocumentKind.JPEG])
def test_images_are_batched_even_with_jobs(kind: DocumentKind) -> None:
    # A job reads a PDF in the bucket; a TIFF's frames are OCR'd a page at a time instead.
    plan = plan_ocr([1, 2, 3], kind, has_jobs=True, languages=[], settings=SETTINGS)
    assert (plan.mode, plan.batches) == (OcrMode.PAGES, [[1, 2], [3]])


def test_without_jobs_every_page_is_batched_in_order() -> None:
    plan = plan_ocr(
        [2, 3, 5, 8, 9], DocumentKind.PDF, has_jobs=False, languages=["fr"], settings=SETTINGS
    )
    assert plan.mode is OcrMode.PAGES
    assert plan.batches == [[2, 3], [5, 8], [9]]
    assert [page for batch in plan.batches for page in batch] == plan.pages
    assert plan.languages == ["fr"]


def test_batches_cover_every_page_once() -> None:
    assert batches(list(range(1, 11)), 4) == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]]
    assert batches([], 4) == []


def test_a_long_scan_is_downloaded_at_most_a_hundred_times() -> None:
    from scriba.stages.extract.ocr import MAX_BATCHES

    pages = list(range(1, 3001))
    plan = plan_ocr(pages, DocumentKind.TIFF, has_jobs=True, languages=[], settings=Settings())
    assert len(plan.batches) == MAX_BATCHES == 100  # not 1,500 batches of 2 frames
    assert {len(batch) for batch in plan.batches} == {30}
    assert [page for batch in plan.batches for page in batch] == pages
