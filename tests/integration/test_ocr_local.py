"""Tesseract OCR (scriba.engines.local.tesseract) on scans made from the sample PDFs.

The ground truth is each PDF's own text layer; the character error rate is the Levenshtein
distance (rapidfuzz) over the reference length, whitespace normalized (``tests.scans``).
"""

from __future__ import annotations

import difflib
import math
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from scriba.config import Settings
from scriba.engines.local import tesseract as ocr_module
from scriba.engines.local.tesseract import TesseractOcr, tessdata_name
from scriba.engines.ports import OcrEngine, PageImage
from scriba.errors import EngineFailed
from scriba.media.pdf import pdf_document, render_page, text_layer_page
from scriba.models.text import Box, Page, PageSource
from tests.scans import (
    KINDS_BY_NAME,
    Scan,
    character_error_rate,
    image_only_pdf,
    make_scan,
    normalize,
    reference_text,
    scan_page,
    word_recall,
)

pytestmark = pytest.mark.local_engines

MAX_CER = 0.02
DPI = 300
ENGINE = "tesseract"


@pytest.fixture(scope="module")
def ocr() -> OcrEngine:
    engine: OcrEngine = TesseractOcr(Settings(engines="local"))
    return engine


def _recognize(ocr: OcrEngine, image: Image.Image, languages: list[str] | None = None) -> Page:
    return ocr.recognize(PageImage(number=1, image=image, dpi=DPI), languages or []).page


def test_engine_implements_the_port(ocr: OcrEngine) -> None:
    assert isinstance(ocr, OcrEngine)
    assert ocr.name == "tesseract"


def test_clean_scan_of_a_latex_page(corpus: Path, ocr: OcrEngine) -> None:
    path = corpus / "pdflatex-4-pages.pdf"
    scan = scan_page(path, 1, DPI)
    page = _recognize(ocr, scan)
    assert (page.number, page.unit, page.source, page.engine) == (1, "px", PageSource.OCR, ENGINE)
    assert (page.width, page.height) == scan.size
    assert page.text.startswith("Hello, here is some text without a meaning.")
    assert character_error_rate(page.text, reference_text(path, 1)) < MAX_CER
    for line in page.lines:
        assert line.text == " ".join(word.text for word in line.words)
        assert 0 <= line.confidence <= 100
    confidences = [word.confidence for line in page.lines for word in line.words]
    assert sum(confidences) / len(confidences) > 85


def test_skewed_blurred_noisy_scan(corpus: Path, ocr: OcrEngine) -> None:
    path = corpus / "pdflatex-4-pages.pdf"
    scan = scan_page(path, 2, DPI, angle=1.5, blur=0.8, noise=12, seed=7)
    page = _recognize(ocr, scan, ["en"])
    assert character_error_rate(page.text, reference_text(path, 2)) < MAX_CER


def test_german_page_is_read_with_the_german_model(corpus: Path, ocr: OcrEngine) -> None:
    path = corpus / "GeoTopo-komprimiert.pdf"
    scan = scan_page(path, 2, DPI)
    reference = reference_text(path, 2)
    detected = _recognize(ocr, scan)  # no hint: read, detect German, read again
    hinted = _recognize(ocr, scan, ["de"])
    english = _recognize(ocr, scan, ["en"])
    assert character_error_rate(detected.text, reference) < MAX_CER
    assert detected.text == hinted.text
    for word in ("Übungen", "verfügbar", "hätte", "für", "Tatsächlich"):
        assert word in detected.text, word
    # The English model misses umlauts: the language choice is what made the difference.
    assert character_error_rate(english.text, reference) > character_error_rate(
        detected.text, reference
    )
    assert "Übungen" not in english.text


def test_png_with_transparency(corpus: Path, ocr: OcrEngine, tmp_path: Path) -> None:
    # Black text on a transparent background: read as if on white paper.
    path = corpus / "minimal-document.pdf"
    scan = scan_page(path, 1, DPI)
    ink = Image.eval(scan, lambda value: 255 - value)  # text opaque, paper transparent
    transparent = Image.new("RGBA", scan.size, (0, 0, 0, 0))
    transparent.putalpha(ink)
    png = tmp_path / "page.png"
    transparent.save(png)
    with Image.open(png) as image:
        assert image.mode == "RGBA"
        page = ocr.recognize(PageImage(number=1, image=image, dpi=0), []).page
    assert character_error_rate(page.text, reference_text(path, 1)) < MAX_CER


def test_word_boxes_match_the_text_layer(corpus: Path, ocr: OcrEngine) -> None:
    path = corpus / "minimal-document.pdf"
    with pdf_document(path, path.name) as pdf:
        layer = text_layer_page(pdf, 1)
        scan = render_page(pdf, 1, DPI)
    assert layer is not None
    page = _recognize(ocr, scan, ["en"])
    _assert_same_boxes(page, layer)
    # The text fills the top of the page only.
    assert all(line.box.top + line.box.height < 0.5 for line in page.lines)


