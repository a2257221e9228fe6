"""Offline OCR with Tesseract 5 through tesserocr, on Debian's tessdata models.

One ``PyTessBaseAPI`` per language set stays loaded for the life of the process (loading a model
costs more than a page). Tesseract runs single-threaded (``OMP_THREAD_LIMIT=1``): pages are
spread over processes instead, which scales better than OpenMP inside one page.

Languages: ISO 639-1 hints map to tessdata model names (``de`` → ``deu``). Without hints a page
is read with the English model, the language of the result is detected with lingua among the
installed models, and a page in another language is read again with its own model (accents and
umlauts need it).

Preparation (``prepare``), cheap and measured on the image before Tesseract sees it: the skew
of the text lines (a projection profile over small angles, along both axes so that a page fed
sideways is straightened too) is undone when it is over a fifth of a degree; small text (a median
letter height under 20 px, as on a photographed page) is scaled up to about 28 px; a grainy page
(scanner or sensor noise) is despeckled with a 3×3 median; a page lit
unevenly (a photograph: the background's brightness varies, or a dark table shows around the
page) is binarised with a threshold that adapts to the neighbourhood, where Tesseract's global
Otsu threshold would lose the darker half. A clean scan is handed to Tesseract as it is.

Orientation: with ``osd.traineddata`` installed (Debian's ``tesseract-ocr-osd``, a dependency of
``tesseract-ocr``) Tesseract detects pages turned by 90, 180 or 270 degrees itself
(``PSM.AUTO_OSD``). Without it, a page read with very low confidence is tried turned by each
quarter turn and the most confident reading kept. Script: a page read with very low confidence
has its script detected (OSD), and is read again with the installed models of that script
(Cyrillic, Greek, Arabic, ... or ``script/<Name>``) when the hinted ones do not cover it. Boxes
are always fractions of the image as given: mapped back through the deskew and the scale.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # before tesserocr loads libtesseract

import cv2
import numpy as np
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
    from numpy.typing import NDArray

    from scriba.config import Settings
    from scriba.engines.ports import PageImage

logger = logging.getLogger(__name__)

# Maps a box (left, top, right, bottom in px of the image Tesseract read) to the page image.
_ToSource = Callable[[tuple[int, int, int, int]], Box]

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

# The installed models of each script OSD names (tried in this order, the first two installed).
_SCRIPT_MODELS: dict[str, tuple[str, ...]] = {
    "Arabic": ("ara", "fas", "urd"),
    "Cyrillic": ("rus", "ukr", "bul", "srp", "mkd", "bel"),
    "Devanagari": ("hin", "mar", "nep", "san"),
    "Greek": ("ell", "grc"),
    "Han": ("chi_sim", "chi_tra"),
    "Hangul": ("kor",),
    "Hebrew": ("heb",),
    "Japanese": ("jpn",),
    "Katakana": ("jpn",),
    "Hiragana": ("jpn",),
    "Thai": ("tha",),
}


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
    """The model names (``eng``, ``deu``, ``osd``…) with a ``.traineddata`` file in ``tessdata``,
    and the script models in its ``script`` folder (``script/Cyrillic``)."""
    models = {path.stem for path in tessdata.glob("*.traineddata")}
    models |= {f"script/{path.stem}" for path in tessdata.glob("script/*.traineddata")}
    return frozenset(models)


def script_models(script: str, installed: frozenset[str]) -> list[str]:
    """The installed models for a script as OSD names it (``Cyrillic`` → ``rus``…), at most two
    language models, or the script's own model."""
    wanted = [model for model in _SCRIPT_MODELS.get(script, ()) if model in installed][:2]
    if not wanted and f"script/{script}" in installed:
        wanted = [f"script/{script}"]
    return wanted


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

    def __init__(self, tessdata: Path, models: str, psm: int) -> None:
        try:
            self.api = tesserocr.PyTessBaseAPI(path=f"{tessdata}/", lang=models, psm=psm)
        except RuntimeError as error:
            raise EngineFailed(
                f"Tesseract could not load the models {models!r} from {tessdata}: {error}"
            ) from error
        self.lock = threading.Lock()


