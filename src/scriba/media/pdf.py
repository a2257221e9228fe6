"""PDF handling with pypdfium2: opening, text layers, rendering and page subsets.

Used by both executors (it ships in the extract Lambda), so it imports nothing heavier than
pypdfium2 and Pillow.

Page ``number`` arguments are 1-based, like ``scriba.models.text.Page.number``.

The text layer is read with pdfium's bulk calls: the page's text once, then one loose character
box for the first and for the last character of each word (a word's characters sit on one
baseline, so the two boxes span it). That is two native calls per word instead of one per
character. Lines follow pdfium's own line breaks (``\\r\\n``, and its end-of-line hyphen marker),
checked against the geometry; reading order is the content-stream order, which is the author's
order for the producers we see (LaTeX, office suites, browsers) and keeps columns apart.
"""

from __future__ import annotations

import ctypes
import math
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from scriba.errors import (
    CorruptDocument,
    DecompressionBomb,
    EmptyDocument,
    EncryptedDocument,
    NoPages,
)
from scriba.models.text import Box, Page, PageSource

if TYPE_CHECKING:
    from PIL import Image

ENGINE = "pdfium"
POINTS_PER_INCH = 72.0

# pdfium's text marks a hyphen that it found at the end of a line with U+FFFE (and emits no line
# break after it); the character itself is the hyphen glyph.
_PDFIUM_HYPHEN = "\ufffe"
_PDFIUM_HYPHEN_CODE = 0x2  # what FPDFText_GetUnicode reports for that character
_WORD = re.compile(r"[^\s\ufffe]+\ufffe?|\ufffe")
# Characters that carry no text: controls other than whitespace, unmapped glyphs (U+FFFD, or
# code 0 from pdfium), private-use code points (symbol fonts, broken encodings), noncharacters.
_JUNK_CLASS = (
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd\ufffe\uffff"
    "\ue000-\uf8ff\U000f0000-\U0010ffff\ud800-\udfff"
)
_JUNK = re.compile(f"[{_JUNK_CLASS}]")
_ALPHANUMERIC = re.compile(r"[^\W_]")
_SPACE = re.compile(r"\s+")

# is_usable_text thresholds, on the characters that are not whitespace.
_MAX_JUNK_SHARE = 0.1  # more unmapped/private/control characters than this: broken encoding
_MIN_ALPHANUMERIC_SHARE = 0.3  # less than this: symbol soup (a table of contents is ~40 %)
# UTF-8 read as Latin-1 or Windows-1252 turns accented letters into these (Ã©, â€™, Â, Ð...).
_MOJIBAKE_HINT = re.compile("[\u00c2\u00c3\u00c5\u00d0\u00d1\u00e2\u20ac\u2122]")
# ftfy's badness counts suspicious sequences; a page of real accented text scores 0.
_MAX_BADNESS_PER_CHAR = 0.005

# A picture that may hold text the text layer lacks: at least this share of the page, this tall.
_MIN_PICTURE_AREA = 0.02
_MIN_PICTURE_HEIGHT = 0.02
# Text-layer words over a picture, per page-area of picture, from which the text layer is taken
# to cover it: a searchable scan has hundreds (its invisible OCR layer), a chart a few labels,
# a picture of a paragraph none.
_WORDS_OVER_COVERED_PICTURE = 40

# Line grouping: share of the smaller box height two words must share to sit on one line.
_SAME_LINE_OVERLAP = 0.5


class NamedPdfDocument(pdfium.PdfDocument):  # type: ignore[misc]
    """A pdfium document that knows the name of the document it came from, for error messages."""

    def __init__(self, path: Path, name: str) -> None:
        super().__init__(path)
        self.name = name
        # Renderings then show form fields and their values (needs to precede loading pages).
        self.init_forms()


def _name_of(pdf: pdfium.PdfDocument) -> str:
    name = getattr(pdf, "name", None)
    return name if isinstance(name, str) else "PDF"


