"""Page warnings merged, so that a document's warnings stay small in the workflow's state."""

from __future__ import annotations

from scriba.media.warnings import merged_warnings, page_ranges


def test_page_ranges_join_consecutive_pages() -> None:
    assert page_ranges([9, 1, 2, 3, 7, 10]) == "1-3, 7, 9-10"
    assert page_ranges([4]) == "4"


def test_warnings_differing_only_in_the_page_become_one() -> None:
    warnings = [
        f"page {n} cannot be read: Failed to load page; the page is skipped" for n in range(3, 2001)
    ]
    warnings.insert(1, "no text found in the document")
    merged = merged_warnings(warnings)
    assert merged == [
        "pages 3-2000 (1998 pages) cannot be read: Failed to load page; the page is skipped",
        "no text found in the document",
    ]


def test_different_problems_stay_apart_and_single_pages_keep_their_number() -> None:
    merged = merged_warnings(
        [
            "page 2 has a picture of 30,000 x 30,000 px; its pictures are not OCR'd",
            "page 5 cannot be read: bad xref; the page is skipped",
            "page 6 cannot be read: bad xref; the page is skipped",
        ]
    )
    assert merged == [
        "page 2 has a picture of 30,000 x 30,000 px; its pictures are not OCR'd",
        "pages 5-6 (2 pages) cannot be read: bad xref; the page is skipped",
    ]


def test_the_number_of_lines_is_bounded() -> None:
    warnings = [
        f"page {n} has a picture of {n},000 x 9,000 px, over the limit" for n in range(1, 500)
    ]
    merged = merged_warnings(warnings, most=10)
    assert len(merged) == 10
    assert merged[0] == warnings[0]
    assert merged[-1] == "and 490 more warning(s), not listed"