def _assert_same_boxes(page: Page, layer: Page, tolerance: float = 0.01) -> None:
    """Words read in the same order as the text layer sit where the text layer has them."""
    ours = [word for line in page.lines for word in line.words]
    truth = [word for line in layer.lines for word in line.words]
    matcher = difflib.SequenceMatcher(
        a=[word.text for word in ours], b=[word.text for word in truth], autojunk=False
    )
    compared = 0
    for a, b, size in matcher.get_matching_blocks():
        for offset in range(size):
            box, expected = ours[a + offset].box, truth[b + offset].box
            compared += 1
            assert box.left + box.width / 2 == pytest.approx(
                expected.left + expected.width / 2, abs=tolerance
            )
            assert box.top + box.height / 2 == pytest.approx(
                expected.top + expected.height / 2, abs=tolerance
            )
    assert compared >= 0.9 * len(truth)


def test_page_fed_sideways_is_read_and_boxed_as_given(corpus: Path, ocr: OcrEngine) -> None:
    path = corpus / "minimal-document.pdf"
    with pdf_document(path, path.name) as pdf:
        pdf[0].set_rotation(90)  # the text layer of the page as turned
        layer = text_layer_page(pdf, 1)
    assert layer is not None
    scan = scan_page(path, 1, DPI, angle=-90)  # turned clockwise, as /Rotate 90
    page = _recognize(ocr, scan, ["en"])
    assert character_error_rate(page.text, reference_text(path, 1)) < MAX_CER
    _assert_same_boxes(page, layer)


@pytest.mark.parametrize("angle", [90, 180])
def test_without_an_orientation_model_turned_pages_are_still_read(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, angle: int
) -> None:
    tessdata = tmp_path / "tessdata"
    tessdata.mkdir()
    (tessdata / "eng.traineddata").symlink_to(ocr_module.tessdata_dir() / "eng.traineddata")
    monkeypatch.setenv("TESSDATA_PREFIX", str(tessdata))
    engine = TesseractOcr(Settings(engines="local"))
    assert engine.tessdata == tessdata
    assert not engine.detects_orientation
    path = corpus / "minimal-document.pdf"
    page = _recognize(engine, scan_page(path, 1, DPI, angle=angle), ["en"])
    assert character_error_rate(page.text, reference_text(path, 1)) < MAX_CER
    with pdf_document(path, path.name) as pdf:
        pdf[0].set_rotation(360 - angle)  # the scan was turned counter-clockwise
        layer = text_layer_page(pdf, 1)
    assert layer is not None
    _assert_same_boxes(page, layer)


def test_tessdata_prefix_may_name_the_parent_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "tessdata").mkdir()
    (tmp_path / "tessdata" / "eng.traineddata").touch()
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))
    assert ocr_module.tessdata_dir() == tmp_path / "tessdata"
    monkeypatch.delenv("TESSDATA_PREFIX")
    assert ocr_module.tessdata_dir() == Path("/usr/share/tesseract-ocr/5/tessdata")


def test_language_without_a_model_is_an_engine_failure(corpus: Path, ocr: OcrEngine) -> None:
    scan = scan_page(corpus / "minimal-document.pdf", 1, 100)
    with pytest.raises(EngineFailed, match=r"no Tesseract model for ja \(jpn\.traineddata\) in /"):
        _recognize(ocr, scan, ["ja"])


def test_hints_without_a_model_are_skipped_when_another_has_one(
    corpus: Path, ocr: OcrEngine
) -> None:
    path = corpus / "minimal-document.pdf"
    page = _recognize(ocr, scan_page(path, 1, DPI), ["ja", "en"])
    assert character_error_rate(page.text, reference_text(path, 1)) < MAX_CER


@pytest.mark.parametrize(
    ("hint", "model"),
    [("en", "eng"), ("fr", "fra"), ("de", "deu"), ("es", "spa"), ("zh", "chi_sim"), ("NB", "nor")],
)
def test_iso_codes_map_to_tessdata_models(hint: str, model: str) -> None:
    assert ocr_module.tessdata_name(hint) == model


def test_scanned_pdf_has_no_text_layer_and_is_read_by_ocr(
    corpus: Path, ocr: OcrEngine, tmp_path: Path
) -> None:
    source = corpus / "pdflatex-4-pages.pdf"
    scanned = image_only_pdf([scan_page(source, 4, DPI, angle=0.7, noise=6)], tmp_path / "s.pdf")
    with pdf_document(scanned, "scanned.pdf") as pdf:
        assert text_layer_page(pdf, 1) is None
        image = render_page(pdf, 1, DPI)
    page = _recognize(ocr, image)
    assert character_error_rate(page.text, reference_text(source, 4)) < MAX_CER


