"""Byte builders for the bad-input corpus: small PDFs written object by object (so that each can be
broken in exactly one way), images made with Pillow, and files of other kinds.

Everything is deterministic: the same call gives the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import random
import struct
import zipfile
import zlib
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

# -- PDFs, object by object ---------------------------------------------------------------------

HELVETICA = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
LETTER = b"[0 0 612 792]"


def pdf_file(
    objects: Sequence[bytes], trailer: bytes = b"", encrypt: _Rc4Security | None = None
) -> bytes:
    """A PDF of ``objects`` (numbered from 1, the first the catalog) with a correct xref table.

    With ``encrypt``, strings and streams are encrypted with the standard security handler and
    the ``/Encrypt`` dictionary is appended as the last object.
    """
    bodies = list(objects)
    if encrypt is not None:
        bodies = [encrypt.encrypt_object(number, body) for number, body in enumerate(bodies, 1)]
        bodies.append(encrypt.dictionary())
        trailer += b" /Encrypt %d 0 R /ID [<%s> <%s>]" % (
            len(bodies),
            encrypt.file_id.hex().encode(),
            encrypt.file_id.hex().encode(),
        )
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(bodies) + 1,
        trailer,
        xref,
    )
    return bytes(out)


def stream(data: bytes, entries: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(data), entries) + data + b"\nendstream"


def pdf_string(text: str) -> bytes:
    raw = text.encode("latin-1")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def text_content(lines: Sequence[str], size: int = 14, x: float = 72, y: float = 700) -> bytes:
    """A content stream showing ``lines`` in font /F1, one under the other."""
    parts = [b"BT /F1 %d Tf %g %g Td %d TL" % (size, x, y, size + 6)]
    parts += [pdf_string(line) + b" '" for line in lines]
    parts.append(b"ET")
    return b"\n".join(parts)


def text_pdf(
    pages: Sequence[Sequence[str]],
    *,
    media_box: bytes = LETTER,
    font: bytes = HELVETICA,
    extra_catalog: bytes = b"",
    extra_objects: Sequence[bytes] = (),
    origin: tuple[float, float] = (72, 700),
    encrypt: _Rc4Security | None = None,
) -> bytes:
    """A PDF with one page per item of ``pages``, each showing its lines in Helvetica.

    Objects: 1 catalog, 2 page tree, 3 font, then a page and its content per page, then
    ``extra_objects`` (numbered from 4 + 2 * len(pages)).
    """
    objects: list[bytes] = [b"", b"", font]
    kids = []
    for lines in pages:
        page_number = len(objects) + 1
        kids.append(b"%d 0 R" % page_number)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox " + media_box + b" /Resources"
            b" << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (page_number + 1)
        )
        objects.append(stream(text_content(lines, x=origin[0], y=origin[1])))
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R" + extra_catalog + b" >>"
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), len(pages))
    objects += extra_objects
    return pdf_file(objects, encrypt=encrypt)


def image_pdf(
    picture: bytes,
    width: int,
    height: int,
    *,
    media_box: bytes = LETTER,
    image_entries: bytes = b"/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode",
) -> bytes:
    """One page filled with one image XObject (a scan): no text layer at all."""
    box = [float(value) for value in media_box.strip(b"[]").split()]
    page_width, page_height = box[2] - box[0], box[3] - box[1]
    draw = b"q %g 0 0 %g %g %g cm /Im1 Do Q" % (page_width, page_height, box[0], box[1])
    return pdf_file(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox " + media_box + b" /Resources"
            b" << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>",
            stream(draw),
            stream(
                picture,
                b"/Type /XObject /Subtype /Image /Width %d /Height %d " % (width, height)
                + image_entries
                + b" ",
            ),
        ]
    )


def picture_page_pdf(
    picture: bytes,
    width: int,
    height: int,
    *,
    header: Sequence[str] = (),
    invisible: Sequence[str] = (),
    invisible_encoding: str = "latin-1",
) -> bytes:
    """One letter page: ``header`` lines in the text layer at the top (visible, Helvetica), and
    a grey JPEG picture the page's width under them (its aspect kept), with ``invisible`` text
    over the picture (render mode 3, as a searchable scan's OCR layer is written) in
    ``invisible_encoding``."""
    top = 792 - 36 - 20 * len(header) - 12 if header else 792 - 36
    shown = min(540 * height / width, top - 36)
    draw = [b"q 540 0 0 %g 36 %g cm /Im1 Do Q" % (shown, top - shown)]
    if header:
        draw.append(text_content(header, size=12, x=72, y=792 - 48))
    if invisible:
        lines = [
            b"("
            + line.encode(invisible_encoding).replace(b"(", b"\\(").replace(b")", b"\\)")
            + b") '"
            for line in invisible
        ]
        draw.append(
            b"BT 3 Tr /F1 11 Tf 72 %g Td 16 TL\n" % (top - 30) + b"\n".join(lines) + b"\nET"
        )
    return pdf_file(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox " + LETTER + b" /Resources"
            b" << /Font << /F1 6 0 R >> /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>",
            stream(b"\n".join(draw)),
            stream(
                picture,
                b"/Type /XObject /Subtype /Image /Width %d /Height %d " % (width, height)
                + b"/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode ",
            ),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        ]
    )


def blank_pdf() -> bytes:
    """One page with an empty content stream: no text, no pictures."""
    return pdf_file(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
            stream(b""),
        ]
    )


def no_pages_pdf() -> bytes:
    return pdf_file([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"])


def padded_pdf(lines: Sequence[str], size: int, seed: int = 7) -> bytes:
    """A readable one-page PDF of about ``size`` bytes: an unused stream of random bytes."""
    filler = random.Random(seed).randbytes(size)
    return text_pdf([lines], extra_objects=[stream(filler)])


def broken_later_page_pdf(first: Sequence[str], second: Sequence[str]) -> bytes:
    """Two pages in the page tree; the second entry points at a font, not a page: pdfium
    counts two pages and cannot load the second."""
    data = text_pdf([first, second])
    return data.replace(b"/Kids [4 0 R 6 0 R]", b"/Kids [4 0 R 3 0 R]", 1)


def garbage_unicode_pdf(lines: Sequence[str]) -> bytes:
    """Helvetica text whose ToUnicode map sends every character to the private use area: the
    page looks right but its text layer is garbage (a broken subsetting tool)."""
    cmap = (
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Broken def"
        b" 1 begincodespacerange <00> <FF> endcodespacerange"
        b" 1 beginbfrange <20> <7E> <E020> endbfrange"
        b" endcmap CMapName currentdict /CMap defineresource pop end end"
    )
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode %d 0 R >>"
    pages = [lines]
    return text_pdf(pages, font=font % (4 + 2 * len(pages)), extra_objects=[stream(cmap)])


def javascript_attachment_pdf(lines: Sequence[str], attachment: bytes) -> bytes:
    """Text, a document-level JavaScript action run on open, and an embedded file."""
    script = b"app.alert('scriba must never run this'); this.submitForm('http://127.0.0.1:9/');"
    # Objects after the page (4) and its content (5): 6 the action, 7 the file, 8 its spec.
    catalog = (
        b" /OpenAction 6 0 R /Names << /JavaScript << /Names [(open) 6 0 R] >>"
        b" /EmbeddedFiles << /Names [(payload.pdf) 8 0 R] >> >>"
    )
    return text_pdf(
        [lines],
        extra_catalog=catalog,
        extra_objects=[
            b"<< /Type /Action /S /JavaScript /JS " + pdf_string(script.decode()) + b" >>",
            stream(attachment, b"/Type /EmbeddedFile /Subtype /application#2Fpdf "),
            b"<< /Type /Filespec /F (payload.pdf) /UF (payload.pdf) /EF << /F 7 0 R >> >>",
        ],
    )


def image_bomb_pdf(side: int) -> bytes:
    """A page holding a ``side`` x ``side`` 1-bit image of zeros: a few KB that decode to
    ``side``² pixels."""
    row = bytes((side + 7) // 8)
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    return image_pdf(
        data,
        side,
        side,
        image_entries=b"/ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /FlateDecode",
    )


# The standard security handler, revision 2 (RC4, 40-bit key): what "password to open" means in
# PDF 1.3 and what pdfium (and every viewer) still reads. No library here writes encrypted PDFs.
_PASSWORD_PADDING = bytes.fromhex(
    "28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A"
)


def _rc4(key: bytes, data: bytes) -> bytes:
    state = list(range(256))
    j = 0
    for i in range(256):
        j = (j + state[i] + key[i % len(key)]) % 256
        state[i], state[j] = state[j], state[i]
    out = bytearray()
    i = j = 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + state[i]) % 256
        state[i], state[j] = state[j], state[i]
        out.append(byte ^ state[(state[i] + state[j]) % 256])
    return bytes(out)


def _padded(password: str) -> bytes:
    return (password.encode("latin-1") + _PASSWORD_PADDING)[:32]


class _Rc4Security:
    """Encrypts a PDF's objects with a user (open) password (PDF 1.7, 7.6.3, algorithms 1-4)."""

    permissions = -4  # everything allowed once opened

    def __init__(self, user_password: str, owner_password: str) -> None:
        self.file_id = hashlib.md5(user_password.encode() + b"scriba").digest()
        owner_key = hashlib.md5(_padded(owner_password)).digest()[:5]
        self.owner = _rc4(owner_key, _padded(user_password))
        self.key = hashlib.md5(
            _padded(user_password) + self.owner + struct.pack("<i", self.permissions) + self.file_id
        ).digest()[:5]
        self.user = _rc4(self.key, _PASSWORD_PADDING)

    def dictionary(self) -> bytes:
        return b"<< /Filter /Standard /V 1 /R 2 /Length 40 /P %d /O <%s> /U <%s> >>" % (
            self.permissions,
            self.owner.hex().encode(),
            self.user.hex().encode(),
        )

    def _object_key(self, number: int) -> bytes:
        salt = struct.pack("<i", number)[:3] + b"\x00\x00"
        return hashlib.md5(self.key + salt).digest()[:10]

    def encrypt_object(self, number: int, body: bytes) -> bytes:
        """Encrypts the stream data and the literal strings of one object body."""
        key = self._object_key(number)
        if b"\nstream\n" in body:
            head, rest = body.split(b"\nstream\n", 1)
            data = rest[: -len(b"\nendstream")]
            encrypted = _rc4(key, data)
            head = head.replace(b"/Length %d" % len(data), b"/Length %d" % len(encrypted), 1)
            return head + b"\nstream\n" + encrypted + b"\nendstream"
        return _encrypt_strings(body, key)


def _encrypt_strings(body: bytes, key: bytes) -> bytes:
    """Literal strings (without nested parentheses) become encrypted hex strings."""
    out = bytearray()
    index = 0
    while index < len(body):
        char = body[index : index + 1]
        if char != b"(":
            out += char
            index += 1
            continue
        end = index + 1
        value = bytearray()
        while body[end : end + 1] != b")":
            if body[end : end + 1] == b"\\":
                end += 1
            value += body[end : end + 1]
            end += 1
        out += b"<" + _rc4(key, bytes(value)).hex().encode() + b">"
        index = end + 1
    return bytes(out)


def encrypted_pdf(lines: Sequence[str], user_password: str) -> bytes:
    """A text PDF that opens only with ``user_password``."""
    return text_pdf([lines], encrypt=_Rc4Security(user_password, user_password + "-owner"))


# -- images -----------------------------------------------------------------------------------


def text_image(
    lines: Sequence[str], *, size: tuple[int, int] = (1200, 500), font_size: int = 48
) -> Image.Image:
    """Black text on white, large enough for OCR (Pillow's own FreeType font, no system fonts)."""
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=font_size)
    for row, line in enumerate(lines):
        draw.text((40, 40 + row * int(font_size * 1.6)), line, fill=0, font=font)
    return image


