"""Image inputs: a PNG, JPEG or TIFF document opened within the limits of the settings.

``load_image`` returns a page of the input upright (EXIF orientation applied) as RGB or L; a
multi-page TIFF (a fax, a scanner's batch) is a document of pages. Limits are checked on the
header, before any pixel is decoded. Used by both executors (it ships in the extract and tag
Lambdas), so it imports nothing heavier than Pillow.
"""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image, ImageOps, UnidentifiedImageError

from scriba.errors import (
    CorruptDocument,
    DecompressionBomb,
    EmptyDocument,
    ImageTooLarge,
    ImageTooSmall,
    UnsupportedDocumentType,
)
from scriba.media import colour

if TYPE_CHECKING:
    from scriba.config import Settings

logger = logging.getLogger(__name__)

# Pillow's names for the inputs we accept. (Camera JPEGs with a second, preview or depth, picture
# come out of Pillow's JPEG opener as MPO: they are accepted as JPEG.)
IMAGE_FORMATS = ("PNG", "JPEG", "TIFF")

_pillow_guard = threading.Lock()


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
    image = colour.opaque(opened)
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
