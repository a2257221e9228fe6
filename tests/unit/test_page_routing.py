"""How each page is routed: the text layer, OCR whole, or the text layer and OCR of the pictures
whose text the layer lacks; and how OCR lines merge into a text-layer page."""

from __future__ import annotations

from pathlib import Path

import pytest

from scriba.media import pdf
from scriba.models.text import Box, Line, Page, PageSource, Word
from scriba.stages.extract.merge import merge_pictures, reading_runs
from tests.routing_documents import (
    HEADER,
    header_over_picture_pdf,
    mojibake_pdf,
    searchable_scan_pdf,
)


def _layer(tmp_path: Path, data: bytes) -> pdf.TextLayer:
    path = tmp_path / "page.pdf"
    path.write_bytes(data)
    with pdf.pdf_document(path, path.name) as document:
        return pdf.read_text_layer(document, 1)


def test_a_picture_under_a_header_is_to_be_ocrd(tmp_path: Path) -> None:
    layer = _layer(tmp_path, header_over_picture_pdf())
    assert layer.page is not None and layer.page.text == HEADER
    assert len(layer.pictures) == 1
    picture = layer.pictures[0]
    # Below the header, the page's width less its margins.
    assert picture.top > 0.05 and picture.width == pytest.approx(540 / 612, abs=0.01)
    assert "OCR of 1 picture" in layer.why


def test_a_searchable_scans_invisible_text_covers_its_picture(tmp_path: Path) -> None:
    layer = _layer(tmp_path, searchable_scan_pdf())
    assert layer.page is not None
    assert "emergency stop button" in layer.page.text
    assert layer.pictures == ()
    assert layer.why == "the text layer"


def test_a_mojibake_text_layer_is_not_used(tmp_path: Path) -> None:
    layer = _layer(tmp_path, mojibake_pdf())
    assert layer.page is None
    assert "mojibake" in layer.why


@pytest.mark.parametrize(
    "text",
    [
        "Le opérateur a créé un contrôle à l'entrée, déjà noté.",  # French, accents
        "Größe, Übergröße und Maße: die Straße ist schön.",  # German
        "Ça coûte 3 € — « guillemets » et l’apostrophe ™.",  # typography that mojibake is made of
        "ESPAÑA: el Señor PEÑA, CÂMARA DE LÂMINAS, Ðuro Đaković.",  # capitals mojibake uses
    ],
)
def test_accented_text_is_usable(text: str) -> None:
    assert pdf.unusable_text(text * 5) is None


def test_mojibake_is_named() -> None:
    broken = "Le opÃ©rateur a crÃ©Ã© un contrÃ´le Ã  lâ€™entrÃ©e, dÃ©jÃ  notÃ©. " * 5
    assert pdf.unusable_text(broken) == (
        "the text layer is mojibake (text decoded with the wrong encoding)"
    )


def _line(text: str, left: float, top: float, *, confidence: float = 100.0) -> Line:
    box = Box(left=left, top=top, width=0.5, height=0.02)
    return Line(
        text=text, box=box, confidence=confidence, words=[Word(text=text, box=box, confidence=90)]
    )


def _page(lines: list[Line], source: PageSource, engine: str, number: int = 1) -> Page:
    return Page(
        number=number, width=612, height=792, unit="pt", source=source, engine=engine, lines=lines
    )


PICTURE = Box(left=0.05, top=0.2, width=0.9, height=0.5)


