"""Every word on the page, through the whole local stack: a picture of text under a text-layer
header is OCR'd and merged, once; a searchable scan is not OCR'd again; a mojibake text layer is
replaced by OCR, with the reason; a photo beside text adds nothing. The manifest says how each
page was read and why, and the cost ledger counts the OCR pages this adds."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from scriba.local.cloud import LocalCloud
from scriba.local.run import DocumentRun, run_documents
from scriba.models.manifest import ArtifactKind, Status
from scriba.models.text import DocumentText, PageSource
from tests.routing_documents import (
    HEADER,
    PARAGRAPH,
    header_over_picture_pdf,
    mojibake_pdf,
    searchable_scan_pdf,
)

pytestmark = [pytest.mark.local_engines]


@pytest.fixture(scope="module")
def runs(
    corpus: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, DocumentRun]]:
    inbox = tmp_path_factory.mktemp("inbox")
    (inbox / "header.pdf").write_bytes(header_over_picture_pdf())
    (inbox / "searchable.pdf").write_bytes(searchable_scan_pdf())
    (inbox / "mojibake.pdf").write_bytes(mojibake_pdf())
    shutil.copy(corpus / "pdflatex-image.pdf", inbox / "photo.pdf")
    out = tmp_path_factory.mktemp("out")
    with LocalCloud(workers=2, parameters={"TargetLanguages": ""}) as cloud:
        results = run_documents([inbox], out, cloud=cloud)
    yield {run.key: run for run in results}


def _words(text: str) -> Counter[str]:
    return Counter(re.sub(r"[^\w]", "", token).casefold() for token in text.split()) - Counter(
        {"": 1_000_000}
    )


def _text(run: DocumentRun) -> DocumentText:
    assert run.output is not None
    return DocumentText.model_validate_json((run.output / "text.json").read_bytes())


def _details(run: DocumentRun) -> Mapping[str, object]:
    assert run.manifest is not None
    artifact = run.manifest.artifact(ArtifactKind.TEXT)
    assert artifact is not None
    return artifact.details


def _ocr_pages_billed(run: DocumentRun) -> float:
    assert run.manifest is not None and run.manifest.cost is not None
    return sum(
        line.quantity
        for line in run.manifest.cost.lines
        if line.service == "textract" and line.unit == "page"
    )


def test_a_picture_of_text_under_a_header_is_read_once(runs: dict[str, DocumentRun]) -> None:
    run = runs["header.pdf"]
    assert run.status is Status.SUCCEEDED, run.manifest
    assert run.output is not None
    plain = (run.output / "text.txt").read_text()
    # Every word of the paragraph, as often as the paragraph has it: not lost, not doubled.
    assert _words(plain) == _words(HEADER) + _words(PARAGRAPH), plain
    page = _text(run).pages[0]
    assert page.source is PageSource.MIXED
    assert page.lines[0].text == HEADER and page.lines[0].source is PageSource.TEXT_LAYER
    assert {line.source for line in page.lines[1:]} == {PageSource.OCR}
    assert all(line.confidence >= 60 for line in page.lines[1:])
    details = _details(run)
    assert details["ocr_pages"] == 1 and details["mixed_pages"] == 1
    assert details["reading"] == [{"pages": "1", "source": "text_layer+ocr", "why": page.why}]
    assert _ocr_pages_billed(run) == 1


def test_a_searchable_scan_is_not_ocrd_again(runs: dict[str, DocumentRun]) -> None:
    run = runs["searchable.pdf"]
    assert run.status is Status.SUCCEEDED, run.manifest
    page = _text(run).pages[0]
    assert page.source is PageSource.TEXT_LAYER
    assert _words(page.text) == _words(PARAGRAPH)
    assert _details(run)["ocr_pages"] == 0
    assert _ocr_pages_billed(run) == 0


def test_a_mojibake_text_layer_is_ocrd_with_the_reason(runs: dict[str, DocumentRun]) -> None:
    run = runs["mojibake.pdf"]
    assert run.status is Status.SUCCEEDED, run.manifest
    page = _text(run).pages[0]
    assert page.source is PageSource.OCR
    assert page.why is not None and "mojibake" in page.why
    assert "emergency stop button returns to its raised position" in page.text
    assert "Ã" not in page.text
    assert _details(run)["reading"] == [{"pages": "1", "source": "ocr", "why": page.why}]
    assert _ocr_pages_billed(run) == 1


def test_a_photo_beside_text_adds_no_words(runs: dict[str, DocumentRun]) -> None:
    run = runs["photo.pdf"]
    assert run.status is Status.SUCCEEDED, run.manifest
    page = _text(run).pages[0]
    # OCR looked at the photo (the page is billed) and found no text in it.
    assert page.source is PageSource.TEXT_LAYER
    assert page.why == "the text layer; OCR found no text in its 1 picture(s)"
    assert _ocr_pages_billed(run) == 1