@pytest.mark.parametrize("name", ["cmyk-image.pdf", "grayscale-image.pdf"])
def test_pictures_without_text_give_no_confident_words(
    corpus: Path, ocr: OcrEngine, name: str
) -> None:
    # These pages are a photograph and a drawing with no lettering at all: OCR runs on them
    # (they have no text layer) and must not invent text.
    with pdf_document(corpus / name, name) as pdf:
        assert text_layer_page(pdf, 1) is None
        image = render_page(pdf, 1, DPI)
    page = _recognize(ocr, image)
    assert (page.width, page.height) == image.size
    assert page.source == PageSource.OCR
    confident = [w.text for line in page.lines for w in line.words if w.confidence >= 60]
    assert confident == [], normalize(page.text)


# -- reading more than Tesseract alone (the small version of bench/ocr_quality) ------------------


def _cli_text(scan: Scan, folder: Path) -> str:
    """What the ``tesseract`` CLI reads on the same pixels, with its defaults."""
    path = folder / "page.png"
    scan.image.save(path)
    command = ["tesseract", str(path), "stdout", "-l", tessdata_name(scan.sample.language)]
    if scan.dpi:
        command += ["--dpi", str(round(scan.dpi))]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize(
    ("kind", "index", "minimum"),
    [
        ("skewed", 1, 0.97),  # a German page turned by 4°: the CLI loses lines of it
        ("phone", 0, 0.90),  # perspective, uneven light, blur, noise, JPEG, unknown dpi
        ("turned", 1, 0.97),  # fed upside down
        ("noisy", 3, 0.97),  # grain σ = 40 on a short page: the CLI reads none of it
    ],
)
def test_degraded_pages_read_at_least_what_tesseract_alone_reads(
    corpus: Path, ocr: OcrEngine, tmp_path: Path, kind: str, index: int, minimum: float
) -> None:
    scan = make_scan(corpus, KINDS_BY_NAME[kind], index)
    page = ocr.recognize(PageImage(1, scan.image, scan.dpi), [scan.sample.language]).page
    ours = word_recall(page.text, scan.reference)
    theirs = word_recall(_cli_text(scan, tmp_path), scan.reference)
    assert ours >= minimum
    assert ours >= theirs - 0.01, f"{scan.name}: scriba {ours:.1%}, tesseract CLI {theirs:.1%}"


def test_a_skewed_page_is_boxed_as_given(corpus: Path, ocr: OcrEngine) -> None:
    """The page is straightened to be read; its boxes are still those of the image as given."""
    path = corpus / "minimal-document.pdf"
    with pdf_document(path, path.name) as pdf:
        layer = text_layer_page(pdf, 1)
        straight = render_page(pdf, 1, DPI).size
    assert layer is not None
    scan = scan_page(path, 1, DPI, angle=3.0)
    page = _recognize(ocr, scan, ["en"])
    assert character_error_rate(page.text, reference_text(path, 1)) < MAX_CER
    # Turned by 3° about the centre: words move up to ~2.5 % of the page from the layer's
    # place, so the boxes are compared with the layer's turned the same way.
    turned = _turned_layer(layer, 3.0, straight, scan.size)
    _assert_same_boxes(page, turned, tolerance=0.01)


def _turned_layer(
    layer: Page, degrees: float, straight: tuple[int, int], turned: tuple[int, int]
) -> Page:
    """The layer's word boxes with their centres turned as ``scan_page`` turns the image (PIL's
    ``rotate`` with ``expand``: the ``straight`` image onto a ``turned`` canvas that holds it)."""
    width, height = straight
    canvas_width, canvas_height = turned
    radians = math.radians(degrees)
    cos, sin = math.cos(radians), math.sin(radians)

    def turn(box: Box) -> Box:
        x = (box.left + box.width / 2 - 0.5) * width
        y = (box.top + box.height / 2 - 0.5) * height
        # PIL's rotate turns counter-clockwise on screen (y down): x' = x cos + y sin.
        cx, cy = x * cos + y * sin, -x * sin + y * cos
        box_width = box.width * width / canvas_width
        box_height = box.height * height / canvas_height
        return Box.clamped(
            cx / canvas_width + 0.5 - box_width / 2,
            cy / canvas_height + 0.5 - box_height / 2,
            box_width,
            box_height,
        )

    return layer.model_copy(
        update={
            "lines": [
                line.model_copy(
                    update={
                        "words": [w.model_copy(update={"box": turn(w.box)}) for w in line.words]
                    }
                )
                for line in layer.lines
            ]
        }
    )