def open_pdf(path: Path, name: str) -> pdfium.PdfDocument:
    """Opens the PDF at ``path``; ``name`` (the document's key or file name) goes in errors.

    Raises ``EmptyDocument`` for a zero-byte file, ``EncryptedDocument`` for a password-protected
    one, ``CorruptDocument`` for one pdfium cannot parse and ``NoPages`` for one without pages.
    """
    with path.open("rb") as stream:  # a missing or unreadable file fails here, as itself
        if not stream.read(1):
            raise EmptyDocument("the file is empty (0 bytes)", document=name)
    # pdfium refuses a document without pages but sets no error code for it, leaving the last
    # one in place: set a known code first (opening no file is a file error) so that an
    # unreported refusal shows.
    pdfium_c.FPDF_LoadDocument(b"", None)
    try:
        pdf = NamedPdfDocument(path, name)
    except pdfium.PdfiumError as error:
        code = getattr(error, "err_code", None)
        if code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            raise EncryptedDocument(
                "the PDF is password-protected or encrypted; remove the protection and upload "
                "it again",
                document=name,
            ) from error
        if code in (pdfium_c.FPDF_ERR_FILE, pdfium_c.FPDF_ERR_SUCCESS):
            raise NoPages("the PDF has no pages (its page tree is empty)", document=name) from (
                error
            )
        raise CorruptDocument(
            f"the file is not a readable PDF (truncated or damaged): {error}", document=name
        ) from error
    if len(pdf) == 0:
        pdf.close()
        raise NoPages("the PDF has no pages", document=name)
    return pdf


@contextmanager
def pdf_document(path: Path, name: str) -> Iterator[pdfium.PdfDocument]:
    """``open_pdf`` as a context manager that closes the document."""
    pdf = open_pdf(path, name)
    try:
        yield pdf
    finally:
        pdf.close()


def page_count(pdf: pdfium.PdfDocument) -> int:
    return len(pdf)


def page_size(pdf: pdfium.PdfDocument, number: int) -> tuple[float, float]:
    """Width and height of page ``number`` (1-based) in points, as ``text_layer_page`` gives
    them for a page with a text layer."""
    page = _load_page(pdf, number)
    try:
        width, height = page.get_size()
    finally:
        page.close()
    return float(width), float(height)


def check_picture_sizes(pdf: pdfium.PdfDocument, number: int, max_pixels: int) -> None:
    """Raises ``DecompressionBomb`` when a picture on page ``number`` (1-based; forms included)
    has more than ``max_pixels`` pixels. Rendering the page decodes every pixel of it, whatever
    the resolution of the rendering: a few KB of compressed zeros can hold billions. Only the
    image dictionaries are read here, nothing is decoded."""
    page = _load_page(pdf, number)
    try:
        for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=15):
            try:
                width, height = obj.get_px_size()
            except pdfium.PdfiumError:
                continue  # pdfium cannot size it, and will not draw it either
            if width * height > max_pixels:
                raise DecompressionBomb(
                    f"page {number} has a picture of {width:,} x {height:,} px, over the limit of "
                    f"{max_pixels:,} pixels (decompression bomb guard)",
                    document=_name_of(pdf),
                )
    finally:
        page.close()


def _load_page(pdf: pdfium.PdfDocument, number: int) -> pdfium.PdfPage:
    count = len(pdf)
    if not 1 <= number <= count:
        raise IndexError(f"{_name_of(pdf)}: page {number} out of range 1..{count}")
    try:
        return pdf[number - 1]
    except pdfium.PdfiumError as error:
        raise CorruptDocument(
            f"page {number} cannot be read: {error}", document=_name_of(pdf)
        ) from error


def is_usable_text(text: str) -> bool:
    """Whether extracted text reads as text rather than the output of a broken font encoding
    (see ``unusable_text``)."""
    return unusable_text(text) is None


