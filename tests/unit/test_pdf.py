"""scriba.media.pdf on the sample corpus and on small PDFs written here byte by byte."""

from __future__ import annotations

import difflib
from pathlib import Path

import numpy as np
import pdfplumber
import pypdfium2 as pdfium
import pytest

from scriba.errors import CorruptDocument, EmptyDocument, EncryptedDocument, NoPages
from scriba.media.pdf import (
    is_usable_text,
    open_pdf,
    page_count,
    pdf_document,
    render_page,
    subset_pdf,
    text_layer_page,
)
from scriba.models.text import Box, Page, PageSource
from tests.badinputs.makers import pdf_file, stream

# -- small PDFs made by hand -------------------------------------------------------------------


def _one_page_pdf(font: bytes, content: bytes, extra_objects: tuple[bytes, ...] = ()) -> bytes:
    return pdf_file(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]"
            b" /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
            font,
            stream(content),
            *extra_objects,
        ]
    )


def _private_use_pdf() -> bytes:
    """Text whose font maps every character to the private use area (a broken ToUnicode map)."""
    cmap = (
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Broken def"
        b" 1 begincodespacerange <00> <FF> endcodespacerange"
        b" 1 beginbfrange <21> <7E> <E021> endbfrange"
        b" endcmap CMapName currentdict /CMap defineresource pop end end"
    )
    return _one_page_pdf(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 6 0 R >>",
        b"BT /F1 12 Tf 72 700 Td (Hello world, this is text) Tj ET",
        (stream(cmap),),
    )


def _unmapped_glyphs_pdf() -> bytes:
    """Text in a subset font without a Unicode map: glyph codes from 1 up, as broken
    subsetting tools write them. pdfium can only report the raw codes."""
    names = b" ".join(b"/g%d" % code for code in range(1, 30))
    return _one_page_pdf(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica"
        b" /Encoding << /Type /Encoding /Differences [1 " + names + b"] >> >>",
        b"BT /F1 12 Tf 72 700 Td (\\001\\002\\003\\004\\005 \\006\\007\\010\\011"
        b" \\012\\013\\014\\015\\016\\017\\020\\021) Tj ET",
    )


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _words(page: Page) -> list[str]:
    return [word.text for line in page.lines for word in line.words]


# -- opening -----------------------------------------------------------------------------------


def test_password_protected_pdf_is_an_encrypted_document(corpus: Path) -> None:
    with pytest.raises(EncryptedDocument, match="password") as raised:
        open_pdf(corpus / "libreoffice-writer-password.pdf", "inbox/secret.pdf")
    assert "inbox/secret.pdf" in str(raised.value)
    assert raised.value.document == "inbox/secret.pdf"


@pytest.mark.parametrize("keep", [0.2, 0.6, 0.95])
def test_truncated_pdf_is_a_corrupt_document(corpus: Path, tmp_path: Path, keep: float) -> None:
    data = (corpus / "pdflatex-4-pages.pdf").read_bytes()
    truncated = _write(tmp_path, "cut.pdf", data[: int(len(data) * keep)])
    with pytest.raises(CorruptDocument, match="truncated or damaged") as raised:
        open_pdf(truncated, "uploads/cut.pdf")
    assert raised.value.document == "uploads/cut.pdf"


def test_a_file_that_is_not_a_pdf_is_a_corrupt_document(corpus: Path, tmp_path: Path) -> None:
    png = _write(tmp_path, "image.pdf", (corpus / "smile.png").read_bytes())
    with pytest.raises(CorruptDocument, match=r"image\.pdf"):
        open_pdf(png, "image.pdf")


def test_empty_file_is_an_empty_document(tmp_path: Path) -> None:
    with pytest.raises(EmptyDocument, match=r"empty\.pdf: the file is empty"):
        open_pdf(_write(tmp_path, "empty.pdf", b""), "empty.pdf")


def test_pdf_without_pages_is_refused(tmp_path: Path) -> None:
    empty = pdfium.PdfDocument.new()
    path = tmp_path / "nothing.pdf"
    empty.save(path)
    empty.close()
    with pytest.raises(NoPages, match=r"nothing\.pdf: the PDF has no pages"):
        open_pdf(path, "nothing.pdf")


