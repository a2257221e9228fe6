"""Bad inputs, piece by piece: the corpus and its docs table, what the sniffer calls things, the
page policy of inspect, S3 events for keys that URL-decode to other keys, and the CLI's lines.

The whole corpus runs end to end in tests/e2e/test_bad_inputs.py.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pypdfium2 as pdfium
import pytest
from PIL import Image

from scriba import errors, layout
from scriba.aws.storage import Storage
from scriba.config import Settings
from scriba.errors import CorruptDocument, DecompressionBomb, UnsupportedDocumentType
from scriba.local.run import (
    DocumentRun,
    export_results,
    finished_line,
    printable,
    summary_line,
)
from scriba.media.intake import sniff
from scriba.media.pdf import check_picture_sizes, pdf_document
from scriba.media.pdf_pictures import embedded_images
from scriba.models.document import Source
from scriba.models.manifest import Failure, Manifest, Stage, Status
from scriba.models.text import Page
from scriba.stages.extract.inspect import read_pdf
from scriba.stages.start import resolve_key
from tests.badinputs import makers
from tests.badinputs.corpus import (
    BY_NAME,
    CASES,
    TABLE_END,
    TABLE_START,
    outcome,
    results_folder,
    shown_key,
)

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "bad-inputs.md"

# -- the corpus and its table --------------------------------------------------------------------


def test_the_corpus_covers_enough_distinct_cases() -> None:
    assert len(CASES) >= 30
    assert len({case.name for case in CASES}) == len(CASES)
    keys = [key for case in CASES for _, key in case.uploads()]
    assert len(set(keys)) == len(keys)
    assert {case.expected.status for case in CASES} == {"succeeded", "failed"}


def _reason_codes() -> set[str]:
    # Every code a manifest can carry: the typed errors' and those of Step Functions' own errors.
    codes = {cls.reason for cls in errors.ERROR_TYPES.values()}
    codes |= set(errors._STATES_REASONS.values())
    return codes | {errors.reason_for("Lambda.SomethingElse"), errors.reason_for("NoSuchError")}


def test_expected_reasons_are_real_codes() -> None:
    codes = _reason_codes()
    for case in CASES:
        if case.expected.status == "failed":
            assert case.expected.reason in codes, case.name
            assert case.expected.problem, case.name


def test_reason_codes_are_snake_case_and_all_documented() -> None:
    document = DOC.read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([a-z_]+)` \|", document, flags=re.MULTILINE))
    for code in _reason_codes():
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", code), code
        assert code in listed, f"reason code {code} is missing from docs/bad-inputs.md"


def test_the_docs_table_lists_every_case_with_its_promised_outcome() -> None:
    document = DOC.read_text(encoding="utf-8")
    table = document[document.index(TABLE_START) : document.index(TABLE_END)]
    rows = [line for line in table.splitlines() if line.startswith("| ")][2:]
    assert len(rows) == len(CASES)
    for row, case in zip(rows, CASES, strict=True):
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", row)[1:-1]]
        assert cells[0] == case.name
        assert cells[1] == f"`{shown_key(case.key)}`"
        assert cells[2] == case.made
        assert cells[3] == outcome(case.expected)
        folder = results_folder(case.key)
        assert cells[5] == ("" if folder == case.key else f"`{shown_key(folder)}`")


# -- the generated files are what they claim --------------------------------------------------


def test_the_encrypted_pdf_is_real_encryption(tmp_path: Path) -> None:
    path = tmp_path / "locked.pdf"
    path.write_bytes(makers.encrypted_pdf(["Secret words"], "hunter2"))
    with pytest.raises(pdfium.PdfiumError):
        pdfium.PdfDocument(path)
    opened = pdfium.PdfDocument(path, password="hunter2")
    try:
        assert opened[0].get_textpage().get_text_range() == "Secret words"
    finally:
        opened.close()


def test_the_png_bomb_is_small_and_huge(tmp_path: Path) -> None:
    data = makers.png_bomb(10_000)
    assert len(data) < 20_000
    path = tmp_path / "bomb.png"
    path.write_bytes(data)
    Image.MAX_IMAGE_PIXELS = None  # read the header only, no guard, to see what it claims
    try:
        with Image.open(path) as image:
            assert image.size == (10_000, 10_000)
    finally:
        Image.MAX_IMAGE_PIXELS = 89_478_485  # Pillow's default


# -- what the sniffer calls things --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "named"),
    [
        ("utf16-text", "UTF-16 text"),
        ("word-renamed-pdf", "Office Open XML"),
        ("zip-renamed-pdf", "a ZIP archive"),
        ("heic-renamed-jpg", "HEIC/HEIF image"),
        ("webp-renamed-jpg", "WebP image"),
        ("svg", "SVG drawing"),
        ("html-renamed-pdf", "HTML page"),
        ("legacy-office", "legacy Office"),
    ],
)
def test_unsupported_content_is_named_for_what_it_is(name: str, named: str) -> None:
    case = BY_NAME[name]
    with pytest.raises(UnsupportedDocumentType, match=re.escape(named)) as raised:
        sniff(case.data()[:2048], case.key)
    assert raised.value.document == case.key


def _stored_zip(name: str, data: bytes) -> bytes:
    """A ZIP whose first member is stored uncompressed, as ODF requires of its mimetype."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("head", "named"),
    [
        ("notes, then ünïcødé: ".encode().ljust(2047, b"x") + "é".encode()[:1], "plain text"),
        ("UTF-32 words".encode("utf-32"), "UTF-32 text"),
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1", "AVIF image"),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2", "MP4"),
        (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"/>', "XML document"),
        (_stored_zip("mimetype", b"application/vnd.oasis.opendocument.text"), "OpenDocument"),
    ],
)
def test_more_kinds_are_named(head: bytes, named: str) -> None:
    with pytest.raises(UnsupportedDocumentType, match=re.escape(named)):
        sniff(head, "upload.pdf")