def unusable_text(text: str) -> str | None:
    """Why extracted text is not text, or None when it reads as text.

    Empty or whitespace-only text is not; nor is text where more than a tenth of the characters
    are unmapped glyphs, private-use or control characters, or where fewer than 30 % are letters
    or digits (what identity-encoded fonts without a Unicode map produce), or mojibake: text
    decoded with the wrong encoding ("crÃ©Ã©" for "créé"), as ftfy's badness measure finds it.
    """
    visible = len(text) - sum(len(run) for run in _SPACE.findall(text))
    if visible == 0:
        return "no text layer"
    junk = len(_JUNK.findall(text))
    if junk > _MAX_JUNK_SHARE * visible:
        return (
            f"the text layer is not text: {junk / visible:.0%} of its characters are unmapped "
            "glyphs, private-use or control characters"
        )
    alphanumeric = len(_ALPHANUMERIC.findall(text))
    if alphanumeric < _MIN_ALPHANUMERIC_SHARE * visible:
        return (
            f"the text layer is not text: only {alphanumeric / visible:.0%} of its characters "
            "are letters or digits"
        )
    # The characters mojibake is made of: measure only text that has them (ftfy costs ~1 ms a
    # page, the whole text layer about 5).
    if _MOJIBAKE_HINT.search(text) and _badness(text) > _MAX_BADNESS_PER_CHAR * visible:
        return "the text layer is mojibake (text decoded with the wrong encoding)"
    return None


def _badness(text: str) -> int:
    from ftfy.badness import badness  # noqa: PLC0415  (only for text that looks like mojibake)

    return int(badness(text))


def _page_text(textpage: pdfium.PdfTextPage, count: int) -> str:
    """The page's text with one character per pdfium character index.

    pdfium's bulk text is index-aligned with its character list on almost every page. When it is
    not (it leaves out unmapped glyphs, and writes characters beyond the BMP as two UTF-16 units),
    the text is rebuilt character by character, unmapped glyphs becoming U+FFFD.
    """
    text: str = textpage.get_text_range()
    if len(text) == count and (
        count == 0
        or pdfium_c.FPDFText_GetTextIndexFromCharIndex(textpage.raw, count - 1) == count - 1
    ):
        return text
    get_unicode = pdfium_c.FPDFText_GetUnicode
    raw = textpage.raw
    chars = []
    for index in range(count):
        code = get_unicode(raw, index)
        if code == _PDFIUM_HYPHEN_CODE and pdfium_c.FPDFText_IsHyphen(raw, index):
            chars.append(_PDFIUM_HYPHEN)
        elif code == 0 or code > 0x10FFFF:
            chars.append("\ufffd")
        else:
            chars.append(chr(code))
    return "".join(chars)


@dataclass(frozen=True)
class TextLayer:
    """What the text layer of a page gives: its lines and words (None when the page must be
    OCR'd whole), why, and the pictures on the page that no text-layer text covers (boxes in
    fractions of the displayed page: they may hold text only OCR can read)."""

    page: Page | None
    why: str
    pictures: tuple[Box, ...] = ()


def text_layer_page(pdf: pdfium.PdfDocument, number: int) -> Page | None:
    """The text layer of page ``number`` (1-based) as lines and words, or None when the page has
    no usable text layer (none, whitespace only, or garbage) and needs OCR."""
    return read_text_layer(pdf, number).page