_apis: dict[tuple[Path, str, int], _WarmApi] = {}
_apis_lock = threading.Lock()


@contextmanager
def _api(tessdata: Path, models: str, psm: int) -> Iterator[Any]:
    key = (tessdata, models, psm)
    with _apis_lock:
        warm = _apis.get(key)
        if warm is None:
            warm = _apis[key] = _WarmApi(tessdata, models, psm)
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


def _unturn_pixels(
    box: tuple[int, int, int, int], degrees: int, width: int, height: int
) -> tuple[int, int, int, int]:
    """A box in px of an image (``width`` × ``height`` before it was turned counter-clockwise by
    ``degrees``) found in the turned image, in px of the image before the turn."""
    turned_width, turned_height = (height, width) if degrees in (90, 270) else (width, height)
    left, top, right, bottom = _unturn(
        (
            box[0] / turned_width,
            box[1] / turned_height,
            box[2] / turned_width,
            box[3] / turned_height,
        ),
        degrees,
    )
    return round(left * width), round(top * height), round(right * width), round(bottom * height)


# -- preparing the image: deskew, scale, binarise ------------------------------------------------

_MAX_SKEW = 6.0  # degrees searched either side of the lines' axis
_COARSE_STEP, _FINE_STEP = 0.5, 0.1
_MIN_SKEW = 0.2  # below this Tesseract copes with the skew itself: the image is not turned
_MIN_PROFILE_GAIN = 1.02  # a skewed profile must be this much sharper than the straight one
_SKEW_POINTS = 60_000  # ink pixels sampled for the profile
_MEASURE_SIDE = 1600  # px: at most the short side of the copy the page is measured on
_SKEW_WIDTH = 600  # px: about the width of the ink mask the skew is measured on
_SMALL_TEXT = 17.0  # px: median letter size under which a photograph is scaled up
_TINY_TEXT = 11.0  # px: the same for a scan of known resolution (small print)
_SCAN_DPI = 300.0  # a scan of lower resolution is scaled up to this
_LOW_DPI = 250.0
_TEXT_SIZE = 30.0  # px: the median letter size small text is scaled to
_MAX_SCALE = 2.5
_UNEVEN_LIGHT = 0.75  # background: 5th over 95th percentile of brightness below this
_ADAPTIVE_OFFSET = 15  # grey levels under the neighbourhood's mean that count as ink
# Grain (a robust standard deviation of the image less its 3×3 median, grey levels) over which
# a page is despeckled with that median first: sensor or scanner noise of σ = 40 makes
# Tesseract's global threshold turn the paper into specks, and a page of 170 words read 0 of
# them in 82 s; despeckled, all of them in 0.7 s. Clean scans and photographs measure 0–2.
_NOISY = 4.0