def test_ocr_lines_in_a_picture_join_the_text_layer_in_reading_order() -> None:
    layer = _page(
        [_line("Header", 0.1, 0.05), _line("Footer", 0.1, 0.9)], PageSource.TEXT_LAYER, "pdfium"
    )
    ocr = _page(
        [
            _line("Header", 0.1, 0.05),  # the text layer has it: not twice
            _line("First line of the picture", 0.1, 0.3),
            _line("n0ise ~~", 0.1, 0.4, confidence=20),  # not confident: not text
            _line("Second line of the picture", 0.1, 0.5),
            _line("Footer", 0.1, 0.9),  # outside the picture
        ],
        PageSource.OCR,
        "tesseract",
    )
    merged = merge_pictures(layer, ocr, [PICTURE], min_confidence=60)
    assert [line.text for line in merged.lines] == [
        "Header",
        "First line of the picture",
        "Second line of the picture",
        "Footer",
    ]
    assert [line.source for line in merged.lines] == [
        PageSource.TEXT_LAYER,
        PageSource.OCR,
        PageSource.OCR,
        PageSource.TEXT_LAYER,
    ]
    assert merged.source is PageSource.MIXED
    assert merged.engine == "pdfium+tesseract"
    assert merged.why is not None and "2 line(s) OCR read in 1 picture(s)" in merged.why


def test_a_picture_without_text_leaves_the_page_as_it_was() -> None:
    layer = _page([_line("Caption", 0.1, 0.75)], PageSource.TEXT_LAYER, "pdfium")
    ocr = _page([_line("~ ~", 0.2, 0.3, confidence=12)], PageSource.OCR, "tesseract")
    merged = merge_pictures(layer, ocr, [PICTURE], min_confidence=60)
    assert merged.source is PageSource.TEXT_LAYER
    assert merged.text == "Caption"
    assert merged.why == "the text layer; OCR found no text in its 1 picture(s)"


def test_reading_runs_group_pages_read_alike() -> None:
    pages = [
        _page([], PageSource.TEXT_LAYER, "pdfium", number).model_copy(
            update={"why": "the text layer"}
        )
        for number in (1, 2, 3)
    ]
    pages.append(
        _page([], PageSource.OCR, "tesseract", 4).model_copy(update={"why": "no text layer"})
    )
    pages.append(
        _page([], PageSource.TEXT_LAYER, "pdfium", 6).model_copy(update={"why": "the text layer"})
    )
    runs, more = reading_runs(pages)
    assert [(run.pages, run.source, run.why) for run in runs] == [
        ("1-3", PageSource.TEXT_LAYER, "the text layer"),
        ("4", PageSource.OCR, "no text layer"),
        ("6", PageSource.TEXT_LAYER, "the text layer"),
    ]
    assert more == 0


# -- a document's pages, one at a time ---------------------------------------------------------


def test_pages_merge_in_order_one_at_a_time() -> None:
    from scriba.stages.extract.assemble import merge_in_order

    header = _line("FEDERAL REGISTER", 0.1, 0.03)
    layer = [_page([header], PageSource.TEXT_LAYER, "pdfium", number=n) for n in (1, 2, 4, 7)]
    picture = Box(left=0.1, top=0.2, width=0.8, height=0.6)
    ocr = [
        _page([_line(f"scanned page {n}", 0.15, 0.3)], PageSource.OCR, "tesseract", number=n)
        for n in (2, 3, 5, 6, 8)
    ]
    merged = list(
        merge_in_order(iter(layer), iter(ocr), {2: [picture]}, {3: "no text layer"}, 60.0)
    )
    assert [p.number for p in merged] == list(range(1, 9))
    assert merged[1].source is PageSource.MIXED  # page 2: its picture's words merged in
    assert merged[1].text == "FEDERAL REGISTER\nscanned page 2"
    assert merged[2].why == "no text layer" and merged[2].source is PageSource.OCR
    assert merged[3].text == "FEDERAL REGISTER" and merged[3].source is PageSource.TEXT_LAYER


def test_a_spool_gives_back_its_pages_and_keeps_taking_more() -> None:
    from scriba.stages.extract.spool import PageSpool

    with PageSpool() as spool:
        for n in range(1, 4):
            spool.add(_page([_line(f"Seite {n} über Räume", 0.1, 0.1)], PageSource.OCR, "t", n))
        assert [p.text for p in spool] == [f"Seite {n} über Räume" for n in range(1, 4)]
        spool.add(_page([], PageSource.OCR, "t", 4))
        assert [p.number for p in spool] == [1, 2, 3, 4] and len(spool) == 4
        assert spool.lines().read().count(b"\n") == 4  # JSON Lines: a page a line