# -- inspect's page policy ------------------------------------------------------------------------


def _pages(
    tmp_path: Path, data: bytes, settings: Settings
) -> tuple[list[Page], list[int], list[str]]:
    path = tmp_path / "in.pdf"
    path.write_bytes(data)
    reading = read_pdf(path, "in/doc.pdf", settings)
    return list(reading.text_pages), reading.needs_ocr, reading.warnings


def test_a_page_pdfium_cannot_load_is_skipped_with_a_warning(tmp_path: Path) -> None:
    data = makers.broken_later_page_pdf(["First page words"], ["never read"])
    text_pages, ocr, warnings = _pages(tmp_path, data, Settings())
    assert [page.text for page in text_pages] == ["First page words"]
    assert ocr == []
    assert warnings == ["page 2 cannot be read: Failed to load page.; the page is skipped"]


def test_a_pdf_none_of_whose_pages_loads_is_corrupt(tmp_path: Path) -> None:
    data = makers.text_pdf([["one"], ["two"]]).replace(
        b"/Kids [4 0 R 6 0 R]", b"/Kids [3 0 R 3 0 R]", 1
    )
    with pytest.raises(CorruptDocument, match=r"in/doc\.pdf: none of the 2 pages can be read"):
        _pages(tmp_path, data, Settings())


def test_a_page_with_a_picture_over_the_pixel_limit_is_not_rendered(tmp_path: Path) -> None:
    with pytest.raises(DecompressionBomb, match=r"8,000 x 8,000 px, over the limit of 1,000,000"):
        _pages(tmp_path, makers.image_bomb_pdf(8000), Settings(max_image_pixels=1_000_000))
    # Within the limit, the same page is planned for OCR.
    _, ocr, warnings = _pages(tmp_path, makers.image_bomb_pdf(800), Settings())
    assert ocr == [1] and warnings == []


def test_picture_sizes_are_read_without_decoding(tmp_path: Path) -> None:
    path = tmp_path / "bomb.pdf"
    path.write_bytes(makers.image_bomb_pdf(60_000))  # 3.6 billion pixels
    with pdf_document(path, "bomb.pdf") as document, pytest.raises(DecompressionBomb):
        check_picture_sizes(document, 1, 100_000_000)


def test_pictures_of_readable_pages_are_found_when_another_page_is_broken(
    tmp_path: Path,
) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(makers.broken_later_page_pdf(["words"], ["never"]))
    with pdf_document(path, "broken.pdf") as document:
        found = embedded_images(document, 10)
        assert list(found) == []
        assert found.unreadable_pages == 1


# -- S3 events whose key URL-decodes to another real key ------------------------------------------


@pytest.fixture
def s3(mocked_aws: None) -> Iterator[Any]:
    client = boto3.client("s3", region_name="us-east-1")
    client.create_bucket(Bucket="in-bucket")
    yield client


