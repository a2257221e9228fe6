"""Input documents for the topology tests, made from the corpus and the Textract fixtures.

A scan is drawn from a Textract fixture: each LINE's text at its bounding box on a white page, so
the pixels say what the fake Textract will answer for them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from scriba.media.pdf import pdf_document
from scriba.media.pdf_pictures import embedded_images
from tests.e2e.aws_services import page_lines
from tests.scans import image_only_pdf

SCAN_DPI = 150
A4_AT_SCAN_DPI = (1240, 1754)


def draw_page(blocks: list[dict[str, Any]], size: tuple[int, int] = A4_AT_SCAN_DPI) -> Image.Image:
    """A scanned page showing the fixture page's lines where Textract found them."""
    page = Image.new("L", size, 255)
    draw = ImageDraw.Draw(page)
    width, height = size
    for text, box in page_lines(blocks):
        font = ImageFont.load_default(size=max(12, int(box["Height"] * height * 0.8)))
        draw.text((max(0.0, box["Left"]) * width, box["Top"] * height), text, fill=0, font=font)
    return page


def scanned_pdf(pages: list[list[dict[str, Any]]], out: Path) -> Path:
    """An image-only PDF (no text layer) of the fixture pages, as a scanner writes one."""
    return image_only_pdf([draw_page(blocks) for blocks in pages], out, dpi=SCAN_DPI)


def photo_jpeg(corpus: Path, out: Path) -> Path:
    """The photograph embedded in the corpus's pdflatex-image.pdf, as a camera JPEG."""
    source = corpus / "pdflatex-image.pdf"
    with pdf_document(source, source.name) as pdf:
        found = next(iter(embedded_images(pdf, 1)))
    found.image.convert("RGB").save(out, "JPEG", quality=90)
    return out
