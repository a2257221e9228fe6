"""PDFs that test how each page is routed: a text-layer header over a picture of a typed
paragraph, a searchable scan (the picture and its invisible OCR text), a mojibake text layer.

The paragraph is a picture drawn with Pillow's own font (no system fonts), large enough to be read
as a 200 dpi scan of 12 pt type is.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

from tests.badinputs import makers

HEADER = "Federal Register / Vol. 89, No. 12 / Friday, January 19, 2024 / Notices"
PARAGRAPH = (
    "Before each shift the operator checks that the guard is closed, that the emergency stop "
    "button returns to its raised position, and that the pressure gauge reads between four and "
    "six bar. Any fault is written in the log book with the time, the machine number and the "
    "name of the person who found it. The supervisor signs the entry before the machine is "
    "started again."
)
# UTF-8 text read as Windows-1252: what a broken OCR layer or a mis-declared export holds.
ACCENTED = PARAGRAPH.replace("operator", "opérateur").replace("supervisor", "contrôleur")
MOJIBAKE = ACCENTED.encode().decode("cp1252", errors="replace")
WIDTH = 70  # characters a line of the picture holds


def paragraph_picture(text: str = PARAGRAPH, font_size: int = 40) -> Image.Image:
    lines = textwrap.wrap(text, WIDTH)
    image = Image.new("L", (1800, 120 + int(font_size * 1.5) * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=font_size)
    for row, line in enumerate(lines):
        draw.text((60, 60 + row * int(font_size * 1.5)), line, fill=0, font=font)
    return image


def _page(
    picture: Image.Image,
    *,
    header: Sequence[str] = (),
    invisible: Sequence[str] = (),
    invisible_encoding: str = "latin-1",
) -> bytes:
    jpeg = makers.encoded(picture, "JPEG", quality=90)
    return makers.picture_page_pdf(
        jpeg,
        *picture.size,
        header=header,
        invisible=invisible,
        invisible_encoding=invisible_encoding,
    )


def header_over_picture_pdf() -> bytes:
    """A one-line running header in the text layer; the rest of the page a picture of text."""
    return _page(paragraph_picture(), header=[HEADER])


def searchable_scan_pdf() -> bytes:
    """A scan with its OCR text laid invisibly over it: the text layer covers the picture."""
    return _page(paragraph_picture(), invisible=textwrap.wrap(PARAGRAPH, WIDTH))


def mojibake_pdf() -> bytes:
    """A picture of accented text under an invisible text layer in the wrong encoding."""
    return _page(
        paragraph_picture(ACCENTED),
        invisible=textwrap.wrap(MOJIBAKE, WIDTH),
        invisible_encoding="cp1252",
    )