def test_pdf_document_closes_the_document(corpus: Path) -> None:
    with pdf_document(corpus / "pdflatex-4-pages.pdf", "four.pdf") as pdf:
        assert page_count(pdf) == 4
    assert pdf.raw is None  # pypdfium2 drops the handle once pdfium has closed the document


def test_page_numbers_are_one_based_and_checked(corpus: Path) -> None:
    with pdf_document(corpus / "minimal-document.pdf", "minimal.pdf") as pdf:
        assert text_layer_page(pdf, 1) is not None
        with pytest.raises(IndexError, match=r"minimal\.pdf: page 2 out of range 1\.\.1"):
            text_layer_page(pdf, 2)
        with pytest.raises(IndexError):
            render_page(pdf, 0, 72)


# -- text layer --------------------------------------------------------------------------------


def test_text_layer_of_a_one_page_latex_document(corpus: Path) -> None:
    with pdf_document(corpus / "minimal-document.pdf", "minimal.pdf") as pdf:
        page = text_layer_page(pdf, 1)
    assert page is not None
    assert (page.number, page.unit, page.source, page.engine) == (
        1,
        "pt",
        PageSource.TEXT_LAYER,
        "pdfium",
    )
    assert page.width == pytest.approx(595.276, abs=0.01)
    assert page.height == pytest.approx(841.89, abs=0.01)
    assert page.lines[0].text == (
        "Lorem ipsum dolor sit amet, consetetur sadipscing elitr, sed diam nonumy eirmod"
    )
    assert page.lines[2].words[-1].text == "taki-"  # hyphenation is left as it is
    assert page.lines[3].words[0].text == "mata"
    assert page.word_count == 102
    for line in page.lines:
        assert line.confidence == 100
        assert line.text == " ".join(word.text for word in line.words)
        for word in line.words:
            assert word.confidence == 100
            assert word.text and not word.text.isspace()
            _assert_inside(word.box, line.box)


def _assert_inside(inner: Box, outer: Box) -> None:
    tolerance = 1e-9
    assert outer.left - tolerance <= inner.left
    assert outer.top - tolerance <= inner.top
    assert inner.left + inner.width <= outer.left + outer.width + tolerance
    assert inner.top + inner.height <= outer.top + outer.height + tolerance


def test_every_page_of_a_four_page_document(corpus: Path) -> None:
    with pdf_document(corpus / "pdflatex-4-pages.pdf", "four.pdf") as pdf:
        pages = [text_layer_page(pdf, number) for number in range(1, 5)]
    assert all(page is not None for page in pages)
    texts = [page.text for page in pages if page is not None]
    assert texts[0].startswith("Hello, here is some text without a meaning.")
    assert texts[1].startswith("information. Really? Is there no information?")
    assert [page.number for page in pages if page is not None] == [1, 2, 3, 4]
    counts = [page.word_count for page in pages if page is not None]
    assert all(count > 400 for count in counts), counts
    # Lines run down the page.
    for page in pages:
        assert page is not None
        tops = [line.box.top for line in page.lines]
        assert tops == sorted(tops)


def test_two_columns_are_read_column_after_column(corpus: Path) -> None:
    with pdf_document(corpus / "multicolumn.pdf", "columns.pdf") as pdf:
        page = text_layer_page(pdf, 1)
    assert page is not None
    body = [line for line in page.lines if line.box.width > 0.3]
    columns = ["left" if line.box.left < 0.5 else "right" for line in body]
    switch = columns.index("right")
    assert set(columns[:switch]) == {"left"}
    assert set(columns[switch:]) == {"right"}
    assert switch > 20
    assert len(columns) - switch > 20
    # The sentence that runs from the foot of the left column to the head of the right one.
    texts = [line.text for line in page.lines]
    foot = texts.index("Vivamus viverra fermentum felis. Donec nonummy")
    assert texts[foot + 1] == "pellentesque ante. Phasellus adipiscing semper elit."


