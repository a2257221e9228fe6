"""The bad-input corpus: every case, how it is made, and the outcome scriba promises for it.

Cases are generated at test time (``materialise``), deterministically. The outcomes here are the
contract: ``tests/e2e/test_bad_inputs.py`` runs every case through the deployed workflow (locally)
and checks it, and ``docs/bad-inputs.md`` shows them as a table that a test keeps in step
(``python -m tests.badinputs.corpus`` runs the cases and rewrites it).

Limits are configured small for the run (``PARAMETERS`` of the template, ``ENVIRONMENT`` of the
functions) so that "over the limit" cases stay small.
"""

from __future__ import annotations

import random
import re
import tempfile
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path

from PIL import Image

from scriba import layout
from scriba.config import Settings
from scriba.models.document import Source
from scriba.models.manifest import Manifest
from tests import routing_documents
from tests.badinputs import makers

# The limits of the run (template parameters and settings); the defaults are the AWS limits.
MAX_DOCUMENT_BYTES = 2_000_000
MAX_PAGES = 5
MAX_IMAGE_SIDE = 3500
MAX_IMAGE_PIXELS = 20_000_000
MIN_IMAGE_SIDE = 32

PARAMETERS: Mapping[str, str] = {
    "TargetLanguages": "",  # no translation or narration: bad inputs are about the front door
    "MaxDocumentBytes": str(MAX_DOCUMENT_BYTES),
    "MaxPages": str(MAX_PAGES),
}
ENVIRONMENT: Mapping[str, str] = {
    "SCRIBA_MAX_IMAGE_SIDE": str(MAX_IMAGE_SIDE),
    "SCRIBA_MAX_IMAGE_PIXELS": str(MAX_IMAGE_PIXELS),
    "SCRIBA_MIN_IMAGE_SIDE": str(MIN_IMAGE_SIDE),
}

# Where the copies uploaded with a plain S3 client go (keys of "both" cases get this prefix).
DIRECT_PREFIX = "direct/"


class Route(StrEnum):
    FILE = "file"  # a file on disk, through ``scriba run`` / run_documents
    DIRECT = "direct"  # a key no file can have: put with a plain S3 client
    BOTH = "both"  # both, the direct copy under DIRECT_PREFIX with its own marker


@dataclass(frozen=True)
class Expected:
    status: str  # succeeded | failed
    reason: str | None = None  # failure reason code
    stage: str | None = None  # stage of the failure
    problem: str | None = None  # words the failure message must contain (it names the problem)
    warning: str | None = None  # words one manifest warning must contain
    text: str | None = None  # words text.txt must contain (case-insensitive)
    absent: str | None = None  # words text.txt must not contain (never read, never run)
    kind: str | None = None  # the type decided by content


@dataclass(frozen=True)
class Case:
    name: str  # stable id
    key: str  # the S3 key (and the file's relative path for FILE/BOTH)
    made: str  # how it is made, for people
    build: Callable[[str], bytes] = field(repr=False)  # gets a marker word, returns the bytes
    expected: Expected
    route: Route = Route.FILE
    # For keys whose S3 event is URL-encoded in a way that also names another object: the key
    # as an S3 notification carries it (the test sends that event itself).
    event_key: str | None = None

    def data(self, route: Route = Route.FILE) -> bytes:
        return _data(self, route)

    def marker(self, route: Route = Route.FILE) -> str:
        """A word only this case's content holds (the direct copy has another)."""
        base = re.sub(r"[^a-z0-9]", "", self.name.lower())
        return f"marker{base}{'direct' if route is Route.DIRECT else ''}"

    def uploads(self) -> list[tuple[Route, str]]:
        """Where this case is uploaded: (route, key) pairs."""
        if self.route is Route.BOTH:
            return [(Route.FILE, self.key), (Route.DIRECT, DIRECT_PREFIX + self.key)]
        return [(self.route, self.key)]


@cache
def _data(case: Case, route: Route) -> bytes:
    return case.build(case.marker(route))


def _marked_pdf(marker: str) -> bytes:
    return makers.text_pdf([[f"This document carries the word {marker}.", "Nothing else."]])


def _ocr_image() -> Image.Image:
    """The picture of the image cases; OCR must read ``OCR_WORDS`` in it."""
    return makers.text_image(["Quarterly invoice", "Total amount due"])


