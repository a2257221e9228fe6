"""What a file is, decided by its content (magic bytes), never by its name."""

from __future__ import annotations

import codecs

from scriba.errors import EmptyDocument, UnsupportedDocumentType
from scriba.models.document import DocumentKind

# Kinds we refuse, named so that the error says what the file really is.
_KNOWN_OTHERS: tuple[tuple[bytes, str], ...] = (
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
    # Binary signatures first: a file format's magic bytes may happen to decode as text.
    return (
        _container_kind(head) or _unicode_text_kind(head) or _markup_kind(head) or _text_kind(head)
    )


def _container_kind(head: bytes) -> str | None:
    """Archives, images, media and executables, named by their magic bytes."""
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(head)
    for magic, what in _KNOWN_OTHERS:
        if head.startswith(magic):
            return what
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "a WebP image"
    if len(head) > 11 and head[4:8] == b"ftyp":
        return _iso_media_kind(head[8:12])
    return None


def _unicode_text_kind(head: bytes) -> str | None:
    """Text in a wide Unicode encoding, told by its byte order mark (UTF-32's starts with
    UTF-16's, so it is tried first)."""
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "UTF-32 text"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16 text"
    return None


def _markup_kind(head: bytes) -> str | None:
    """HTML, SVG, XML and JSON, whatever their case, leading whitespace or UTF-8 byte order
    mark."""
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith((b"<!doctype html", b"<html")) or b"<html" in stripped[:512]:
        return "an HTML page"
    if stripped.startswith(b"<svg") or (stripped.startswith(b"<?xml") and b"<svg" in stripped):
        return "an SVG drawing"
    if stripped.startswith(b"<?xml"):
        return "an XML document"
    if stripped.startswith((b"{", b"[")):
        return "JSON or other text"
    return None


def _text_kind(head: bytes) -> str:
    """Plain text if the bytes are UTF-8, unknown binary data otherwise."""
    try:
        # Not final: the sniffed bytes may end inside a character.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "binary data of an unknown kind"
    return "plain text"


# ISO base media file brands (the ``ftyp`` box) of still images.
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"})


def _iso_media_kind(brand: bytes) -> str:
    if brand in _HEIF_BRANDS:
        return "a HEIC/HEIF image"
    if brand in (b"avif", b"avis"):
        return "an AVIF image"
    if brand == b"qt  ":
        return "a QuickTime video"
    return "an MP4 (ISO media) file"


def _zip_kind(head: bytes) -> str:
    """Office and OpenDocument files are ZIP archives: the first member's name tells them apart
    (a local file header: the name's length at offset 26, the name at offset 30)."""
    name_length = int.from_bytes(head[26:28], "little")
    first = head[30 : 30 + name_length]
    if first == b"[Content_Types].xml" or first.startswith((b"word/", b"xl/", b"ppt/", b"_rels/")):
        return "an Office Open XML document (Word, Excel or PowerPoint), a ZIP archive"
    if first == b"mimetype" and b"application/vnd.oasis.opendocument" in head[30:200]:
        return "an OpenDocument file (LibreOffice), a ZIP archive"
    if first == b"mimetype" and b"application/epub+zip" in head[30:200]:
        return "an EPUB book, a ZIP archive"
    return "a ZIP archive"
