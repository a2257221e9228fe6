"""Scans made from born-digital PDFs, with the PDF's own text layer as the ground truth.

Used by the OCR tests and benchmarks: render a page as a scanner would see it (optionally a
little turned, blurred and noisy), OCR it, and compare with the text the PDF itself carries.

``scan_set`` makes the measured set: the same sample pages as each ``KIND`` of page (a clean
300 dpi scan, skewed, turned, blurred, noisy, JPEG, and photographed with a phone), reproducibly
(every random choice is seeded by the kind and the page). ``word_recall`` is the measure: the
share of the reference's words (a multiset, case-insensitive, punctuation stripped) that the OCR
output has.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
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


# -- word recall -----------------------------------------------------------------------------------

_NOT_A_LETTER_OR_DIGIT = re.compile(r"[\W_]+")


def words(text: str) -> Counter[str]:
    """The words of ``text`` as a multiset: split at whitespace, case-folded, compatibility
    characters composed (ligatures as letters), everything but letters and digits dropped
    (punctuation, quotes, hyphens, math symbols), empty words skipped."""
    counted: Counter[str] = Counter()
    for token in unicodedata.normalize("NFKC", text).split():
        word = _NOT_A_LETTER_OR_DIGIT.sub("", token).casefold()
        if word:
            counted[word] += 1
    return counted


def words_found(recognized: str, reference: str) -> tuple[int, int]:
    """How many of the reference's words the recognized text has (each occurrence counts once),
    and how many words the reference has."""
    expected = words(reference)
    found = expected & words(recognized)
    return sum(found.values()), sum(expected.values())


def word_recall(recognized: str, reference: str) -> float:
    """The share of the reference's words found in the recognized text (1.0 for all of them)."""
    found, total = words_found(recognized, reference)
    if not total:
        raise ValueError("empty reference text")
    return found / total


# -- the measured set: sample pages as every kind of page ----------------------------------------


@dataclass(frozen=True)
class SamplePage:
    """A page of a sample PDF whose text layer is the ground truth."""

    pdf: str
    page: int
    language: str  # ISO 639-1: the hint OCR is given (and the tesseract CLI's -l)


# Prose, a German book, two columns, a title page, office exports; cycled in this order, so that
# a small set (two or three pages per kind) already has English, German and two columns.
SAMPLE_PAGES: tuple[SamplePage, ...] = (
    SamplePage("pdflatex-4-pages.pdf", 1, "en"),
    SamplePage("GeoTopo-komprimiert.pdf", 2, "de"),
    SamplePage("multicolumn.pdf", 1, "en"),
    SamplePage("crazyones-pdfa.pdf", 1, "en"),
    SamplePage("google-doc-document.pdf", 1, "en"),
    SamplePage("002-trivial-libre-office-writer.pdf", 1, "en"),
    SamplePage("GeoTopo-komprimiert.pdf", 6, "de"),
    SamplePage("pdflatex-4-pages.pdf", 3, "en"),
    SamplePage("multicolumn.pdf", 2, "en"),
    SamplePage("pdflatex-4-pages.pdf", 4, "en"),
)


@dataclass(frozen=True)
class Kind:
    """A kind of page image: how a clean rendering is degraded. Values that are tuples are cycled
    through page by page (the first page gets the first)."""

    name: str
    what: str
    dpi: float = 300
    angles: tuple[float, ...] = (0.0,)
    blur: float = 0.0
    noise: float = 0.0
    jpeg_qualities: tuple[int, ...] = ()
    photographed: bool = False


KINDS: tuple[Kind, ...] = (
    Kind("clean", "300 dpi scan, clean"),
    Kind("skewed", "300 dpi, turned 1–5°", angles=(2.5, -4.0, 1.0, -5.0, 3.5, -1.5)),
    Kind("turned", "300 dpi, fed turned by 90° or 180°", angles=(90.0, 180.0, -90.0)),
    Kind("blurred", "300 dpi, Gaussian blur σ = 2 px", blur=2.0),
    Kind("noisy", "300 dpi, Gaussian noise σ = 40 grey levels", noise=40.0),
    Kind("jpeg", "200 dpi, JPEG quality 30–50", dpi=200, jpeg_qualities=(30, 40, 50)),
    Kind(
        "phone",
        "photographed: ~170 dpi, perspective, uneven light, blur, noise, JPEG 40",
        dpi=180,
        photographed=True,
    ),
)
KINDS_BY_NAME = {kind.name: kind for kind in KINDS}


@dataclass(frozen=True)
class Scan:
    """One page image of the set, with its ground truth."""

    kind: Kind
    sample: SamplePage
    image: Image.Image
    dpi: float  # what OCR is told: the scan's resolution, 0 for a photograph (unknown)
    reference: str

    @property
    def name(self) -> str:
        return f"{self.kind.name}/{Path(self.sample.pdf).stem}-p{self.sample.page}"