def read_text_layer(
    pdf: pdfium.PdfDocument,
    number: int,
    *,
    visit: Callable[[pdfium.PdfPage], object] | None = None,
) -> TextLayer:
    """The text layer of page ``number`` (1-based), why it is or is not used, and the pictures
    no text-layer text covers. ``visit`` is called with the loaded page when its text layer is
    used (to read more of it without loading it again: the rules of its tables)."""
    page = _load_page(pdf, number)
    try:
        rotation = page.get_rotation()
        area = page.get_bbox()
        textpage, text_turn = _upright_textpage(pdf, page, number, rotation)
        try:
            count = textpage.count_chars()
            text = _page_text(textpage, count) if count > 0 else ""
            unusable = unusable_text(text.replace(_PDFIUM_HYPHEN, "-"))
            raw_lines = [] if unusable else _raw_lines(textpage, text, area, text_turn)
        finally:
            textpage.close()
        if unusable or not raw_lines:
            return TextLayer(page=None, why=unusable or "no text layer")
        width, height = page.get_size()
        to_fractions = _fractions_of_display(area, rotation)
        pictures = _uncovered_pictures(page, raw_lines, to_fractions)
        if visit is not None:
            visit(page)
    finally:
        page.close()
    read = Page.model_validate(
        {
            "number": number,
            "width": width,
            "height": height,
            "unit": "pt",
            "source": PageSource.TEXT_LAYER,
            "engine": ENGINE,
            "lines": [_line(raw_line, to_fractions) for raw_line in raw_lines],
        }
    )
    if not pictures:
        return TextLayer(page=read, why="the text layer")
    share = sum(box.width * box.height for box in pictures)
    why = (
        f"the text layer, and OCR of {len(pictures)} picture(s) covering {share:.0%} of the page "
        "that the text layer has no text over (pictures of text)"
    )
    return TextLayer(page=read, why=why, pictures=tuple(pictures))


def _picture_bounds(page: pdfium.PdfPage) -> Iterator[_Box]:
    """The bounds (left, bottom, right, top, PDF points) of each picture drawn on the page: an
    image object, or a form XObject that holds one (its bounds: the page's frame)."""
    raw = page.raw
    get_object, get_type = pdfium_c.FPDFPage_GetObject, pdfium_c.FPDFPageObj_GetType
    image, form = pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_FORM
    left, bottom = ctypes.c_float(), ctypes.c_float()
    right, top = ctypes.c_float(), ctypes.c_float()
    bounds = (ctypes.byref(left), ctypes.byref(bottom), ctypes.byref(right), ctypes.byref(top))
    for index in range(pdfium_c.FPDFPage_CountObjects(raw)):
        obj = get_object(raw, index)
        kind = get_type(obj)
        if (kind == image or (kind == form and _form_has_image(obj))) and (
            pdfium_c.FPDFPageObj_GetBounds(obj, *bounds)
        ):
            yield left.value, bottom.value, right.value, top.value


def _form_has_image(form: object, depth: int = 0) -> bool:
    """Whether a form XObject draws an image, in it or in a form inside it (15 levels deep)."""
    for index in range(pdfium_c.FPDFFormObj_CountObjects(form)):
        obj = pdfium_c.FPDFFormObj_GetObject(form, index)
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            return True
        if kind == pdfium_c.FPDF_PAGEOBJ_FORM and depth < 15 and _form_has_image(obj, depth + 1):
            return True
    return False


def _uncovered_pictures(
    page: pdfium.PdfPage, raw_lines: list[list[_RawWord]], to_fractions: _ToFractions
) -> list[Box]:
    """The pictures big enough to hold text that the text layer has (almost) no words over."""
    found: list[Box] = []
    centres: list[tuple[float, float]] | None = None
    for left, bottom, right, top in _picture_bounds(page):
        box = Box.model_validate(to_fractions(left, bottom, right, top))
        if box.width * box.height < _MIN_PICTURE_AREA or box.height < _MIN_PICTURE_HEIGHT:
            continue
        if centres is None:  # the words' centres, once a picture is worth asking about
            centres = [((w[1] + w[3]) / 2, (w[2] + w[4]) / 2) for line in raw_lines for w in line]
        over = sum(1 for x, y in centres if left <= x <= right and bottom <= y <= top)
        if over < _WORDS_OVER_COVERED_PICTURE * box.width * box.height:
            found.append(box)
    return found