def test_a_hyphen_at_the_end_of_a_line_ends_the_line(corpus: Path) -> None:
    # pdfium joins a hyphenated line with the next one; the lines must stay apart.
    with pdf_document(corpus / "multicolumn.pdf", "columns.pdf") as pdf:
        page = text_layer_page(pdf, 1)
    assert page is not None
    texts = [line.text for line in page.lines]
    start = texts.index("Lorem ipsum dolor sit amet, consectetuer adip-")
    assert texts[start + 1] == "iscing elit. Ut purus elit, vestibulum ut, placerat"
    hyphenated = page.lines[start].words[-1]
    following = page.lines[start + 1].words[0]
    assert following.box.top > hyphenated.box.top + hyphenated.box.height / 2


def test_a_superscript_does_not_split_a_table_row(corpus: Path) -> None:
    with pdf_document(corpus / "multicolumn.pdf", "columns.pdf") as pdf:
        page = text_layer_page(pdf, 3)
    assert page is not None
    texts = [line.text for line in page.lines]
    assert "Country Population (millions) Area (km2 ) Capital Official Language" in texts
    assert "Austria 8.9 83,879 Vienna German" in texts


def _pdfplumber_agreement(path: Path, number: int, tolerance: float) -> tuple[int, int]:
    """Of the words that both extractors find in the same order, how many have left and right
    edges within ``tolerance`` points of pdfplumber's."""
    with pdf_document(path, path.name) as pdf:
        page = text_layer_page(pdf, number)
    assert page is not None
    ours = [word for line in page.lines for word in line.words]
    with pdfplumber.open(path) as document:
        plumber_page = document.pages[number - 1]
        theirs = plumber_page.extract_words()
        width, height = float(plumber_page.width), float(plumber_page.height)
    matcher = difflib.SequenceMatcher(
        a=[word.text for word in ours], b=[word["text"] for word in theirs], autojunk=False
    )
    agree = compared = 0
    for a, b, size in matcher.get_matching_blocks():
        for offset in range(size):
            box, other = ours[a + offset].box, theirs[b + offset]
            compared += 1
            left, right = box.left * width, (box.left + box.width) * width
            top, bottom = box.top * height, (box.top + box.height) * height
            agree += (
                abs(left - other["x0"]) <= tolerance
                and abs(right - other["x1"]) <= tolerance
                # Fonts differ in how far ascent and descent reach: a looser bound.
                and abs(top - other["top"]) <= 3 * tolerance + 2
                and abs(bottom - other["bottom"]) <= 3 * tolerance + 2
            )
    return agree, compared


@pytest.mark.parametrize(
    "name", ["minimal-document.pdf", "002-trivial-libre-office-writer.pdf", "crazyones-pdfa.pdf"]
)
def test_word_boxes_agree_with_pdfplumber(corpus: Path, name: str) -> None:
    agree, compared = _pdfplumber_agreement(corpus / name, 1, tolerance=1.0)
    assert compared >= 100
    assert agree == compared


@pytest.mark.parametrize("number", [20, 41])
def test_word_boxes_stay_aligned_after_unmapped_glyphs(corpus: Path, number: int) -> None:
    # These pages of the book hold glyphs without a Unicode value, which pdfium leaves out of
    # its text: words after them must still get their own boxes.
    agree, compared = _pdfplumber_agreement(corpus / "GeoTopo-komprimiert.pdf", number, 1.0)
    assert compared >= 100
    assert agree >= 0.9 * compared


def test_boxes_follow_the_page_rotation(corpus: Path) -> None:
    """Boxes are fractions of the page as displayed; the ink of the word is inside its box."""
    upright: Box | None = None
    for rotation in (0, 90, 180, 270):
        with pdf_document(corpus / "minimal-document.pdf", "minimal.pdf") as pdf:
            pdf[0].set_rotation(rotation)
            page = text_layer_page(pdf, 1)
            image = render_page(pdf, 1, 72)
        assert page is not None
        word = page.lines[0].words[0]
        assert word.text == "Lorem"
        if rotation % 180:
            assert (page.width, page.height) == pytest.approx((841.89, 595.276), abs=0.01)
        box = word.box
        if upright is None:
            upright = box
        else:  # the same word, turned with the page
            assert (box.width, box.height) == pytest.approx(
                (upright.width, upright.height)
                if rotation == 180
                else (upright.height, upright.width)
            )
        ink = np.asarray(image.convert("L")) < 128
        rows, columns = ink.shape
        x0, x1 = int(box.left * columns), int((box.left + box.width) * columns) + 1
        y0, y1 = int(box.top * rows), int((box.top + box.height) * rows) + 1
        inside = ink[y0:y1, x0:x1].sum()
        around = ink[max(y0 - 2, 0) : y1 + 2, max(x0 - 2, 0) : x1 + 2].sum() - inside
        assert inside > 20, rotation
        assert around == 0, rotation


