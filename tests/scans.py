"""Scans made from born-digital PDFs, with the PDF's own text layer as the ground truth.

Used by the OCR tests and benchmarks: render a page as a scanner would see it (optionally a
little turned, blurred and noisy), OCR it, and compare with the text the PDF itself carries.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageFilter
from rapidfuzz.distance import Levenshtein

from scriba.media.pdf import pdf_document, render_page, text_layer_page


def reference_text(pdf_path: Path, page: int) -> str:
    """The words of the page's text layer, one space between them: the OCR ground truth."""
    with pdf_document(pdf_path, pdf_path.name) as pdf:
        layer = text_layer_page(pdf, page)
    if layer is None:
        raise ValueError(f"{pdf_path.name} page {page} has no text layer to compare with")
    return normalize(layer.text)


def normalize(text: str) -> str:
    """Whitespace runs (line breaks included) as single spaces."""
    return " ".join(text.split())


def character_error_rate(recognized: str, reference: str) -> float:
    """Levenshtein distance (rapidfuzz) over the reference length, whitespace normalized."""
    expected = normalize(reference)
    if not expected:
        raise ValueError("empty reference text")
    return Levenshtein.distance(normalize(recognized), expected) / len(expected)


def degrade(
    image: Image.Image,
    *,
    angle: float = 0.0,
    blur: float = 0.0,
    noise: float = 0.0,
    jpeg_quality: int | None = None,
    seed: int = 0,
) -> Image.Image:
    """What a scanner and its software do to a page, reproducibly.

    ``angle``: degrees counter-clockwise (skew for small values, a page fed sideways for 90);
    ``blur``: Gaussian radius in pixels; ``noise``: standard deviation of Gaussian noise in grey
    levels; ``jpeg_quality``: re-encode as JPEG at that quality.
    """
    scan = image.convert("L")
    if angle:
        scan = scan.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    if blur:
        scan = scan.filter(ImageFilter.GaussianBlur(blur))
    if noise:
        pixels = np.asarray(scan, dtype=np.float64)
        noisy = pixels + np.random.default_rng(seed).normal(0.0, noise, pixels.shape)
        scan = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))
    if jpeg_quality is not None:
        buffer = io.BytesIO()
        scan.save(buffer, format="JPEG", quality=jpeg_quality)
        scan = Image.open(io.BytesIO(buffer.getvalue()))
        scan.load()
    return scan


def scan_page(
    pdf_path: Path,
    page: int,
    dpi: float = 300,
    *,
    angle: float = 0.0,
    blur: float = 0.0,
    noise: float = 0.0,
    jpeg_quality: int | None = None,
    seed: int = 0,
) -> Image.Image:
    """Page ``page`` (1-based) of the PDF rendered at ``dpi`` with pdfium, then ``degrade``d."""
    with pdf_document(pdf_path, pdf_path.name) as pdf:
        image = render_page(pdf, page, dpi)
    return degrade(image, angle=angle, blur=blur, noise=noise, jpeg_quality=jpeg_quality, seed=seed)


def image_only_pdf(scans: Sequence[Image.Image], out: Path, dpi: float = 300) -> Path:
    """A PDF whose pages are just these images, as a scanner writes them: no text layer."""
    pdf = pdfium.PdfDocument.new()
    try:
        for scan in scans:
            width = scan.width * 72.0 / dpi
            height = scan.height * 72.0 / dpi
            page = pdf.new_page(width, height)
            picture = pdfium.PdfImage.new(pdf)
            buffer = io.BytesIO()
            scan.convert("RGB" if scan.mode not in ("L", "RGB") else scan.mode).save(
                buffer, format="JPEG", quality=90
            )
            buffer.seek(0)
            picture.load_jpeg(buffer, inline=True)
            picture.set_matrix(pdfium.PdfMatrix().scale(width, height))
            page.insert_obj(picture)
            page.gen_content()
            page.close()
        pdf.save(out)
    finally:
        pdf.close()
    return out
