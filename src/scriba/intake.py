"""What a file is, decided by its content (magic bytes), never by its name."""

from __future__ import annotations

from scriba.document import DocumentKind
from scriba.errors import EmptyDocument, UnsupportedDocumentType

# Kinds we refuse, named so that the error says what the file really is.
_KNOWN_OTHERS: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Office document (OLE2)"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"BM", "a BMP image"),
    (b"{\\rtf", "an RTF document"),
    (b"\x7fELF", "an executable"),
    (b"ID3", "an MP3 file"),
    (b"OggS", "an Ogg file"),
)

# PDF allows junk before the header; readers look within the first 1024 bytes.
PDF_HEADER_WINDOW = 1024
SNIFF_BYTES = 2048


def sniff(head: bytes, name: str) -> DocumentKind:
    """The kind of a document from its first bytes (at least ``SNIFF_BYTES`` if the file has them).

    Raises ``EmptyDocument`` or ``UnsupportedDocumentType`` naming what the file is.
    """
    if not head:
        raise EmptyDocument("the file is empty (0 bytes)", document=name)
    if b"%PDF-" in head[:PDF_HEADER_WINDOW]:
        return DocumentKind.PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return DocumentKind.PNG
    if head.startswith(b"\xff\xd8\xff"):
        return DocumentKind.JPEG
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return DocumentKind.TIFF
    raise UnsupportedDocumentType(
        f"the content is {describe(head)}; scriba reads PDF, PNG, JPEG and TIFF", document=name
    )


def describe(head: bytes) -> str:
    """A few words on what unsupported content looks like."""
    for magic, what in _KNOWN_OTHERS:
        if head.startswith(magic):
            return what
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "a WebP image"
    if len(head) > 11 and head[4:8] == b"ftyp":
        return "an MP4/HEIC container"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith((b"<!doctype html", b"<html")) or b"<html" in stripped[:512]:
        return "an HTML page"
    if stripped.startswith(b"<?xml") or stripped.startswith(b"<svg"):
        return "an XML/SVG document"
    if stripped.startswith((b"{", b"[")):
        return "JSON or other text"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "binary data of an unknown kind"
    return "plain text"