@dataclass(frozen=True)
class Geometry:
    """How a prepared image relates to the image as given (``width`` × ``height`` px): turned by
    ``angle`` degrees counter-clockwise about its centre onto a canvas that holds all of it,
    then scaled by ``scale``."""

    width: int
    height: int
    angle: float = 0.0
    scale: float = 1.0

    @property
    def identity(self) -> bool:
        return self.angle == 0.0 and self.scale == 1.0

    def _turned_size(self) -> tuple[float, float]:
        radians = np.deg2rad(self.angle)
        cos, sin = abs(float(np.cos(radians))), abs(float(np.sin(radians)))
        return self.width * cos + self.height * sin, self.width * sin + self.height * cos

    @property
    def size(self) -> tuple[int, int]:
        """The prepared image's width and height."""
        width, height = self._turned_size()
        return max(1, round(width * self.scale)), max(1, round(height * self.scale))

    def matrix(self) -> NDArray[np.float64]:
        """The 2×3 affine matrix from the image as given to the prepared one."""
        turned_width, turned_height = self._turned_size()
        matrix = cv2.getRotationMatrix2D((self.width / 2, self.height / 2), self.angle, 1.0)
        matrix[0, 2] += turned_width / 2 - self.width / 2
        matrix[1, 2] += turned_height / 2 - self.height / 2
        return np.asarray(matrix * self.scale, dtype=np.float64)

    def to_source(self, box: tuple[int, int, int, int]) -> Box:
        """A box (left, top, right, bottom in px of the prepared image) as fractions of the image
        as given: the bounding box of its four corners mapped back."""
        left, top, right, bottom = box
        if self.identity:
            return _fractions(box, self.width, self.height)
        back = cv2.invertAffineTransform(self.matrix())
        corners = np.asarray(
            [[left, top, 1.0], [right, top, 1.0], [right, bottom, 1.0], [left, bottom, 1.0]]
        )
        xs, ys = (corners @ back.T).T
        return Box.clamped(
            float(xs.min()) / self.width,
            float(ys.min()) / self.height,
            float(xs.max() - xs.min()) / self.width,
            float(ys.max() - ys.min()) / self.height,
        )