def test_a_rotated_page_keeps_its_line_order(corpus: Path) -> None:
    # pdfium reverses the lines of upright text on a page displayed turned.
    texts = {}
    for rotation in (0, 90, 180, 270):
        with pdf_document(corpus / "minimal-document.pdf", "minimal.pdf") as pdf:
            pdf[0].set_rotation(rotation)
            page = text_layer_page(pdf, 1)
            assert pdf[0].get_rotation() == rotation  # put back after reading
        assert page is not None
        texts[rotation] = [line.text for line in page.lines]
    assert texts[0][1].startswith("tempor invidunt")
    assert texts[90] == texts[180] == texts[270] == texts[0]


def _turned_text_pdf(rotate: int) -> bytes:
    """Four lines of text running up the page (a landscape table in a portrait document), the
    first line leftmost as the glyphs' tops point left."""
    lines = [b"first line of text", b"second line of text", b"third line", b"fourth line"]
    content = b"BT /F1 12 Tf "
    for index, line in enumerate(lines):
        content += b"0 1 -1 0 %d 100 Tm (%s) Tj " % (300 + 20 * index, line)
    content += b"ET"
    return pdf_file(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Rotate %d" % rotate
            + b" /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            stream(content),
        ]
    )


@pytest.mark.parametrize("rotate", [0, 90])
def test_turned_text_is_read_line_by_line(tmp_path: Path, rotate: int) -> None:
    # Upright on screen with /Rotate 90 (a landscape page), running up the page without it.
    path = _write(tmp_path, "turned.pdf", _turned_text_pdf(rotate))
    with pdf_document(path, "turned.pdf") as pdf:
        page = text_layer_page(pdf, 1)
    assert page is not None
    assert [line.text for line in page.lines] == [
        "first line of text",
        "second line of text",
        "third line",
        "fourth line",
    ]
    first = page.lines[0].box
    if rotate == 90:  # displayed upright: wide lines, the first at the top
        assert first.width > 3 * first.height
        assert page.lines[1].box.top > first.top
    else:  # displayed running up: tall lines, the first on the left
        assert first.height > 3 * first.width
        assert page.lines[1].box.left > first.left


def test_pages_without_text_need_ocr(corpus: Path) -> None:
    for name in ("cmyk-image.pdf", "grayscale-image.pdf"):
        with pdf_document(corpus / name, name) as pdf:
            assert text_layer_page(pdf, 1) is None, name


def test_text_outside_the_visible_page_is_ignored(corpus: Path) -> None:
    # Each page is a 4 pt square picture; the word "Background" sits above it, out of sight.
    with pdf_document(corpus / "imagemagick-images.pdf", "images.pdf") as pdf:
        assert pdf[0].get_textpage().get_text_range() == "Background"
        assert all(text_layer_page(pdf, number) is None for number in range(1, 7))


def test_private_use_text_is_not_a_usable_text_layer(tmp_path: Path) -> None:
    path = _write(tmp_path, "private.pdf", _private_use_pdf())
    with pdf_document(path, "private.pdf") as pdf:
        assert pdf[0].get_textpage().count_chars() > 20  # there is a text layer...
        assert text_layer_page(pdf, 1) is None  # ...but it is no use


def test_unmapped_glyph_codes_are_not_a_usable_text_layer(tmp_path: Path) -> None:
    path = _write(tmp_path, "unmapped.pdf", _unmapped_glyphs_pdf())
    with pdf_document(path, "unmapped.pdf") as pdf:
        assert pdf[0].get_textpage().count_chars() > 15
        assert text_layer_page(pdf, 1) is None


