"""The encoder for a labeling service's limits: a picture as Rekognition DetectLabels takes it.

``for_labeling`` encodes a picture as JPEG or PNG, at most 5 MB as bytes, 80 to 10,000 px per
side. ``Picture.of`` encodes it once and keeps both: the labeler is sent those bytes (or, for a
local one, reads the pixels) and the same bytes are stored in the output bucket, so that people
see what a label is about. Used by both executors (it ships in the tag Lambda), so it imports
nothing heavier than Pillow.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import cast

from PIL import Image

from scriba.media import colour

# Rekognition DetectLabels: "The minimum image dimensions are 80 pixels for both height and
# width"; the maximum is 10,000 px per side; JPEG or PNG; 5 MB when sent as bytes.
LABELING_MIN_SIDE = 80
LABELING_MAX_SIDE = 10_000
LABELING_MAX_BYTES = 5 * 1024 * 1024
# for_labeling can always get an 80x80 JPEG below this many bytes, whatever the picture.
LABELING_MIN_BYTES = 8 * 1024

_JPEG_QUALITIES = (90, 80, 70, 55, 40)
_MAX_ENCODE_ROUNDS = 24
# Line art (kept lossless, as PNG): this many colours cover this share of a sample's pixels.
_LINE_ART_SAMPLE = 256
_LINE_ART_INKS = 8
_LINE_ART_COVER = 0.9


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
    if colour.has_transparency(image):
        with_alpha = image.convert("LA" if image.mode in ("LA", "La", "L", "1") else "RGBA")
        alpha = with_alpha.getchannel("A")
        lowest_alpha, _ = cast("tuple[int, int]", alpha.getextrema())
        if lowest_alpha < 255:
            return with_alpha, True
        image = with_alpha.convert("L" if with_alpha.mode == "LA" else "RGB")
    opaque = colour.opaque(image)  # RGB in sRGB (ICC profiles applied) or L
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
        paper = colour.PAPER
        fill = (*paper, 0) if picture.mode == "RGBA" else (255, 0) if picture.mode == "LA" else 255
        canvas = Image.new(picture.mode, padded, paper if picture.mode == "RGB" else fill)
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
            picture, png, longest = colour.opaque(picture), False, max_side
            continue
        # Bytes grow with the area: aim a little under the limit to converge in a few rounds.
        shrink = min(0.9, max(0.3, math.sqrt(max_bytes / len(data)) * 0.95))
        longest = max(LABELING_MIN_SIDE, int(max(fitted.size) * shrink))
    raise ValueError(
        f"could not encode a {image.width}x{image.height} picture in {max_bytes} bytes"
    )


@dataclass(frozen=True)
class Picture:
    """A picture to label: its pixels, and the same picture encoded once for labeling services
    (``for_labeling``): the bytes sent are the bytes stored in ``images/``."""

    image: Image.Image
    data: bytes
    media_type: str  # image/jpeg or image/png

    @classmethod
    def of(cls, image: Image.Image) -> Picture:
        data, media_type = for_labeling(image)
        return cls(image=image, data=data, media_type=media_type)