def ink_mask(gray: NDArray[np.uint8], uneven: bool) -> NDArray[np.uint8]:
    """Ink as 255 on 0: Otsu's threshold of the (despeckled) page, or a local one when lit
    unevenly."""
    smooth = cv2.medianBlur(gray, 3)
    if uneven:
        mask = cv2.adaptiveThreshold(
            smooth, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, _ADAPTIVE_OFFSET
        )
    else:
        _, mask = cv2.threshold(smooth, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return np.asarray(mask, dtype=np.uint8)


def skew_angle(mask: NDArray[np.uint8]) -> float:
    """The angle (degrees, counter-clockwise as ``cv2.getRotationMatrix2D`` turns) that makes
    the text lines of an ink mask level: the sharpest projection profile of the ink over angles
    within ``_MAX_SKEW`` of the horizontal or of the vertical (a page fed sideways). 0 when no
    angle is clearly better than none."""
    ys, xs = np.nonzero(mask)
    if len(xs) < 100:
        return 0.0
    if len(xs) > _SKEW_POINTS:
        chosen = np.random.default_rng(0).choice(len(xs), _SKEW_POINTS, replace=False)
        xs, ys = xs[chosen], ys[chosen]
    x = xs.astype(np.float64) - xs.mean()
    y = ys.astype(np.float64) - ys.mean()

    def sharpness(angle: float) -> float:
        radians = np.deg2rad(angle)
        cos, sin = np.cos(radians), np.sin(radians)
        rows = y * cos - x * sin
        columns = x * cos + y * sin
        return max(_profile(rows), _profile(columns))

    coarse = np.arange(-_MAX_SKEW, _MAX_SKEW + _COARSE_STEP / 2, _COARSE_STEP)
    best = max(coarse, key=sharpness)
    fine = np.arange(best - _COARSE_STEP, best + _COARSE_STEP + _FINE_STEP / 2, _FINE_STEP)
    angle = float(max(fine, key=sharpness))
    if sharpness(angle) < _MIN_PROFILE_GAIN * sharpness(0.0):
        return 0.0
    return round(angle, 2)


def _profile(coordinates: NDArray[np.float64]) -> float:
    """How sharp the histogram of the coordinates is (sum of squared counts, 1 px bins)."""
    counts = np.bincount((coordinates - coordinates.min()).astype(np.int64))
    return float(np.square(counts.astype(np.float64)).sum())


def letter_size(mask: NDArray[np.uint8]) -> float:
    """The median size (px, the larger of height and width, so that a page fed sideways measures
    the same) of the ink's connected components that can be letters; 0 when there are too few."""
    _, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    heights = stats[1:, cv2.CC_STAT_HEIGHT]
    widths = stats[1:, cv2.CC_STAT_WIDTH]
    sizes = np.maximum(heights, widths)
    small, large = np.minimum(heights, widths), max(mask.shape) * 0.05
    letters = sizes[(sizes >= 3) & (sizes <= large) & (small * 4 >= sizes)]
    return float(np.median(letters)) if len(letters) >= 20 else 0.0


def grain(gray: NDArray[np.uint8]) -> float:
    """How noisy the image is: the robust standard deviation (1.4826 × the median absolute
    deviation) of the image less its 3×3 median, sampled on every third pixel."""
    difference = gray.astype(np.int16) - cv2.medianBlur(gray, 3).astype(np.int16)
    sample = difference[::3, ::3].astype(np.float32)
    return float(np.median(np.abs(sample - np.median(sample)))) * 1.4826


def unevenly_lit(gray: NDArray[np.uint8]) -> bool:
    """Whether the paper's brightness varies much across the image (a photograph: a gradient,
    a vignette, the table around the page): the background (text closed over) at a small size,
    its 5th percentile against its 95th."""
    step = max(1, min(gray.shape) // 64)
    small = np.ascontiguousarray(gray[::step, ::step])  # every step-th pixel: enough for light
    background = cv2.morphologyEx(small, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    low, high = np.percentile(background, [5, 95])
    return bool(high > 0 and low / high < _UNEVEN_LIGHT)


def _scale(dpi: float, size: float) -> float:
    """How much to scale a page up: a scan under 250 dpi to 300 dpi; a page of unknown resolution
    (a photograph) when its letters measure under 17 px, and a scan when under 11 px, so that
    they measure about 30 px."""
    if 0 < dpi < _LOW_DPI:
        return round(min(_SCAN_DPI / dpi, _MAX_SCALE), 3)
    small = _TINY_TEXT if dpi > 0 else _SMALL_TEXT
    if 0 < size < small:
        return round(min(_TEXT_SIZE / size, _MAX_SCALE), 3)
    return 1.0


@dataclass(frozen=True)
class Prepared:
    """The image Tesseract reads, its resolution, and how it maps to the image as given."""

    image: Image.Image
    dpi: float
    geometry: Geometry
    binarised: bool = False


def prepare(image: Image.Image, dpi: float) -> Prepared:
    """Deskewed, scaled up when the text is small, despeckled when grainy, binarised when lit
    unevenly (see the module's notes); the image itself when none of it is needed."""
    gray = np.asarray(image.convert("L"), dtype=np.uint8)
    uneven = unevenly_lit(gray)
    # Measured on a copy of at most _MEASURE_SIDE px (a 300 dpi page at half size): cheaper,
    # and letters of a page that needs no scaling stay well over the 3 px counted.
    factor = -(-min(gray.shape) // _MEASURE_SIDE)  # a whole factor: resizing by it is cheap
    copy: NDArray[np.uint8] = gray
    if factor > 1:
        copy = np.asarray(
            cv2.resize(gray, None, fx=1 / factor, fy=1 / factor, interpolation=cv2.INTER_AREA),
            dtype=np.uint8,
        )
    mask = ink_mask(copy, uneven)
    narrow = max(1, mask.shape[1] // _SKEW_WIDTH)
    small: NDArray[np.uint8] = mask
    if narrow > 1:
        small = np.asarray(
            cv2.resize(mask, None, fx=1 / narrow, fy=1 / narrow, interpolation=cv2.INTER_AREA),
            dtype=np.uint8,
        )
    angle = skew_angle(np.asarray(small > 64, dtype=np.uint8))
    size = letter_size(mask) * factor
    scale = _scale(dpi, size)
    geometry = Geometry(image.width, image.height, angle if abs(angle) >= _MIN_SKEW else 0.0, scale)
    noisy = grain(gray) > _NOISY
    if geometry.identity and not uneven and not noisy:
        return Prepared(image, dpi, geometry)
    pixels = gray if uneven or noisy or image.mode not in ("L", "RGB") else np.asarray(image)
    if noisy:
        pixels = cv2.medianBlur(pixels, 3)
    if not geometry.identity:
        pixels = cv2.warpAffine(
            pixels,
            geometry.matrix(),
            geometry.size,
            flags=cv2.INTER_CUBIC if geometry.scale > 1 else cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
    if uneven:
        # A neighbourhood of about three lines of text: larger than a letter, smaller than
        # the changes of light.
        block = int(3 * max(size, 8.0) * geometry.scale) | 1
        pixels = cv2.adaptiveThreshold(
            pixels, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, block, _ADAPTIVE_OFFSET
        )
    return Prepared(Image.fromarray(pixels), dpi * geometry.scale, geometry, binarised=uneven)


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
        prepared = prepare(image, page.dpi)
        models = self._models_for(languages or [DEFAULT_MODEL])
        reading = self._read(prepared, models)
        if not languages:
            detected = self._detect(reading.text)
            if detected is not None and detected != DEFAULT_MODEL:
                models = detected
                reading = self._read(prepared, models)
        reading = self._read_by_script(prepared, reading, models)
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

    def _read_by_script(self, prepared: Prepared, reading: _Reading, models: str) -> _Reading:
        """A reading that looks wrong (very low confidence) compared with one by the installed
        models of the page's script, when OSD names a script the models used do not cover."""
        if not self.detects_orientation or not reading.lines:
            return reading
        if reading.mean_confidence >= _LOW_CONFIDENCE:
            return reading
        script = self._script(prepared.image)
        used = set(models.split("+"))
        others = [model for model in script_models(script or "", self.models) if model not in used]
        if not others:
            return reading
        logger.info("page in %s script: read again with %s", script, "+".join(others))
        other = self._read(prepared, "+".join(others))
        return other if other.mean_confidence > reading.mean_confidence else reading

    def _script(self, image: Image.Image) -> str | None:
        """The script OSD sees on the page (``Latin``, ``Cyrillic``…), if it sees one."""
        with _api(self.tessdata, ORIENTATION_MODEL, tesserocr.PSM.OSD_ONLY) as api:
            try:
                api.SetImage(image)
                found = api.DetectOrientationScript()
            except RuntimeError:
                return None
            finally:
                api.Clear()
        name = found.get("script_name") if isinstance(found, dict) else None
        return name if isinstance(name, str) else None

    def _read(self, prepared: Prepared, models: str) -> _Reading:
        geometry = prepared.geometry
        reading = self._read_as_is(prepared.image, prepared.dpi, models, geometry.to_source)
        if (
            self.detects_orientation
            or not reading.lines
            or reading.mean_confidence >= _LOW_CONFIDENCE
        ):
            return reading
        # No orientation model: a page turned on its side reads as low-confidence noise.
        best = reading
        width, height = prepared.image.size
        for degrees, transpose in _QUARTER_TURNS.items():

            def to_source(box: tuple[int, int, int, int], degrees: int = degrees) -> Box:
                return geometry.to_source(_unturn_pixels(box, degrees, width, height))

            turned = self._read_as_is(
                prepared.image.transpose(transpose), prepared.dpi, models, to_source
            )
            if turned.mean_confidence > best.mean_confidence:
                best = turned
        return best

    def _read_as_is(
        self, image: Image.Image, dpi: float, models: str, to_source: _ToSource
    ) -> _Reading:
        psm = tesserocr.PSM.AUTO_OSD if self.detects_orientation else tesserocr.PSM.AUTO
        with _api(self.tessdata, models, psm) as api:
            try:
                api.SetImage(image)
                if dpi > 0:
                    api.SetSourceResolution(round(dpi))
                api.Recognize()
                return _reading(api, to_source)
            except RuntimeError as error:
                raise EngineFailed(f"Tesseract failed on the image: {error}") from error
            finally:
                api.Clear()


def _reading(api: Any, to_source: _ToSource) -> _Reading:
    """Lines and words from the API's last recognition; boxes (px of the image read) mapped to
    fractions of the page image by ``to_source``."""
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
                    box=to_source(line_box),
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
                box=to_source(box),
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
