"""The extracted text: pages, lines and words with their boxes, whichever engine produced them."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from scriba.models.base import Model

SCHEMA_VERSION: Literal["1"] = "1"


class Box(Model):
    """An axis-aligned box as fractions of the page (0 to 1), origin top-left, like Textract."""

    left: float = Field(ge=0, le=1)
    top: float = Field(ge=0, le=1)
    width: float = Field(ge=0, le=1)
    height: float = Field(ge=0, le=1)

    @staticmethod
    def around(boxes: list[Box]) -> Box:
        if not boxes:
            return Box(left=0, top=0, width=0, height=0)
        left = min(b.left for b in boxes)
        top = min(b.top for b in boxes)
        right = max(b.left + b.width for b in boxes)
        bottom = max(b.top + b.height for b in boxes)
        return Box.clamped(left, top, right - left, bottom - top)

    @staticmethod
    def clamped(left: float, top: float, width: float, height: float) -> Box:
        """A box from possibly slightly out-of-range figures (rounding, bleed)."""
        left = min(max(left, 0.0), 1.0)
        top = min(max(top, 0.0), 1.0)
        return Box(
            left=left,
            top=top,
            width=min(max(width, 0.0), 1.0 - left),
            height=min(max(height, 0.0), 1.0 - top),
        )


class Word(Model):
    text: str
    box: Box
    confidence: float = Field(ge=0, le=100, description="0 to 100; 100 for a text layer")


class PageSource(StrEnum):
    TEXT_LAYER = "text_layer"
    OCR = "ocr"
    # The text layer, and the OCR of the pictures on the page that hold text the layer lacks.
    MIXED = "text_layer+ocr"


class Line(Model):
    text: str
    box: Box
    confidence: float = Field(ge=0, le=100)
    words: list[Word]
    source: PageSource | None = Field(
        default=None, description="How the line was read, on a mixed page (else the page's)"
    )


class Page(Model):
    number: int = Field(ge=1)
    width: float = Field(gt=0, description="Page width in `unit`")
    height: float = Field(gt=0)
    unit: Literal["pt", "px"]
    source: PageSource
    engine: str = Field(description="pdfium, tesseract, textract, ...")
    lines: list[Line] = Field(default_factory=list)
    why: str | None = Field(default=None, description="Why the page was read this way, for people")
    language: str | None = Field(default=None, description="ISO 639-1 code, detected")

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def word_count(self) -> int:
        return sum(len(line.words) for line in self.lines)

    def readable_text(self, min_confidence: float) -> str:
        """The lines read with at least ``min_confidence``: what OCR made of texture, wiring or
        a face in a photo comes out as low-confidence fragments that are not text."""
        return "\n".join(line.text for line in self.lines if line.confidence >= min_confidence)


class LanguageShare(Model):
    """One language of a document, and how much of it is in that language."""

    language: str = Field(description="ISO 639-1 code")
    pages: int = Field(ge=0, description="Pages detected in this language")
    characters: int = Field(ge=0, description="Characters on those pages")


class DocumentText(Model):
    schema_version: Literal["1"] = SCHEMA_VERSION
    document_id: str
    language: str | None = Field(
        default=None, description="ISO 639-1 code of most of the text (pages have their own)"
    )
    languages: list[LanguageShare] = Field(
        default_factory=list,
        description="Every language detected on the pages, most text first",
    )
    pages: list[Page]

    @property
    def plain_text(self) -> str:
        """Pages separated by a form feed, as pdftotext does."""
        return "\f".join(page.text for page in self.pages)

    @property
    def word_count(self) -> int:
        return sum(page.word_count for page in self.pages)

    def readable_text(self, min_confidence: float) -> str:
        """``plain_text`` without the lines read with less than ``min_confidence``."""
        return "\f".join(page.readable_text(min_confidence) for page in self.pages)