def encoded(image: Image.Image, format_name: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format_name, **options)
    return buffer.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_bomb(side: int) -> bytes:
    """A real 1-bit ``side`` x ``side`` PNG of zeros: tens of KB on disk, ``side``² pixels."""
    row = b"\x00" + bytes((side + 7) // 8)  # filter byte, then the packed bits
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", data)
        + _png_chunk(b"IEND", b"")
    )


def truncated_idat_png(image: Image.Image) -> bytes:
    """A PNG whose image data stops halfway (the IDAT chunk cut, no IEND)."""
    data = encoded(image, "PNG")
    start = data.index(b"IDAT") - 4
    (length,) = struct.unpack(">I", data[start : start + 4])
    return data[: start + 8 + length // 2]


def jpeg_with_metadata_bombs(image: Image.Image, icc_bytes: int, exif_entries: int) -> bytes:
    """A JPEG with a junk ICC profile of ``icc_bytes`` (split over APP2 segments as the ICC
    spec says) and an EXIF block whose first directory claims ``exif_entries`` entries."""
    random_bytes = random.Random(3).randbytes(icc_bytes)
    jpeg = encoded(image.convert("RGB"), "JPEG", quality=90)
    segments = b""
    chunk = 65519 - 14
    pieces = [random_bytes[i : i + chunk] for i in range(0, len(random_bytes), chunk)]
    for number, piece in enumerate(pieces, start=1):
        body = b"ICC_PROFILE\x00" + bytes([number, len(pieces)]) + piece
        segments += b"\xff\xe2" + struct.pack(">H", len(body) + 2) + body
    # TIFF header, then an IFD that claims far more entries than the segment holds, the first
    # being Orientation = 6 (turned): readers must not trust the count.
    ifd = struct.pack("<H", exif_entries) + struct.pack("<HHII", 0x0112, 3, 1, 6)
    exif = b"Exif\x00\x00" + b"II*\x00" + struct.pack("<I", 8) + ifd
    segments = b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif + segments
    return jpeg[:2] + segments + jpeg[2:]


def multipage_tiff(pages: Sequence[Image.Image]) -> bytes:
    return encoded(
        pages[0],
        "TIFF",
        save_all=True,
        append_images=list(pages[1:]),
        compression="tiff_deflate",
        dpi=(200, 200),
    )


def fax_tiff(image: Image.Image) -> bytes:
    """A 1-bit TIFF compressed with CCITT Group 4, as fax machines and scanners write them."""
    return encoded(image.convert("1"), "TIFF", compression="group4", dpi=(200, 200))


def cmyk_jpeg(image: Image.Image) -> bytes:
    return encoded(image.convert("CMYK"), "JPEG", quality=92)


def heic_like() -> bytes:
    """The first box of a HEIC file (ISO BMFF ``ftyp`` with the ``heic`` brand) and data after
    it: enough for any reader to know what it is."""
    ftyp = b"ftypheic" + b"\x00\x00\x00\x00" + b"mif1heic"
    box = struct.pack(">I", len(ftyp) + 4) + ftyp
    return box + struct.pack(">I", 16) + b"meta" + bytes(8) + random.Random(5).randbytes(2000)


# -- other kinds of files ---------------------------------------------------------------------


def docx(text: str) -> bytes:
    """A minimal Word (OOXML) document: a ZIP with [Content_Types].xml first."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        archive.writestr(
            "word/document.xml",
            '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
            f'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p>'
            "</w:body></w:document>",
        )
    return buffer.getvalue()


def zip_archive(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def ole2_header() -> bytes:
    """The start of a legacy Office (OLE2 compound) file."""
    return bytes.fromhex("D0CF11E0A1B11AE1") + bytes(16) + b"\x3e\x00\x03\x00\xfe\xff" + bytes(482)