def _seed(kind: Kind, index: int) -> int:
    """A seed of its own for every kind and page, stable across runs and Python versions."""
    return sum(ord(character) for character in kind.name) * 1000 + index


def make_scan(corpus: Path, kind: Kind, index: int) -> Scan:
    """Sample page number ``index`` (cycling through ``SAMPLE_PAGES``) as a page of ``kind``."""
    sample = SAMPLE_PAGES[index % len(SAMPLE_PAGES)]
    path = corpus / sample.pdf
    seed = _seed(kind, index)
    if kind.photographed:
        with pdf_document(path, path.name) as pdf:
            rendering = render_page(pdf, sample.page, kind.dpi)
        image = photograph(rendering, seed=seed)
        dpi = 0.0
    else:
        qualities = kind.jpeg_qualities
        image = scan_page(
            path,
            sample.page,
            kind.dpi,
            angle=kind.angles[index % len(kind.angles)],
            blur=kind.blur,
            noise=kind.noise,
            jpeg_quality=qualities[index % len(qualities)] if qualities else None,
            seed=seed,
        )
        dpi = kind.dpi
    return Scan(kind, sample, image, dpi, reference_text(path, sample.page))


def scan_set(corpus: Path, pages_per_kind: int, kinds: Sequence[Kind] = KINDS) -> Iterator[Scan]:
    """The first ``pages_per_kind`` sample pages as each kind of page, kind by kind."""
    for kind in kinds:
        for index in range(pages_per_kind):
            yield make_scan(corpus, kind, index)


def _perspective_coefficients(
    source: Sequence[tuple[float, float]], target: Sequence[tuple[float, float]]
) -> tuple[float, ...]:
    """The eight coefficients of PIL's perspective transform that takes each point of ``target``
    (the output image) to the point of ``source`` at the same index (the input image)."""
    rows, values = [], []
    for (x, y), (u, v) in zip(target, source, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        values += [u, v]
    solved = np.linalg.solve(np.asarray(rows, dtype=np.float64), np.asarray(values))
    return tuple(float(value) for value in solved)


def photograph(page: Image.Image, seed: int = 0) -> Image.Image:
    """A page as a phone photographs it, reproducibly: on a dark table, seen a little from the
    side (perspective, the page filling about 90 % of the frame and turned by a degree or two),
    lit unevenly (a gradient and a vignette, greyish paper, ink not quite black), slightly out of
    focus, with sensor noise, a warm tint, saved as a JPEG of quality 40. The frame has the size
    of ``page``: text is about 10 % smaller than in it."""
    rng = np.random.default_rng(seed)
    width, height = page.size
    gray = np.asarray(page.convert("L"), dtype=np.float64)
    paper = Image.fromarray((40.0 + gray * (200.0 / 255.0)).astype(np.uint8))
    margin = 0.05
    corners = [(0.0, 0.0), (width, 0.0), (width, height), (0.0, height)]
    jitter = rng.uniform(-0.025, 0.025, size=(4, 2))
    placed = [
        (
            (margin + (1 - 2 * margin) * (x / width) + dx) * width,
            (margin + (1 - 2 * margin) * (y / height) + dy) * height,
        )
        for (x, y), (dx, dy) in zip(corners, jitter, strict=True)
    ]
    warped = paper.transform(
        page.size,
        Image.Transform.PERSPECTIVE,
        _perspective_coefficients(corners, placed),
        resample=Image.Resampling.BICUBIC,
        fillcolor=0,
    )
    inside = (
        page.convert("L")
        .point(lambda _: 255)
        .transform(
            page.size,
            Image.Transform.PERSPECTIVE,
            _perspective_coefficients(corners, placed),
            resample=Image.Resampling.BILINEAR,
            fillcolor=0,
        )
    )
    mask = np.asarray(inside, dtype=np.float64) / 255.0
    table = 70.0
    pixels = np.asarray(warped, dtype=np.float64) * mask + table * (1.0 - mask)
    # Light: a gradient in a random direction (from 100 % down to ~55 %) and a vignette.
    ys, xs = np.mgrid[0:height, 0:width]
    direction = rng.uniform(0, 2 * np.pi)
    along = (np.cos(direction) * xs / width + np.sin(direction) * ys / height) / np.sqrt(2)
    along = (along - along.min()) / max(float(along.max() - along.min()), 1e-9)
    radius = np.hypot(xs / width - 0.5, ys / height - 0.5) / np.sqrt(0.5)
    light = (1.0 - 0.4 * along) * (1.0 - 0.25 * radius**2)
    pixels = pixels * light
    blurred = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(1.1)
    )
    noisy = np.asarray(blurred, dtype=np.float64) + rng.normal(0.0, 7.0, (height, width))
    tint = np.clip(noisy[..., None] * np.asarray([1.0, 0.95, 0.86]), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(tint).save(buffer, format="JPEG", quality=40)
    photo = Image.open(io.BytesIO(buffer.getvalue()))
    photo.load()
    return photo
