from __future__ import annotations

import pytest

from scriba.errors import EmptyDocument, UnsupportedDocumentType
from scriba.media.intake import sniff
from scriba.models.document import DocumentKind


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"%PDF-1.7\n%\xe2\xe3", DocumentKind.PDF),
        (b"\x00\x00junk before the header %PDF-1.4\n", DocumentKind.PDF),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", DocumentKind.PNG),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", DocumentKind.JPEG),
        (b"II*\x00\x08\x00\x00\x00", DocumentKind.TIFF),
        (b"MM\x00*\x00\x00\x00\x08", DocumentKind.TIFF),
    ],
)
def test_kind_comes_from_content(head: bytes, kind: DocumentKind) -> None:
    assert sniff(head, "whatever.bin") is kind


@pytest.mark.parametrize(
    ("head", "named"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00", "ZIP"),
        (b"<!DOCTYPE html><html><body>hi</body></html>", "HTML"),
        (b"Just some words in a text file.\n", "plain text"),
        (b"GIF89a\x01\x00", "GIF"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Office"),
        (b"\x00\x01\x02\x03\xfe\xff\x80\x81", "binary"),
    ],
)
def test_unsupported_content_is_named(head: bytes, named: str) -> None:
    with pytest.raises(UnsupportedDocumentType) as caught:
        sniff(head, "report.pdf")
    assert named in str(caught.value)
    assert "report.pdf" in str(caught.value)


def test_empty_file() -> None:
    with pytest.raises(EmptyDocument, match=r"empty\.pdf"):
        sniff(b"", "empty.pdf")


def test_pdf_header_too_far_in_is_not_a_pdf() -> None:
    with pytest.raises(UnsupportedDocumentType):
        sniff(b" " * 1100 + b"%PDF-1.4", "late.pdf")
