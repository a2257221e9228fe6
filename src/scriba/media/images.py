"""Pictures: image inputs, the pictures embedded in a PDF, and pictures encoded for a labeler.

Used by both executors (it ships in the tag Lambda), so it imports nothing heavier than Pillow and
pypdfium2.

- ``load_image`` opens a PNG, JPEG or TIFF input within the limits of the settings and returns it
  upright (EXIF orientation applied) as RGB or L.
- ``embedded_images`` walks the image objects of a PDF (forms included) and yields each distinct
  picture once, as it appears on the page; the returned iterator also counts what it skipped.
- ``for_labeling`` encodes a picture as a labeling service takes it (Rekognition DetectLabels:
  JPEG or PNG, at most 5 MB as bytes, 80 to 10,000 px per side). The same bytes are stored in the
  output bucket, so that people see what a label is about.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from scriba.errors import (
    CorruptDocument,
    DecompressionBomb,
    EmptyDocument,
    ImageTooLarge,
    ImageTooSmall,
    UnsupportedDocumentType,
)

if TYPE_CHECKING:
    from scriba.config import Settings

logger = logging.getLogger(__name__)

# Pillow's names for the inputs we accept. (Camera JPEGs with a second, preview or depth, picture
# come out of Pillow's JPEG opener as MPO: they are accepted as JPEG.)
IMAGE_FORMATS = ("PNG", "JPEG", "TIFF")

# Rekognition DetectLabels: "The minimum image dimensions are 80 pixels for both height and
# width"; the maximum is 10,000 px per side; JPEG or PNG; 5 MB when sent as bytes.
LABELING_MIN_SIDE = 80
LABELING_MAX_SIDE = 10_000
LABELING_MAX_BYTES = 5 * 1024 * 1024
# for_labeling can always get an 80x80 JPEG below this many bytes, whatever the picture.
LABELING_MIN_BYTES = 8 * 1024

PAPER = (255, 255, 255)  # transparent parts are shown on white, as a PDF viewer shows a page

# Rendering a PDF image object at its own resolution needs width x height x 4 bytes; past this
# many pixels (the default max_image_pixels) it is counted as skipped instead of exhausting memory.
_MAX_EMBEDDED_PIXELS = 100_000_000

_JPEG_QUALITIES = (90, 80, 70, 55, 40)
_MAX_ENCODE_ROUNDS = 24
# Line art (kept lossless, as PNG): this many colours cover this share of a sample's pixels.
_LINE_ART_SAMPLE = 256
_LINE_ART_INKS = 8
_LINE_ART_COVER = 0.9

_pillow_guard = threading.Lock()


# -- image inputs ------------------------------------------------------------------------------


@contextmanager
def _pixel_limit(max_pixels: int, name: str = "") -> Iterator[None]:
    """Pillow's decompression-bomb guard, set to ``max_pixels`` for the calls inside.

    Pillow checks ``Image.MAX_IMAGE_PIXELS`` when it reads a header (before decoding): above it,
    a ``DecompressionBombWarning``, above twice it a ``DecompressionBombError``. The warning is
    made an error here, so the limit is exactly ``max_pixels``. Both are process-wide settings,
    hence the lock; only header reads happen inside it.
    """
    with _pillow_guard, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        previous = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = max_pixels
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS = previous
    # Other warnings Pillow gives while reading a header (a damaged EXIF block) go to the log,
    # not to stderr.
    for warning in caught:
        logger.warning("%s: %s", name or "image", warning.message)


def _bomb(name: str, max_pixels: int, error: Exception) -> DecompressionBomb:
    return DecompressionBomb(
        f"image has more pixels than the limit of {max_pixels:,} (decompression bomb guard): "
        f"{error}",
        document=name,
    )


def _unsupported_or_corrupt(path: Path, name: str, max_pixels: int) -> Exception:
    """The error for a file that is not a PNG, JPEG or TIFF Pillow can read."""
    try:
        with _pixel_limit(max_pixels, name), Image.open(path) as other:
            found = other.format or "unknown"
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        return _bomb(name, max_pixels, error)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        return CorruptDocument("not a readable PNG, JPEG or TIFF image", document=name)
    return UnsupportedDocumentType(
        f"{found} images are not supported; send PNG, JPEG or TIFF", document=name
    )


def load_image(path: Path, name: str, settings: Settings, page: int = 1) -> Image.Image:
    """Page ``page`` of the image input at ``path`` (named ``name`` in errors), upright, as RGB
    or L.

    A multi-page TIFF (a fax, a scanner's batch) is a document of pages: ``info["frames"]`` of
    the returned image says how many there are, and ``page`` picks one. Limits are checked on
    the header, before any pixel is decoded: more than ``settings.max_image_pixels`` pixels
    raises ``DecompressionBomb``, a side above ``settings.max_image_side`` ``ImageTooLarge``, a
    side below ``settings.min_image_side`` ``ImageTooSmall``. A truncated or unreadable file
    raises ``CorruptDocument``, another image format ``UnsupportedDocumentType``, an empty file
    ``EmptyDocument``.
    """
    if path.stat().st_size == 0:
        raise EmptyDocument("the image file is empty", document=name)
    max_pixels = settings.max_image_pixels
    try:
        with _pixel_limit(max_pixels, name):
            opened = Image.open(path, formats=IMAGE_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise _bomb(name, max_pixels, error) from error
    except UnidentifiedImageError:
        raise _unsupported_or_corrupt(path, name, max_pixels) from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise CorruptDocument(f"unreadable image: {error}", document=name) from error
    with opened:
        return _page(opened, name, settings, page)


def _check_sides(image: Image.Image, name: str, settings: Settings, where: str) -> None:
    width, height = image.size
    if max(width, height) > settings.max_image_side:
        raise ImageTooLarge(
            f"{where}image of {width}x{height} px has a side over the limit of "
            f"{settings.max_image_side} px",
            document=name,
        )
    if min(width, height) < settings.min_image_side:
        raise ImageTooSmall(
            f"{where}image of {width}x{height} px has a side under the minimum of "
            f"{settings.min_image_side} px",
            document=name,
        )


def _page(opened: Image.Image, name: str, settings: Settings, page: int) -> Image.Image:
    _check_sides(opened, name, settings, "")
    frames = 1
    try:
        with _pixel_limit(settings.max_image_pixels, name):
            # Counting frames reads every frame header; Pillow checks each one's size.
            frames = getattr(opened, "n_frames", 1)
            if not 1 <= page <= frames:
                raise IndexError(f"{name}: no page {page} in an image of {frames} page(s)")
            if frames > 1:
                opened.seek(page - 1)
        if page > 1:
            _check_sides(opened, name, settings, f"page {page}: ")
        opened.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise _bomb(name, settings.max_image_pixels, error) from error
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        where = f"page {page}: " if frames > 1 else ""
        raise CorruptDocument(
            f"{where}image data is truncated or damaged: {error}", document=name
        ) from error
    dpi = opened.info.get("dpi")
    _turn_upright(opened, name)
    image = _opaque(opened)
    if image is opened:  # the caller closes ``opened``: hand back pixels of our own
        image = opened.copy()
    image.info = {}
    if dpi:
        image.info["dpi"] = dpi
    if frames > 1:
        image.info["frames"] = frames
    return image


def _turn_upright(image: Image.Image, name: str) -> None:
    """Turns ``image`` as its EXIF orientation says (cameras store pictures sideways)."""
    try:
        ImageOps.exif_transpose(image, in_place=True)
    except (SyntaxError, ValueError, OSError, KeyError, TypeError) as error:
        # A damaged EXIF block does not make the pixels unreadable: keep them as stored.
        logger.warning("%s: EXIF orientation unreadable (%s); image kept as stored", name, error)


# -- colour --------------------------------------------------------------------------------------


def _to_eight_bits(image: Image.Image) -> Image.Image:
    """16-bit and 32-bit grey as 8-bit L, scaled rather than clipped (Pillow clips)."""
    if image.mode.startswith("I;16"):
        return image.convert("I").point(lambda value: value / 257).convert("L")
    low, high = cast("tuple[float, float]", image.getextrema())
    if high <= 255 and low >= 0:
        return image.convert("L")
    span = float(high - low) or 1.0
    return image.point(lambda value: (value - low) * 255 / span).convert("L")


def _on_paper(image: Image.Image) -> Image.Image:
    """An image with transparency composited onto white (how it looks on a page): RGB or L."""
    grey = image.mode in ("1", "L", "LA", "La")
    paper = Image.new("RGBA", image.size, (*PAPER, 255))
    flat = Image.alpha_composite(paper, image.convert("RGBA")).convert("RGB")
    return flat.convert("L") if grey else flat


def _in_srgb(image: Image.Image) -> Image.Image:
    """RGB in sRGB: embedded ICC profiles (Adobe RGB, CMYK press profiles) converted."""
    profile = image.info.get("icc_profile")
    if profile and image.mode in ("RGB", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            description = ImageCms.getProfileDescription(source).lower()
            if image.mode == "CMYK" or "srgb" not in description:
                converted = ImageCms.profileToProfile(
                    image, source, ImageCms.createProfile("sRGB"), outputMode="RGB"
                )
                if converted is not None:
                    return converted
        except (ImageCms.PyCMSError, OSError, ValueError) as error:
            logger.warning("ICC profile not applied (%s); colours converted without it", error)
    return image if image.mode == "RGB" else image.convert("RGB")


def _has_transparency(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def _opaque(image: Image.Image) -> Image.Image:
    """The image as L (grey inputs) or RGB (everything else), transparent parts on white.

    May return ``image`` itself (an RGB image without an ICC profile).
    """
    if image.mode in ("I", "F") or image.mode.startswith("I;16"):
        return _to_eight_bits(image)
    if _has_transparency(image):
        flat = _on_paper(image)
        profile = image.info.get("icc_profile")
        if profile and flat.mode == "RGB":
            flat.info["icc_profile"] = profile
            return _in_srgb(flat)
        return flat
    if image.mode in ("1", "L"):
        return image.convert("L")
    if image.mode == "P":
        return image.convert("RGB")
    return _in_srgb(image)


def to_rgb(image: Image.Image) -> Image.Image:
    """The picture as opaque 8-bit RGB in sRGB, as it looks printed on white paper.

    Alpha is composited onto white, 16-bit and float grey are scaled to 8 bits, CMYK and colours
    with an embedded ICC profile are converted to sRGB. Returns ``image`` itself when it is RGB
    already.
    """
    if image.mode == "RGB" and not image.info.get("icc_profile"):
        return image
    opaque = _opaque(image)
    return opaque if opaque.mode == "RGB" else opaque.convert("RGB")


# -- pictures embedded in a PDF ---------------------------------------------------------------


@dataclass(frozen=True)
class EmbeddedImage:
    """One distinct picture of a PDF, as it appears on its page."""

    page: int  # 1-based page where it first appears
    index: int  # 1-based, over the pictures yielded for the document
    image: Image.Image  # RGB, transparent parts on white


@dataclass(eq=False)
class EmbeddedImages(Iterator[EmbeddedImage]):
    """The pictures of a PDF, and counts of the image objects that were not yielded.

    The counts are complete once the iterator is exhausted. ``skipped`` is what
    ``Tags.skipped_images`` means: too small, unreadable, or over ``max_images``. Duplicates (the
    same pixels again, such as a logo on every page) are counted apart: they were tagged once.
    """

    pdf: pdfium.PdfDocument
    max_images: int
    min_side: int = 80
    too_small: int = 0  # a side under min_side pixels: icons, rules, bullets
    unreadable: int = 0  # pdfium could not decode or render it
    over_limit: int = 0  # distinct pictures after the first max_images
    duplicates: int = 0  # the same pixels as a picture already yielded
    unreadable_pages: int = 0  # pages pdfium could not load: their pictures are not counted
    _walk: Iterator[EmbeddedImage] | None = field(default=None, init=False, repr=False)

    @property
    def skipped(self) -> int:
        return self.too_small + self.unreadable + self.over_limit

    def __iter__(self) -> EmbeddedImages:
        return self

    def __next__(self) -> EmbeddedImage:
        if self._walk is None:
            self._walk = self._pictures()
        return next(self._walk)

    def _image_objects(self) -> Iterator[tuple[int, object]]:
        for number in range(1, len(self.pdf) + 1):
            try:
                page = self.pdf[number - 1]
            except pdfium.PdfiumError:
                # A page pdfium cannot load (a broken page tree entry): its pictures cannot be
                # found either. The extract stage skips it with a warning; so do we.
                self.unreadable_pages += 1
                continue
            try:
                # max_depth: image objects inside form XObjects (nested forms) are found too.
                for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=15):
                    yield number, obj
            finally:
                page.close()

    def _pictures(self) -> Iterator[EmbeddedImage]:
        seen_pixels: set[bytes] = set()
        seen_streams: set[bytes] = set()
        yielded = 0
        for number, obj in self._image_objects():
            try:
                width, height = obj.get_px_size()  # type: ignore[attr-defined]
            except pdfium.PdfiumError:
                self.unreadable += 1
                continue
            if min(width, height) < self.min_side:
                self.too_small += 1
                continue
            stream = _stream_digest(obj, width, height)
            if yielded >= self.max_images:
                # Past the limit nothing is decoded: an encoded stream seen before (one XObject
                # drawn on every page) is a duplicate, anything else a picture left untagged.
                if stream is not None and stream in seen_streams:
                    self.duplicates += 1
                else:
                    self.over_limit += 1
                if stream is not None:
                    seen_streams.add(stream)
                continue
            if stream is not None:
                seen_streams.add(stream)
            # Within the limit every picture is rendered: the same stream can look different
            # (another soft mask), and the same pixels can come in another encoding.
            picture = _appearance(obj) if width * height <= _MAX_EMBEDDED_PIXELS else None
            if picture is None:
                self.unreadable += 1
                continue
            digest = _pixel_digest(picture)
            if digest in seen_pixels:
                self.duplicates += 1
                picture.close()
                continue
            seen_pixels.add(digest)
            yielded += 1
            yield EmbeddedImage(page=number, index=yielded, image=picture)


def embedded_images(pdf: pdfium.PdfDocument, max_images: int, min_side: int = 80) -> EmbeddedImages:
    """The distinct pictures of ``pdf``, at most ``max_images``, as they appear on the page.

    Each image object (on pages and inside form XObjects) is rendered by pdfium on its own at
    its native resolution (``get_bitmap(render=True)``): that applies what a viewer applies, and
    a raw decode (``render=False``) does not: soft masks and stencil masks (a mask's raw samples
    are the inverse of what is painted), and the placement matrix (a picture placed rotated or
    mirrored comes out as seen). Colour spaces (CMYK, ICC, Indexed, Decode arrays) and
    JPEG/JPEG 2000 decoding are pdfium's either way. Transparent parts are composited on white.

    Pictures with a side under ``min_side`` pixels are skipped (icons, rules; a labeler cannot
    see anything in them), and so is the same picture seen again. The returned iterator counts
    both: see ``EmbeddedImages``.
    """
    return EmbeddedImages(pdf=pdf, max_images=max_images, min_side=min_side)


def _stream_digest(obj: object, width: int, height: int) -> bytes | None:
    """A digest of the image's encoded stream: the same XObject drawn again has the same one."""
    try:
        data = obj.get_data(decode_simple=False)  # type: ignore[attr-defined]
    except pdfium.PdfiumError:
        return None
    if not len(data):
        return None
    return hashlib.blake2b(
        bytes(data), digest_size=16, person=f"{width}x{height}"[:16].encode()
    ).digest()


def _pixel_digest(image: Image.Image) -> bytes:
    header = f"{image.mode}{image.size}".encode()
    return hashlib.blake2b(header + image.tobytes(), digest_size=16).digest()


def _appearance(obj: object) -> Image.Image | None:
    """The image object as drawn on its page, in RGB on white, or None if pdfium cannot."""
    try:
        bitmap = obj.get_bitmap(render=True)  # type: ignore[attr-defined]
    except (pdfium.PdfiumError, ZeroDivisionError):
        # ZeroDivisionError: an image placed with no area on the page; nobody sees it.
        return None
    if bitmap.width == 0 or bitmap.height == 0:
        return None
    # to_pil shares pdfium's buffer (freed with ``bitmap``): _on_paper and convert copy it.
    rendered = bitmap.to_pil()
    return _on_paper(rendered) if _has_transparency(rendered) else rendered.convert("RGB")


# -- encoding for a labeling service ----------------------------------------------------------


def _is_line_art(image: Image.Image) -> bool:
    """Flat colours: diagrams, icons, bilevel scans, where JPEG would smear the edges.

    Judged on a small sample (nearest neighbour keeps the exact colours): a few colours cover
    almost every pixel. A grey photo has at most 256 colours too, but spread over many of them.
    """
    scale = min(1.0, _LINE_ART_SAMPLE / max(image.size))
    sample = image.resize(
        (max(1, round(image.width * scale)), max(1, round(image.height * scale))),
        Image.Resampling.NEAREST,
    )
    total = sample.width * sample.height
    colours = sample.getcolors(maxcolors=total)
    if colours is None:
        return False
    counts = sorted((count for count, _ in colours), reverse=True)
    return sum(counts[:_LINE_ART_INKS]) >= _LINE_ART_COVER * total


def _encoding_mode(image: Image.Image) -> tuple[Image.Image, bool]:
    """The picture in L, LA, RGB or RGBA, and whether to encode it as PNG."""
    if _has_transparency(image):
        with_alpha = image.convert("LA" if image.mode in ("LA", "La", "L", "1") else "RGBA")
        alpha = with_alpha.getchannel("A")
        lowest_alpha, _ = cast("tuple[int, int]", alpha.getextrema())
        if lowest_alpha < 255:
            return with_alpha, True
        image = with_alpha.convert("L" if with_alpha.mode == "LA" else "RGB")
    opaque = _opaque(image)  # RGB in sRGB (ICC profiles applied) or L
    return opaque, _is_line_art(opaque)


def _fitted(picture: Image.Image, longest: int, line_art: bool) -> Image.Image:
    """``picture`` with its longest side at most ``longest`` and every side at least 80 px.

    Pictures are only scaled down, except that a short side under 80 px is scaled up to 80 when
    the long side then stays within ``longest``; otherwise (a 50:1 banner) the short side is
    padded, white or transparent.
    """
    width, height = picture.size
    shortest, widest = min(width, height), max(width, height)
    scale = min(1.0, longest / widest)
    up_to_minimum = (
        shortest * scale < LABELING_MIN_SIDE and widest * (LABELING_MIN_SIDE / shortest) <= longest
    )
    if up_to_minimum:
        scale = LABELING_MIN_SIDE / shortest
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if up_to_minimum:  # rounding must not leave the short side at 79
        size = (max(LABELING_MIN_SIDE, size[0]), max(LABELING_MIN_SIDE, size[1]))
    if size != picture.size:
        enlarging = size[0] * size[1] > width * height
        # Enlarged line art keeps its hard edges and colours; photos are resampled smoothly.
        if enlarging:
            resample = Image.Resampling.NEAREST if line_art else Image.Resampling.BICUBIC
            picture = picture.resize(size, resample)
        else:
            picture = picture.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    if min(picture.size) < LABELING_MIN_SIDE:
        padded = (max(picture.width, LABELING_MIN_SIDE), max(picture.height, LABELING_MIN_SIDE))
        # White paper; fully transparent where the picture has an alpha channel.
        fill = (*PAPER, 0) if picture.mode == "RGBA" else (255, 0) if picture.mode == "LA" else 255
        canvas = Image.new(picture.mode, padded, PAPER if picture.mode == "RGB" else fill)
        canvas.paste(picture, ((padded[0] - picture.width) // 2, (padded[1] - picture.height) // 2))
        picture = canvas
    return picture


def _encode(picture: Image.Image, png: bool, quality: int) -> bytes:
    buffer = io.BytesIO()
    if png:
        picture.save(buffer, "PNG", compress_level=6)
    else:
        picture.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def for_labeling(
    image: Image.Image, max_side: int = 4096, max_bytes: int = LABELING_MAX_BYTES
) -> tuple[bytes, str]:
    """``image`` encoded for a labeling service: ``(bytes, media type)``.

    JPEG for photos; PNG (lossless) when the picture has transparency or is line art (eight
    colours cover 90 % of it). The longest side is at most ``max_side`` and every side at least
    80 px (small pictures are scaled up, extreme strips padded); the encoded size is at most
    ``max_bytes`` (JPEG quality is lowered, then the picture scaled down, until it fits; a PNG
    that cannot fit becomes a JPEG on white).
    """
    if not LABELING_MIN_SIDE <= max_side <= LABELING_MAX_SIDE:
        raise ValueError(f"max_side must be within {LABELING_MIN_SIDE}..{LABELING_MAX_SIDE}")
    if max_bytes < LABELING_MIN_BYTES:
        raise ValueError(f"max_bytes must be at least {LABELING_MIN_BYTES}")
    picture, png = _encoding_mode(image)
    longest = max_side
    for _ in range(_MAX_ENCODE_ROUNDS):
        fitted = _fitted(picture, longest, line_art=png)
        data = b""
        for quality in (0,) if png else _JPEG_QUALITIES:
            data = _encode(fitted, png, quality)
            if len(data) <= max_bytes:
                return data, "image/png" if png else "image/jpeg"
        if max(fitted.size) <= LABELING_MIN_SIDE:
            if not png:
                break
            # Lossless cannot get small enough: a JPEG of the same picture on white can.
            picture, png, longest = _opaque(picture), False, max_side
            continue
        # Bytes grow with the area: aim a little under the limit to converge in a few rounds.
        shrink = min(0.9, max(0.3, math.sqrt(max_bytes / len(data)) * 0.95))
        longest = max(LABELING_MIN_SIDE, int(max(fitted.size) * shrink))
    raise ValueError(
        f"could not encode a {image.width}x{image.height} picture in {max_bytes} bytes"
    )