def _upright_textpage(
    pdf: pdfium.PdfDocument, page: pdfium.PdfPage, number: int, rotation: int
) -> tuple[pdfium.PdfTextPage, int]:
    """pdfium's text page, built in the frame where most of the text stands upright, and the
    text's angle on the unrotated page (clockwise degrees, a multiple of 90).

    pdfium orders lines well only for text that is upright in the frame it works in, which is
    the page as displayed: text turned on a rotated page (a /Rotate 90 page of upright text)
    comes out with its lines in reverse order. So the text page is built with the page turned
    for the text, then the page's own rotation is put back.
    """
    try:
        textpage = page.get_textpage()
        text_turn = _text_turn(textpage)
        upright = (-text_turn) % 360
        if upright != rotation:
            textpage.close()
            page.set_rotation(upright)
            try:
                textpage = page.get_textpage()
            finally:
                page.set_rotation(rotation)
    except pdfium.PdfiumError as error:
        raise CorruptDocument(
            f"the text of page {number} cannot be read: {error}", document=_name_of(pdf)
        ) from error
    return textpage, text_turn


def _text_turn(textpage: pdfium.PdfTextPage, samples: int = 15) -> int:
    """The most common angle of the characters on the unrotated page, to a quarter turn
    (clockwise degrees; pdfium measures it so), from a sample spread over the page."""
    count = textpage.count_chars()
    if count <= 0:
        return 0
    char_angle = pdfium_c.FPDFText_GetCharAngle
    raw = textpage.raw
    votes: dict[int, int] = {}
    for index in range(0, count, max(count // samples, 1)):
        radians = char_angle(raw, index)
        if radians < 0:  # no angle for this character (generated, or an error)
            continue
        quarter = round(math.degrees(radians) / 90) % 4 * 90
        votes[quarter] = votes.get(quarter, 0) + 1
    return max(votes, key=lambda quarter: votes[quarter]) if votes else 0


# A word while lines are assembled: its text, then its box in PDF points (left, bottom, right,
# top; origin bottom-left of the unrotated page).
_RawWord = tuple[str, float, float, float, float]
# A box alone, in the same order: left, bottom, right, top.
_Box = tuple[float, float, float, float]
# Maps such a box to page fractions of the displayed page: left, top, width, height.
_ToFractions = Callable[[float, float, float, float], dict[str, float]]


def _upright_from_turned_up(left: float, bottom: float, right: float, top: float) -> _Box:
    """The box of a word of text that runs upwards (turned 270°), in the frame where it is
    upright (PDF axes: x right, y up)."""
    return bottom, -right, top, -left


def _upright_from_turned_down(left: float, bottom: float, right: float, top: float) -> _Box:
    """The box of a word of text that runs downwards (turned 90°), in its upright frame."""
    return -top, left, -bottom, right


def _upright_from_upside_down(left: float, bottom: float, right: float, top: float) -> _Box:
    """The box of a word of upside-down text (turned 180°), in its upright frame."""
    return -right, -top, -left, -bottom


# The text's angle on the page (``_text_turn``) -> the map of its boxes into its upright frame.
_TO_UPRIGHT: dict[int, Callable[[float, float, float, float], _Box]] = {
    270: _upright_from_turned_up,
    90: _upright_from_turned_down,
    180: _upright_from_upside_down,
}


def _raw_lines(
    textpage: pdfium.PdfTextPage,
    text: str,
    area: tuple[float, float, float, float],
    text_turn: int = 0,
) -> list[list[_RawWord]]:
    """Words with their boxes, grouped into lines, in pdfium's (content-stream) order. Words
    wholly outside ``area`` (the displayed part of the page, in PDF points) are left out.
    ``text_turn`` is the angle of the text on the page (``_text_turn``): lines are checked in
    the frame where the text is upright.

    This loop runs once per word of every born-digital page: it is written for speed (no min/max
    builtins, and no helper calls on the common path: the line test beyond the shared band runs
    about once a line, the turn into the upright frame only for turned text).
    """
    rect = pdfium_c.FS_RECTF()
    rect_ref = ctypes.byref(rect)
    loose_box = pdfium_c.FPDFText_GetLooseCharBox
    raw = textpage.raw
    has_junk = _JUNK.search(text.replace(_PDFIUM_HYPHEN, "")) is not None
    area_left, area_bottom, area_right, area_top = area
    # Any other turn than a quarter or a half (which _text_turn does not give) counts as a half.
    to_upright = _TO_UPRIGHT.get(text_turn, _upright_from_upside_down) if text_turn else None

    lines: list[list[_RawWord]] = []
    current: list[_RawWord] = []
    next_break = text.find("\n")  # pdfium ends lines with "\r\n"
    # The previous word's box, and whether it ended in pdfium's hyphen (then no line break
    # follows it in the text, yet it ends a line).
    p_left, p_bottom, p_right, p_top, after_hyphen = 0.0, 0.0, 0.0, 0.0, False
    for match in _WORD.finditer(text):
        start, end = match.span()
        word = match.group()
        hyphenated = word[-1] == _PDFIUM_HYPHEN
        if hyphenated:
            word = word[:-1] + "-"
        if has_junk and not (word := _JUNK.sub("", word)):
            continue  # nothing but junk: no text to show for it
        # Loose boxes span the font's ascent to descent: words on a line share their height.
        loose_box(raw, start, rect_ref)
        left, bottom, right, top = rect.left, rect.bottom, rect.right, rect.top
        if end - start > 1:
            loose_box(raw, end - 1, rect_ref)
            last_left, last_bottom, last_right, last_top = (
                rect.left,
                rect.bottom,
                rect.right,
                rect.top,
            )
            left = last_left if last_left < left else left
            bottom = last_bottom if last_bottom < bottom else bottom
            right = last_right if last_right > right else right
            top = last_top if last_top > top else top
        if right <= area_left or left >= area_right or top <= area_bottom or bottom >= area_top:
            continue
        word_box = (word, left, bottom, right, top)
        if to_upright is not None:
            left, bottom, right, top = to_upright(left, bottom, right, top)
        pdfium_break = after_hyphen
        if 0 <= next_break < start:
            pdfium_break = True
            next_break = text.find("\n", start)
        if current:
            # How much the two boxes share vertically, as a share of the smaller height.
            shared = (top if top < p_top else p_top) - (bottom if bottom > p_bottom else p_bottom)
            smaller = (top - bottom) if top - bottom < p_top - p_bottom else (p_top - p_bottom)
            same_band = smaller > 0 and shared >= _SAME_LINE_OVERLAP * smaller
            # The common case, no break from pdfium and the same band, goes on without a call.
            if (pdfium_break or not same_band) and _starts_line(
                (left, bottom, right, top),
                (p_left, p_bottom, p_right, p_top),
                same_band,
                pdfium_break,
            ):
                lines.append(current)
                current = []
        current.append(word_box)
        p_left, p_bottom, p_right, p_top = left, bottom, right, top
        after_hyphen = hyphenated
    if current:
        lines.append(current)
    return lines


def _starts_line(box: _Box, previous: _Box, same_band: bool, pdfium_break: bool) -> bool:
    """Whether a word starts a new line, when pdfium breaks the line before it or it is off the
    band of the previous word (``same_band``). Boxes are in the frame where the text is upright.
    """
    left, bottom, right, top = box
    p_left, p_bottom, p_right, p_top = previous
    if pdfium_break:
        # pdfium also breaks after a superscript or subscript: keep words that go on along the
        # same band, right after the previous one, on one line.
        gap = left - p_right
        taller = (top - bottom) if top - bottom > p_top - p_bottom else p_top - p_bottom
        return not (same_band and 0 <= gap <= taller)
    # No break from pdfium, yet the word is off the band: a new line, unless the words are
    # stacked as in a few turned words (a stamp up the margin).
    shared_x = (right if right < p_right else p_right) - (left if left > p_left else p_left)
    narrower = (right - left) if right - left < p_right - p_left else p_right - p_left
    return not (narrower > 0 and shared_x >= _SAME_LINE_OVERLAP * narrower)


def _line(words: list[_RawWord], to_fractions: _ToFractions) -> dict[str, object]:
    left = min(w[1] for w in words)
    bottom = min(w[2] for w in words)
    right = max(w[3] for w in words)
    top = max(w[4] for w in words)
    return {
        "text": " ".join(w[0] for w in words),
        "box": to_fractions(left, bottom, right, top),
        "confidence": 100.0,
        "words": [
            {"text": w[0], "box": to_fractions(w[1], w[2], w[3], w[4]), "confidence": 100.0}
            for w in words
        ],
    }


def _fractions_of_display(area: tuple[float, float, float, float], rotation: int) -> _ToFractions:
    """Maps boxes in PDF points (origin bottom-left, unrotated) to fractions of the page as
    displayed: ``area`` (the crop box), turned by ``rotation`` (/Rotate, clockwise), origin
    top-left."""
    area_left, area_bottom, area_right, area_top = area
    span_x = (area_right - area_left) or 1.0
    span_y = (area_top - area_bottom) or 1.0

    def to_fractions(left: float, bottom: float, right: float, top: float) -> dict[str, float]:
        # Unrotated, origin top-left: x grows to the right, y downwards.
        x0 = (left - area_left) / span_x
        x1 = (right - area_left) / span_x
        y0 = (area_top - top) / span_y
        y1 = (area_top - bottom) / span_y
        if rotation == 90:
            x0, x1, y0, y1 = 1.0 - y1, 1.0 - y0, x0, x1
        elif rotation == 180:
            x0, x1, y0, y1 = 1.0 - x1, 1.0 - x0, 1.0 - y1, 1.0 - y0
        elif rotation == 270:
            x0, x1, y0, y1 = y0, y1, 1.0 - x1, 1.0 - x0
        # Clamp to the page: glyphs may bleed past the crop box.
        x0 = 0.0 if x0 < 0.0 else 1.0 if x0 > 1.0 else x0
        y0 = 0.0 if y0 < 0.0 else 1.0 if y0 > 1.0 else y0
        x1 = x0 if x1 < x0 else 1.0 if x1 > 1.0 else x1
        y1 = y0 if y1 < y0 else 1.0 if y1 > 1.0 else y1
        return {"left": x0, "top": y0, "width": x1 - x0, "height": y1 - y0}

    return to_fractions


def render_page(
    pdf: pdfium.PdfDocument, number: int, dpi: float, max_side: int = 10000
) -> Image.Image:
    """Page ``number`` (1-based) as an RGB image at ``dpi``, scaled down so that neither side
    exceeds ``max_side`` pixels (Textract and Rekognition refuse more than 10,000)."""
    if dpi <= 0:
        raise ValueError(f"dpi must be positive, got {dpi}")
    page = _load_page(pdf, number)
    try:
        width, height = page.get_size()
        scale = dpi / POINTS_PER_INCH
        longest = max(width, height)
        if longest * scale > max_side:
            # pdfium rounds the bitmap size: stay a hair below the limit.
            scale = (max_side - 0.5) / longest
        try:
            bitmap = page.render(scale=scale, rev_byteorder=True, may_draw_forms=True)
        except pdfium.PdfiumError as error:
            raise CorruptDocument(
                f"page {number} cannot be rendered: {error}", document=_name_of(pdf)
            ) from error
        image: Image.Image = bitmap.to_pil()
        bitmap.close()
    finally:
        page.close()
    return image if image.mode in ("RGB", "L") else image.convert("RGB")


def subset_pdf(pdf: pdfium.PdfDocument, pages: Sequence[int], out: Path) -> None:
    """Writes to ``out`` a PDF of the given pages (1-based, in the order given)."""
    if not pages:
        raise ValueError("no pages to write")
    count = len(pdf)
    outside = [n for n in pages if not 1 <= n <= count]
    if outside:
        raise IndexError(f"{_name_of(pdf)}: pages {outside} out of range 1..{count}")
    subset = pdfium.PdfDocument.new()
    try:
        try:
            subset.import_pages(pdf, [n - 1 for n in pages])
        except pdfium.PdfiumError as error:
            raise CorruptDocument(
                f"pages {list(pages)} cannot be copied: {error}", document=_name_of(pdf)
            ) from error
        with out.open("wb") as stream:
            subset.save(stream)
    finally:
        subset.close()