OCR_WORDS = "invoice"


def _long_key() -> str:
    """Exactly 1,024 bytes of UTF-8 (the S3 maximum), with a 300-byte folder name and a
    multibyte file name longer than any file system allows."""
    head = "long/" + "folder-" * 42 + "x" * 6 + "/"
    tail = ".pdf"
    body = "名" * ((1024 - len(head.encode()) - len(tail)) // 3)
    pad = "y" * (1024 - len(head.encode()) - len(body.encode()) - len(tail))
    key = head + body + pad + tail
    assert len(key.encode()) == 1024
    return key


SUCCEEDED_PDF = Expected(status="succeeded", kind="pdf")
UNSUPPORTED = "unsupported_type"


def _unsupported(problem: str) -> Expected:
    return Expected(status="failed", reason=UNSUPPORTED, stage="inspect", problem=problem)


def _key_case(name: str, key: str, made: str, route: Route = Route.BOTH) -> Case:
    return Case(
        name=name,
        key=key,
        made=made,
        build=_marked_pdf,
        expected=SUCCEEDED_PDF,
        route=route,
    )


CASES: tuple[Case, ...] = (
    # -- not a document scriba reads --------------------------------------------------------
    Case(
        "empty-file",
        "empty.pdf",
        "0 bytes",
        lambda _: b"",
        Expected("failed", "empty_file", "inspect", problem="empty"),
    ),
    Case(
        "text-renamed-pdf",
        "notes-renamed.pdf",
        "UTF-8 plain text named .pdf",
        lambda m: f"Meeting notes {m}\nNothing but text in here.\n".encode(),
        _unsupported("plain text"),
    ),
    Case(
        "utf16-text",
        "utf16-notes.pdf",
        "UTF-16 (with BOM) text named .pdf",
        lambda m: f"Notes {m} written by a Windows editor".encode("utf-16"),
        _unsupported("UTF-16 text"),
    ),
    Case(
        "word-renamed-pdf",
        "word-document.pdf",
        "a Word .docx (OOXML ZIP) named .pdf",
        makers.docx,
        _unsupported("Office Open XML"),
    ),
    Case(
        "zip-renamed-pdf",
        "archive.pdf",
        "a ZIP archive holding a PDF, named .pdf",
        lambda m: makers.zip_archive({"inner.pdf": _marked_pdf(m)}),
        _unsupported("ZIP archive"),
    ),
    Case(
        "html-renamed-pdf",
        "web-page.pdf",
        "an HTML page saved as .pdf",
        lambda m: f"<!DOCTYPE html><html><body><p>{m}</p></body></html>".encode(),
        _unsupported("HTML page"),
    ),
    Case(
        "legacy-office",
        "legacy-word.pdf",
        "a legacy Office (OLE2) header named .pdf",
        lambda _: makers.ole2_header(),
        _unsupported("legacy Office"),
    ),
    Case(
        "svg",
        "drawing.svg",
        "an SVG drawing",
        lambda m: (
            f'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="200" '
            f'height="100"><text x="10" y="50">{m}</text></svg>'
        ).encode(),
        _unsupported("SVG"),
    ),
    Case(
        "gif",
        "animation.gif",
        "a GIF image",
        lambda _: makers.encoded(makers.text_image(["gif"], size=(200, 100)), "GIF"),
        _unsupported("GIF image"),
    ),
    Case(
        "webp-renamed-jpg",
        "photo-webp.jpg",
        "a WebP image named .jpg",
        lambda _: makers.encoded(makers.text_image(["webp"], size=(200, 100)), "WEBP"),
        _unsupported("WebP image"),
    ),
    Case(
        "heic-renamed-jpg",
        "photo-heic.jpg",
        "a HEIC file (ISO BMFF ftyp box, brand heic) named .jpg",
        lambda _: makers.heic_like(),
        _unsupported("HEIC"),
    ),
    # -- broken PDFs --------------------------------------------------------------------------
    Case(
        "truncated-pdf",
        "truncated.pdf",
        "a 3-page PDF cut at 60 % of its bytes",
        lambda m: (data := makers.text_pdf([[m], ["page two"], ["page three"]]))[
            : len(data) * 6 // 10
        ],
        Expected("failed", "corrupt_document", "inspect", problem="truncated or damaged"),
    ),
    Case(
        "garbage-after-header",
        "corrupt.pdf",
        "%PDF-1.7 header, then 4 KB of random bytes",
        lambda _: b"%PDF-1.7\n" + random.Random(11).randbytes(4096),
        Expected("failed", "corrupt_document", "inspect", problem="truncated or damaged"),
    ),
    Case(
        "password-protected",
        "password.pdf",
        "a text PDF encrypted with an open password (RC4, standard security handler)",
        lambda m: makers.encrypted_pdf([f"Secret {m}"], "hunter2"),
        Expected("failed", "encrypted_document", "inspect", problem="password-protected"),
    ),
    Case(
        "no-pages",
        "no-pages.pdf",
        "a catalog with an empty page tree (/Count 0)",
        lambda _: makers.no_pages_pdf(),
        Expected("failed", "no_pages", "inspect", problem="no pages"),
    ),
    Case(
        "damaged-xref",
        "damaged-xref.pdf",
        "every xref offset off by 37 bytes",
        lambda m: re.sub(
            rb"(\d{10}) 00000 n",
            lambda found: b"%010d 00000 n" % (int(found.group(1)) + 37),
            _marked_pdf(m),
        ),
        Expected("succeeded", kind="pdf", text="carries the word"),
    ),
    Case(
        "junk-before-header",
        "leading-junk.pdf",
        "480 bytes of junk before %PDF- (the spec allows up to 1,024)",
        lambda m: b"junk " * 96 + _marked_pdf(m),
        Expected("succeeded", kind="pdf", text="carries the word"),
    ),
    Case(
        "broken-later-page",
        "broken-page-2.pdf",
        "page 1 fine; the page tree's second entry is a font, not a page",
        lambda m: makers.broken_later_page_pdf(
            [f"The first page of this report is fine: {m}."], ["never read"]
        ),
        Expected(
            "succeeded",
            kind="pdf",
            text="the first page",
            warning="page 2 cannot be read",
            absent="never read",
        ),
    ),
    Case(
        "javascript-attachment",
        "javascript-attachment.pdf",
        "an OpenAction JavaScript (alert, submitForm) and an embedded PDF file",
        lambda m: makers.javascript_attachment_pdf(
            [f"Visible words {m}"], makers.text_pdf([["attachedsecret"]])
        ),
        Expected("succeeded", kind="pdf", text="visible words", absent="attachedsecret"),
    ),
    Case(
        "garbage-font",
        "garbage-font.pdf",
        "Helvetica text whose ToUnicode map points into the private use area",
        lambda _: makers.garbage_unicode_pdf(["Quarterly invoice total"]),
        Expected("succeeded", kind="pdf", text=OCR_WORDS),
    ),
    Case(
        "picture-of-text",
        "picture-of-text.pdf",
        "a running header in the text layer over a picture of a typed paragraph",
        lambda _: routing_documents.header_over_picture_pdf(),
        Expected("succeeded", kind="pdf", text="the supervisor signs the entry"),
    ),
    Case(
        "searchable-scan",
        "searchable-scan.pdf",
        "a scan under its invisible OCR text (render mode 3): the text layer, not OCR'd again",
        lambda _: routing_documents.searchable_scan_pdf(),
        Expected("succeeded", kind="pdf", text="the supervisor signs the entry"),
    ),
    Case(
        "mojibake-layer",
        "mojibake-layer.pdf",
        "a scan under an invisible text layer in the wrong encoding (UTF-8 read as cp1252)",
        lambda _: routing_documents.mojibake_pdf(),
        Expected(
            "succeeded", kind="pdf", text="emergency stop button", absent="\u00e3"
        ),  # "Ã©", lowercased
    ),
    Case(
        "huge-page",
        "huge-page.pdf",
        "a 14,400 x 6,000 pt page (200 x 83 in) holding a scan: rendered within max_image_side",
        lambda _: makers.image_pdf(
            makers.encoded(_ocr_image().convert("RGB"), "JPEG", quality=90),
            1200,
            500,
            media_box=b"[0 0 14400 6000]",
        ),
        Expected("succeeded", kind="pdf", text=OCR_WORDS),
    ),
    Case(
        "zero-mediabox",
        "zero-mediabox.pdf",
        "MediaBox [0 0 0 0] (pdfium, like viewers, falls back to Letter)",
        lambda m: makers.text_pdf([[f"Zero box {m}"]], media_box=b"[0 0 0 0]"),
        Expected("succeeded", kind="pdf", text="zero box"),
    ),
    Case(
        "negative-mediabox",
        "negative-mediabox.pdf",
        "MediaBox [0 0 -612 -792] with the text inside it (at -540, -100)",
        lambda m: makers.text_pdf(
            [[f"Negative box {m}"]], media_box=b"[0 0 -612 -792]", origin=(-540, -100)
        ),
        Expected("succeeded", kind="pdf", text="negative box"),
    ),
    Case(
        "blank-pdf",
        "blank.pdf",
        "one page, empty content stream: no text, no pictures",
        lambda _: makers.blank_pdf(),
        Expected("succeeded", kind="pdf", warning="no text found"),
    ),
    Case(
        "pdf-image-bomb",
        "image-bomb.pdf",
        "a page holding one 8,000 x 8,000 1-bit image of zeros (8 KB, 64 Mpx)",
        lambda _: makers.image_bomb_pdf(8000),
        Expected("failed", "decompression_bomb", "inspect", problem="decompression bomb"),
    ),
    Case(
        "pdf-named-png",
        "scan.png",
        "a text PDF named .png",
        _marked_pdf,
        Expected("succeeded", kind="pdf", text="carries the word"),
    ),
    # -- over the limits ----------------------------------------------------------------------
    Case(
        "too-large",
        "too-large.pdf",
        f"a readable PDF padded to 2.5 MB (limit {MAX_DOCUMENT_BYTES:,} bytes)",
        lambda m: makers.padded_pdf([m], 2_500_000),
        Expected("failed", "too_large", "inspect", problem="over the limit"),
    ),
    Case(
        "too-many-pages",
        "too-many-pages.pdf",
        f"{MAX_PAGES + 1} text pages (limit {MAX_PAGES})",
        lambda m: makers.text_pdf([[f"Page {n} {m}"] for n in range(1, MAX_PAGES + 2)]),
        Expected("failed", "too_many_pages", "inspect", problem="over the limit"),
    ),
    Case(
        "image-too-large",
        "wide-banner.png",
        f"a 4,000 x 100 PNG (limit {MAX_IMAGE_SIDE} px a side)",
        lambda _: makers.encoded(makers.text_image(["banner"], size=(4000, 100)), "PNG"),
        Expected("failed", "image_too_large", "inspect", problem="over the limit"),
    ),
    Case(
        "png-bomb",
        "bomb.png",
        "a real 10,000 x 10,000 1-bit PNG of zeros (12 KB, 100 Mpx)",
        lambda _: makers.png_bomb(10_000),
        Expected("failed", "decompression_bomb", "inspect", problem="decompression bomb"),
    ),
    Case(
        "image-too-small",
        "icon.png",
        f"a 16 x 16 PNG (minimum {MIN_IMAGE_SIDE} px a side)",
        lambda _: makers.encoded(Image.new("L", (16, 16), 0), "PNG"),
        Expected("failed", "image_too_small", "inspect", problem="under the minimum"),
    ),
    # -- unusual but readable images ----------------------------------------------------------
    Case(
        "png-truncated-idat",
        "truncated-idat.png",
        "a PNG whose IDAT chunk stops halfway",
        lambda _: makers.truncated_idat_png(_ocr_image()),
        Expected("failed", "corrupt_document", "inspect", problem="truncated"),
    ),
    Case(
        "jpeg-truncated",
        "truncated.jpg",
        "the first 40 % of a JPEG",
        lambda _: (data := makers.encoded(_ocr_image(), "JPEG"))[: len(data) * 4 // 10],
        Expected("failed", "corrupt_document", "inspect", problem="truncated"),
    ),
    Case(
        "jpeg-metadata-bombs",
        "metadata-bombs.jpg",
        "a JPEG with a 1 MB junk ICC profile and an EXIF directory claiming 65,535 entries "
        "(the first: Orientation 6, pixels stored turned)",
        lambda _: makers.jpeg_with_metadata_bombs(
            _ocr_image().rotate(90, expand=True), 1_000_000, 65535
        ),
        Expected("succeeded", kind="jpeg", text=OCR_WORDS),
    ),
    Case(
        "tiff-many-pages",
        "multipage.tif",
        "a 3-page TIFF (deflate), text on every page; the last page's words differ",
        lambda _: makers.multipage_tiff(
            [_ocr_image(), _ocr_image(), makers.text_image(["Delivery note", "Signed on receipt"])]
        ),
        Expected("succeeded", kind="tiff", text="delivery"),
    ),
    Case(
        "jpeg-cmyk",
        "cmyk.jpg",
        "a CMYK JPEG",
        lambda _: makers.cmyk_jpeg(_ocr_image()),
        Expected("succeeded", kind="jpeg", text=OCR_WORDS),
    ),
    Case(
        "tiff-fax",
        "fax.tif",
        "a 1-bit TIFF, CCITT Group 4, 200 dpi",
        lambda _: makers.fax_tiff(_ocr_image()),
        Expected("succeeded", kind="tiff", text=OCR_WORDS),
    ),
    Case(
        "png-named-pdf",
        "picture.pdf",
        "a PNG named .pdf",
        lambda _: makers.encoded(_ocr_image(), "PNG"),
        Expected("succeeded", kind="png", text=OCR_WORDS),
    ),
    # -- keys ---------------------------------------------------------------------------------
    _key_case("key-spaces", "with spaces/quarterly report.pdf", "spaces in the folder and name"),
    _key_case("key-plus", "c++ notes+more.pdf", "'+' in the name (S3 events encode spaces as +)"),
    _key_case("key-unicode", "ünïcødé/文件 名.pdf", "non-ASCII folder and name (NFC)"),
    _key_case("key-percent", "100% sure %41%20.pdf", "'%' and things that look URL-encoded"),
    _key_case("key-deep", "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/deep.pdf", "a 15-level prefix"),
    _key_case("same-name-a", "team-a/report.pdf", "the same file name in two prefixes (1)"),
    _key_case("same-name-b", "team-b/report.pdf", "the same file name in two prefixes (2)"),
    _key_case(
        "key-dot-dot",
        "../../escape/up.pdf",
        "'..' segments that climb out of the prefix",
        Route.DIRECT,
    ),
    _key_case(
        "key-dot-dot-twin",
        "escape/up.pdf",
        "the key the '..' key looks like once cleaned",
        Route.DIRECT,
    ),
    _key_case("key-absolute", "/etc/passwd.pdf", "a leading '/'", Route.DIRECT),
    _key_case(
        "key-symlink-like",
        "latest -> ../../../etc/shadow.pdf",
        "reads like a symbolic link to a system file",
        Route.DIRECT,
    ),
    _key_case(
        "key-backslashes",
        "..\\..\\windows\\system32\\evil.pdf",
        "Windows separators and '..'",
        Route.DIRECT,
    ),
    _key_case(
        "key-line-break",
        "line\rbreak\ttab.pdf",
        "a carriage return and a tab (a newline: unit tests only, moto's server cannot route it)",
        Route.DIRECT,
    ),
    _key_case(
        "key-terminal-escape",
        "bell\x07\x1b[31mred\x1b[0m.pdf",
        "a bell and ANSI terminal escapes",
        Route.DIRECT,
    ),
    _key_case(
        "key-bidi",
        "invoice-\u202efdp.exe",
        "a right-to-left override: an .exe name that displays as invoice-exe.pdf",
        Route.DIRECT,
    ),
    _key_case("key-nfc", "caf\u00e9.pdf", "é as one code point (NFC)", Route.DIRECT),
    _key_case(
        "key-nfd",
        "cafe\u0301.pdf",
        "é as e + combining accent (NFD, as macOS writes it): another key",
        Route.DIRECT,
    ),
    _key_case(
        "key-1024-bytes",
        _long_key(),
        "1,024 bytes: a 300-byte folder name, a 718-byte file name",
        Route.DIRECT,
    ),
    Case(
        "key-real-plus",
        "a+b.pdf",
        "a key with a real '+'; its event carries a%2Bb.pdf",
        _marked_pdf,
        SUCCEEDED_PDF,
        Route.DIRECT,
        event_key="a%2Bb.pdf",
    ),
    Case(
        "key-space-encoded-as-plus",
        "a b.pdf",
        "a key with a space; its event carries a+b.pdf, which is also a real key",
        _marked_pdf,
        SUCCEEDED_PDF,
        Route.DIRECT,
        event_key="a+b.pdf",
    ),
)

BY_NAME: Mapping[str, Case] = {case.name: case for case in CASES}


def materialise(folder: Path) -> dict[str, Path]:
    """Writes every case that can be a file to ``folder``/<key>; returns name -> path."""
    written: dict[str, Path] = {}
    for case in CASES:
        if case.route is Route.DIRECT:
            continue
        path = folder / case.key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(case.data(Route.FILE))
        written[case.name] = path
    return written


# -- the table in docs/bad-inputs.md ----------------------------------------------------------

TABLE_START = "<!-- bad-inputs table: generated by python -m tests.badinputs.corpus -->"
TABLE_END = "<!-- end of bad-inputs table -->"


def shown_key(key: str) -> str:
    """A key as a table cell: escapes for controls, invisible and combining characters (so that
    NFD "é" shows apart from NFC "é"), long keys cut."""
    escaped = "".join(
        char
        if char.isprintable() and not unicodedata.category(char).startswith("M")
        else char.encode("unicode_escape").decode("ascii")
        for char in key
    )
    if len(key.encode()) > 120:
        escaped = f"{escaped[:40]}… ({len(key.encode())} bytes)"
    return escaped.replace("|", "\\|")


def outcome(expected: Expected) -> str:
    if expected.status == "failed":
        return f"failed `{expected.reason}`"
    return f"succeeded, warning: {expected.warning}" if expected.warning else "succeeded"


def results_folder(key: str) -> str:
    """Where the results of ``key`` go below ``documents/`` (with the default settings)."""
    return layout.results_folder(Settings(), Source(bucket="scriba-input", key=key))


def table(messages: Mapping[str, str]) -> str:
    """The markdown table: one row per case. ``messages`` are real failure messages or warnings
    by case name (from a run); the results folder is shown where it is not the key itself."""
    rows = [
        "| case | key | how it is made | outcome | message (from a run) | results folder |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for case in CASES:
        message = messages.get(case.name, "").replace("|", "\\|").replace("\n", " ")
        folder = results_folder(case.key)
        shown_folder = f"`{shown_key(folder)}`" if folder != case.key else ""
        rows.append(
            f"| {case.name} | `{shown_key(case.key)}` | {case.made} | {outcome(case.expected)} "
            f"| {message} | {shown_folder} |"
        )
    return "\n".join(rows)


def case_message(case: Case, manifest: Manifest) -> str | None:
    """What the table quotes for a case: its failure message, or the warning it promises."""
    if manifest.failure is not None:
        return manifest.failure.message
    if case.expected.warning:
        return next((w for w in manifest.warnings if case.expected.warning in w), None)
    return None


def run_file_cases(folder: Path) -> dict[str, Manifest]:
    """Runs every FILE case through a local stack with the corpus's limits: manifests by case."""
    from scriba.local.cloud import LocalCloud
    from scriba.local.run import run_documents

    inbox, out = folder / "inbox", folder / "out"
    written = materialise(inbox)
    by_key = {path.relative_to(inbox).as_posix(): name for name, path in written.items()}
    with LocalCloud(workers=2, parameters=PARAMETERS, environment=ENVIRONMENT) as cloud:
        runs = run_documents([inbox], out, cloud=cloud)
    return {by_key[run.key]: run.manifest for run in runs if run.manifest is not None}


def replace_table(document: str, new_table: str) -> str:
    start = document.index(TABLE_START) + len(TABLE_START)
    end = document.index(TABLE_END)
    return document[:start] + "\n\n" + new_table + "\n\n" + document[end:]


def regenerate_docs() -> Path:
    """Runs the FILE cases and rewrites the table in docs/bad-inputs.md with their messages."""
    doc = Path(__file__).resolve().parents[2] / "docs" / "bad-inputs.md"
    with tempfile.TemporaryDirectory(prefix="scriba-bad-inputs-") as folder:
        manifests = run_file_cases(Path(folder))
    messages = {
        name: message
        for name, manifest in manifests.items()
        if (message := case_message(BY_NAME[name], manifest)) is not None
    }
    text = doc.read_text(encoding="utf-8")
    doc.write_text(replace_table(text, table(messages)), encoding="utf-8")
    return doc


if __name__ == "__main__":
    # python -m tests.badinputs.corpus: runs the corpus (about 30 s) and rewrites the table.
    print(regenerate_docs())
