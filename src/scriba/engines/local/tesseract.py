"""Offline OCR with Tesseract 5 through tesserocr, on Debian's tessdata models.

One ``PyTessBaseAPI`` per language set stays loaded for the life of the process (loading a model
costs more than a page). Tesseract runs single-threaded (``OMP_THREAD_LIMIT=1``): pages are
spread over processes instead, which scales better than OpenMP inside one page.

Languages: ISO 639-1 hints map to tessdata model names (``de`` → ``deu``). Without hints a page
is read with the English model, the language of the result is detected with lingua among the
installed models, and a page in another language is read again with its own model (accents and
umlauts need it).

Orientation: with ``osd.traineddata`` installed (Debian's ``tesseract-ocr-osd``, a dependency of
``tesseract-ocr``) Tesseract detects pages turned by 90, 180 or 270 degrees itself
(``PSM.AUTO_OSD``). Without it, a page read with very low confidence is tried turned by each
quarter turn and the most confident reading kept. Small skew is handled by Tesseract's layout
analysis either way. Boxes are always relative to the image as given.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # before tesserocr loads libtesseract

import pycountry
import tesserocr
from lingua import Language, LanguageDetectorBuilder
from PIL import Image

from scriba.cost.units import Billed, textract_pages
from scriba.engines.ports import OcrPage
from scriba.errors import EngineFailed
from scriba.models.text import Box, Line, Page, PageSource, Word

if TYPE_CHECKING:
    from lingua import LanguageDetector

    from scriba.config import Settings
    from scriba.engines.ports import PageImage

logger = logging.getLogger(__name__)

ENGINE = "tesseract"
DEBIAN_TESSDATA = Path("/usr/share/tesseract-ocr/5/tessdata")
DEFAULT_MODEL = "eng"
ORIENTATION_MODEL = "osd"

# Tesseract names most models by ISO 639-3; these are the exceptions.
_TESSDATA_NAMES = {"zh": "chi_sim", "nb": "nor", "nn": "nor", "ku": "kmr"}

# Below this mean word confidence a reading without orientation detection is retried turned.
_LOW_CONFIDENCE = 40.0
# Fewer letters than this say too little about the language to re-read a page for it.
_MIN_LETTERS_FOR_DETECTION = 20
_MIN_RELATIVE_DISTANCE = 0.1


def tessdata_dir() -> Path:
    """Where the models are: ``$TESSDATA_PREFIX`` (the tessdata folder itself, or its parent as
    Tesseract 3 had it) or Debian's folder."""
    prefix = os.environ.get("TESSDATA_PREFIX")
    if prefix:
        folder = Path(prefix)
        if not any(folder.glob("*.traineddata")) and (folder / "tessdata").is_dir():
            folder = folder / "tessdata"
        return folder
    return DEBIAN_TESSDATA


def installed_models(tessdata: Path) -> frozenset[str]:
    """The model names (``eng``, ``deu``, ``osd``…) with a ``.traineddata`` file in ``tessdata``."""
    return frozenset(path.stem for path in tessdata.glob("*.traineddata"))


def tessdata_name(language: str) -> str:
    """The tessdata model name for an ISO 639-1 code (``fr`` → ``fra``); model names pass."""
    code = language.strip().lower()
    if code in _TESSDATA_NAMES:
        return _TESSDATA_NAMES[code]
    if len(code) == 2:
        found = pycountry.languages.get(alpha_2=code)
        alpha_3 = getattr(found, "alpha_3", None) if found is not None else None
        if isinstance(alpha_3, str):
            return alpha_3
    return code


@dataclass
class _Reading:
    """What one Tesseract pass made of an image."""

    lines: list[Line]
    mean_confidence: float

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


class _WarmApi:
    """A loaded Tesseract model set, used by one thread at a time."""

    def __init__(self, tessdata: Path, models: str, detect_orientation: bool) -> None:
        psm = tesserocr.PSM.AUTO_OSD if detect_orientation else tesserocr.PSM.AUTO
        try:
            self.api = tesserocr.PyTessBaseAPI(path=f"{tessdata}/", lang=models, psm=psm)
        except RuntimeError as error:
            raise EngineFailed(
                f"Tesseract could not load the models {models!r} from {tessdata}: {error}"
            ) from error
        self.lock = threading.Lock()


_apis: dict[tuple[Path, str, bool], _WarmApi] = {}
_apis_lock = threading.Lock()