def test_an_encoded_key_that_names_two_objects_is_resolved_by_version(s3: Any) -> None:
    s3.put_bucket_versioning(Bucket="in-bucket", VersioningConfiguration={"Status": "Enabled"})
    plus = s3.put_object(Bucket="in-bucket", Key="a+b.pdf", Body=b"plus")
    space = s3.put_object(Bucket="in-bucket", Key="a b.pdf", Body=b"space")
    storage = Storage(s3)
    # S3 sends "a b.pdf" as "a+b.pdf", and "a+b.pdf" as "a%2Bb.pdf".
    assert resolve_key(storage, "in-bucket", "a+b.pdf", space["VersionId"]) == "a b.pdf"
    assert resolve_key(storage, "in-bucket", "a+b.pdf", plus["VersionId"]) == "a+b.pdf"
    assert resolve_key(storage, "in-bucket", "a%2Bb.pdf", plus["VersionId"]) == "a+b.pdf"


def test_without_versioning_the_etag_tells_the_objects_apart(s3: Any) -> None:
    s3.put_object(Bucket="in-bucket", Key="a+b.pdf", Body=b"plus")
    space = s3.put_object(Bucket="in-bucket", Key="a b.pdf", Body=b"space")
    etag = space["ETag"].strip('"')
    assert resolve_key(Storage(s3), "in-bucket", "a+b.pdf", None, etag) == "a b.pdf"
    assert resolve_key(Storage(s3), "in-bucket", "a+b.pdf") == "a+b.pdf"  # no way to tell


def test_export_stays_in_its_folder_whatever_the_bucket_holds(s3: Any, tmp_path: Path) -> None:
    s3.create_bucket(Bucket="out-bucket")
    prefix = layout.output_prefix(
        Settings(output_bucket="out-bucket"), Source(bucket="in-bucket", key="../../x.pdf")
    )
    # Keys a compromised or buggy writer could leave below the document's prefix.
    for relative in ("../../../../evil.txt", "a/../../../b.txt", "/abs.txt", "ok/\x1b.txt"):
        s3.put_object(Bucket="out-bucket", Key=f"{prefix.key}/{relative}", Body=b"x")
    s3.put_object(Bucket="out-bucket", Key=f"{prefix.key}/manifest.json", Body=b"{}")
    out = tmp_path / "out"
    target = out / prefix.key.removeprefix("documents/")
    export_results(Storage(s3), prefix, target)
    written = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert len(written) == 5
    assert all(path.resolve().is_relative_to(target.resolve()) for path in written)


# -- the CLI's line per document ------------------------------------------------------------------


def _failed_run(key: str, message: str) -> DocumentRun:
    source = Source(bucket="in-bucket", key=key, version_id="v1")
    failure = Failure(stage=Stage.INSPECT, reason="corrupt_document", message=message)
    manifest = Manifest(
        document_id="d",
        name=key,
        source=source,
        output="s3://out-bucket/documents/x/",
        status=Status.FAILED,
        engines="local",
        failure=failure,
        finished_at=datetime.now(UTC),
    )
    return DocumentRun(
        path=Path("x"), key=key, source=source, status=Status.FAILED, manifest=manifest
    )


def test_a_failed_document_is_one_printable_line() -> None:
    key = "evil\n\x1b[2Jname\u202e.pdf"
    line = summary_line(_failed_run(key, f"{key}: page 1\nTraceback (most recent call last)"))
    assert "\n" not in line and "\x1b" not in line and line.isprintable()
    assert "evil\\n\\x1b[2Jname\\u202e.pdf" in line
    assert line.startswith("failed    ") and "inspect: corrupt_document: " in line


def test_serve_and_watch_print_the_same_failure_line_as_run() -> None:
    key = "inbox/evil\nname.pdf"
    run = _failed_run(key, f"{key}: the file is password-protected")
    assert run.manifest is not None
    line = finished_line(key, run.manifest, Path("mirror/inbox/evil_name.pdf"))
    assert line == (
        "failed    inbox/evil\\nname.pdf  inspect: corrupt_document: "
        "inbox/evil\\nname.pdf: the file is password-protected  ->  "
        "mirror/inbox/evil_name.pdf/manifest.json"
    )
    assert finished_line("a.pdf", None, Path("m/a.pdf")).startswith("unknown   a.pdf  ->  ")


def test_printable_keeps_letters_of_every_script() -> None:
    assert printable("ünïcødé/文件 名 + 100%.pdf") == "ünïcødé/文件 名 + 100%.pdf"
    assert printable("tab\there") == "tab\\there"