def test_a_plain_hand_made_page_is_read(tmp_path: Path) -> None:
    # The same construction as the broken fixtures above, with a sound font: they fail for the
    # reason they are meant to, not because of how they are built.
    path = _write(
        tmp_path,
        "plain.pdf",
        _one_page_pdf(
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"BT /F1 12 Tf 72 700 Td (Hello world, this is text) Tj ET",
        ),
    )
    with pdf_document(path, "plain.pdf") as pdf:
        page = text_layer_page(pdf, 1)
    assert page is not None
    assert page.text == "Hello world, this is text"
    first = page.lines[0].words[0].box
    assert first.left == pytest.approx(72 / 612, abs=0.002)
    assert first.top + first.height == pytest.approx((792 - 700) / 792, abs=0.01)


@pytest.mark.parametrize(
    ("text", "usable"),
    [
        ("", False),
        ("  \r\n\t ", False),
        ("Lorem ipsum dolor sit amet.", True),
        ("1.1 Topologische Räume . . . . . . . . . . . . . . . . . . . . 2", True),
        ("Ein topologischer Raum ist ein Paar (X, T) mit T ⊆ P(X)", True),
        ("حبيبي habibi", True),
        ("3", True),
        ("\ue048\ue065\ue06c\ue06c\ue06f \ue077\ue06f\ue072\ue06c\ue064", False),
        ("\x01\x04\x05 \x06\x07\x08 \x0b\x0c\x0e", False),
        ("\ufffd\ufffd\ufffd\ufffd text", False),
        ("!\"#$%&'()*+,-./:;<=>?@[]^_`{|}~", False),
        ("Plenty of ordinary words with one odd glyph \ue000 in them.", True),
    ],
)
def test_is_usable_text(text: str, usable: bool) -> None:
    assert is_usable_text(text) is usable


# -- rendering and subsets ---------------------------------------------------------------------


@pytest.mark.parametrize(("dpi", "size"), [(72, (595, 842)), (150, (1240, 1754))])
def test_render_page_at_a_resolution(corpus: Path, dpi: int, size: tuple[int, int]) -> None:
    with pdf_document(corpus / "minimal-document.pdf", "minimal.pdf") as pdf:
        image = render_page(pdf, 1, dpi)
    assert image.mode == "RGB"
    assert image.size == pytest.approx(size, abs=1)
    # White paper, black text.
    assert image.getpixel((5, 5)) == (255, 255, 255)
    assert np.asarray(image.convert("L")).min() < 50


def test_render_page_keeps_within_the_largest_side(corpus: Path) -> None:
    with pdf_document(corpus / "minimal-document.pdf", "minimal.pdf") as pdf:
        image = render_page(pdf, 1, dpi=2400, max_side=2000)
    assert 1995 <= max(image.size) <= 2000
    assert image.height / image.width == pytest.approx(841.89 / 595.276, rel=0.01)


def test_subset_pdf_keeps_the_chosen_pages_in_order(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "subset.pdf"
    with pdf_document(corpus / "pdflatex-4-pages.pdf", "four.pdf") as pdf:
        originals = {number: text_layer_page(pdf, number) for number in (1, 3)}
        subset_pdf(pdf, [3, 1], out)
    with pdf_document(out, "subset.pdf") as subset:
        assert page_count(subset) == 2
        copied = [text_layer_page(subset, 1), text_layer_page(subset, 2)]
    assert [page.text if page else None for page in copied] == [
        page.text if page else None for page in (originals[3], originals[1])
    ]


def test_subset_pdf_refuses_pages_that_do_not_exist(corpus: Path, tmp_path: Path) -> None:
    with pdf_document(corpus / "pdflatex-4-pages.pdf", "four.pdf") as pdf:
        with pytest.raises(IndexError, match=r"four\.pdf: pages \[5\] out of range"):
            subset_pdf(pdf, [1, 5], tmp_path / "subset.pdf")
        with pytest.raises(ValueError, match="no pages"):
            subset_pdf(pdf, [], tmp_path / "subset.pdf")
    assert not (tmp_path / "subset.pdf").exists()