@contextmanager
def _api(tessdata: Path, models: str, detect_orientation: bool) -> Iterator[Any]:
    key = (tessdata, models, detect_orientation)
    with _apis_lock:
        warm = _apis.get(key)
        if warm is None:
            warm = _apis[key] = _WarmApi(tessdata, models, detect_orientation)
    with warm.lock:
        yield warm.api


@cache
def _detector(models: frozenset[str]) -> LanguageDetector | None:
    """A lingua detector restricted to the languages that have an OCR model here."""
    languages = [
        language
        for language in Language.all()
        if tessdata_name(language.iso_code_639_1.name.lower()) in models
    ]
    if len(languages) < 2:
        return None
    # A minimum distance between the two likeliest languages: unsure stays unsure (None).
    return (
        LanguageDetectorBuilder.from_languages(*languages)
        .with_minimum_relative_distance(_MIN_RELATIVE_DISTANCE)
        .build()
    )


def _rgb_or_gray(image: Image.Image) -> Image.Image:
    """The image in a mode Tesseract reads well: transparency flattened onto white, 16-bit and
    CMYK converted."""
    if image.mode in ("1", "L", "RGB"):
        return image
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # Scale to 8 bits instead of clipping (a plain convert would turn most pixels white).
        extremes = image.getextrema()
        high = float(extremes[1]) if isinstance(extremes[1], int | float) else 255.0
        factor = 255.0 / high if high > 255 else 1.0
        return image.convert("F").point(lambda value: value * factor).convert("L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, "white")
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    return image.convert("RGB")


_QUARTER_TURNS = {
    90: Image.Transpose.ROTATE_90,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_270,
}


def _unturn(box: tuple[float, float, float, float], degrees: int) -> tuple[float, ...]:
    """A box (left, top, right, bottom as fractions) found in the image turned counter-clockwise
    by ``degrees``, mapped back to the image as given."""
    left, top, right, bottom = box
    if degrees == 90:
        return 1.0 - bottom, left, 1.0 - top, right
    if degrees == 180:
        return 1.0 - right, 1.0 - bottom, 1.0 - left, 1.0 - top
    if degrees == 270:
        return top, 1.0 - right, bottom, 1.0 - left
    return box


class TesseractOcr:
    """The ``OcrEngine`` port on Tesseract."""

    name = ENGINE

    def __init__(self, settings: Settings, tessdata: Path | None = None) -> None:
        self.settings = settings
        self.tessdata = tessdata or tessdata_dir()
        self.models = installed_models(self.tessdata)
        self.detects_orientation = ORIENTATION_MODEL in self.models
        if not self.detects_orientation:
            logger.warning(
                "no %s.traineddata in %s: turned pages are found by retrying low-confidence "
                "pages turned (install tesseract-ocr-osd for Tesseract's own detection)",
                ORIENTATION_MODEL,
                self.tessdata,
            )

    def billed(self, pages: int) -> Billed:
        """What Textract would bill to read the same pages with the same settings."""
        return textract_pages(self.settings.textract_features, pages)

    def recognize(self, page: PageImage, languages: Sequence[str]) -> OcrPage:
        image = _rgb_or_gray(page.image)
        dpi = page.dpi
        if languages:
            reading = self._read(image, dpi, self._models_for(languages))
        else:
            reading = self._read(image, dpi, self._models_for([DEFAULT_MODEL]))
            detected = self._detect(reading.text)
            if detected is not None and detected != DEFAULT_MODEL:
                reading = self._read(image, dpi, detected)
        read = Page(
            number=page.number,
            width=image.width,
            height=image.height,
            unit="px",
            source=PageSource.OCR,
            engine=ENGINE,
            lines=reading.lines,
        )
        return OcrPage(page=read)  # Tesseract finds no tables

    def _models_for(self, languages: Sequence[str]) -> str:
        """The ``+``-joined model names for the hints that have a model installed."""
        wanted = list(dict.fromkeys(tessdata_name(language) for language in languages))
        present = [model for model in wanted if model in self.models]
        missing = [model for model in wanted if model not in self.models]
        installed = ", ".join(sorted(self.models - {ORIENTATION_MODEL})) or "none"
        if not present:
            files = ", ".join(f"{model}.traineddata" for model in missing)
            raise EngineFailed(
                f"no Tesseract model for {', '.join(languages)} ({files}) in {self.tessdata}; "
                f"installed: {installed}. Install the matching tesseract-ocr-<model> package."
            )
        if missing:
            logger.warning("no Tesseract model for %s in %s", ", ".join(missing), self.tessdata)
        return "+".join(present)

    def _detect(self, text: str) -> str | None:
        """The installed model for the language of ``text``, when lingua is sure enough."""
        if sum(character.isalpha() for character in text) < _MIN_LETTERS_FOR_DETECTION:
            return None
        detector = _detector(self.models)
        if detector is None:
            return None
        language = detector.detect_language_of(text)
        if language is None:
            return None
        return tessdata_name(language.iso_code_639_1.name.lower())

    def _read(self, image: Image.Image, dpi: float, models: str) -> _Reading:
        reading = self._read_as_is(image, dpi, models)
        if (
            self.detects_orientation
            or not reading.lines
            or reading.mean_confidence >= _LOW_CONFIDENCE
        ):
            return reading
        # No orientation model: a page turned on its side reads as low-confidence noise.
        best, best_turn = reading, 0
        for degrees, transpose in _QUARTER_TURNS.items():
            turned = self._read_as_is(image.transpose(transpose), dpi, models)
            if turned.mean_confidence > best.mean_confidence:
                best, best_turn = turned, degrees
        return _unturned(best, best_turn) if best_turn else best

    def _read_as_is(self, image: Image.Image, dpi: float, models: str) -> _Reading:
        with _api(self.tessdata, models, self.detects_orientation) as api:
            try:
                api.SetImage(image)
                if dpi > 0:
                    api.SetSourceResolution(round(dpi))
                api.Recognize()
                return _reading(api, image.width, image.height)
            except RuntimeError as error:
                raise EngineFailed(f"Tesseract failed on the image: {error}") from error
            finally:
                api.Clear()


def _reading(api: Any, width: int, height: int) -> _Reading:
    """Lines and words from the API's last recognition; boxes as fractions of the image."""
    word_level = tesserocr.RIL.WORD
    line_level = tesserocr.RIL.TEXTLINE
    lines: list[Line] = []
    words: list[Word] = []
    line_box: tuple[int, int, int, int] | None = None
    line_confidence = 0.0

    def close_line() -> None:
        if words and line_box is not None:
            lines.append(
                Line(
                    text=" ".join(word.text for word in words),
                    box=_fractions(line_box, width, height),
                    confidence=_confidence(line_confidence),
                    words=list(words),
                )
            )
        words.clear()

    iterator = api.GetIterator()
    if iterator is None:
        return _Reading(lines=[], mean_confidence=0.0)
    for item in tesserocr.iterate_level(iterator, word_level):
        if item.Empty(word_level):
            continue
        if item.IsAtBeginningOf(line_level):
            close_line()
            line_box = item.BoundingBox(line_level)
            line_confidence = item.Confidence(line_level)
        text = (item.GetUTF8Text(word_level) or "").strip()
        box = item.BoundingBox(word_level)
        if not text or box is None:
            continue
        words.append(
            Word(
                text=text,
                box=_fractions(box, width, height),
                confidence=_confidence(item.Confidence(word_level)),
            )
        )
    close_line()
    # Weighted by length: a sideways page reads as many short, half-confident fragments.
    weights = [(len(word.text), word.confidence) for line in lines for word in line.words]
    total = sum(length for length, _ in weights)
    mean = sum(length * confidence for length, confidence in weights) / total if total else 0.0
    return _Reading(lines=lines, mean_confidence=mean)


def _fractions(box: tuple[int, int, int, int], width: int, height: int) -> Box:
    left, top, right, bottom = box
    return Box.clamped(left / width, top / height, (right - left) / width, (bottom - top) / height)


def _confidence(value: float) -> float:
    return min(max(float(value), 0.0), 100.0)


def _unturned(reading: _Reading, degrees: int) -> _Reading:
    """A reading of the image turned by ``degrees`` with its boxes mapped back."""

    def back(box: Box) -> Box:
        left, top, right, bottom = _unturn(
            (box.left, box.top, box.left + box.width, box.top + box.height), degrees
        )
        return Box.clamped(left, top, right - left, bottom - top)

    lines = [
        line.model_copy(
            update={
                "box": back(line.box),
                "words": [word.model_copy(update={"box": back(word.box)}) for word in line.words],
            }
        )
        for line in reading.lines
    ]
    return _Reading(lines=lines, mean_confidence=reading.mean_confidence)
