"""Colour handling shared by the picture modules: every picture as opaque RGB or L, in sRGB.

Image inputs (``image_input``), a PDF's embedded pictures (``pdf_pictures``) and the encoder for a
labeler (``labeling``) all show a picture as it looks printed on white paper: transparent parts
are composited onto ``PAPER``, 16-bit and float grey is scaled to 8 bits, CMYK and colours with an
embedded ICC profile are converted to sRGB. Used by both executors (it ships in the extract and tag
Lambdas), so it imports nothing heavier than Pillow.
"""

from __future__ import annotations

import io
import logging
from typing import cast

from PIL import Image, ImageCms

logger = logging.getLogger(__name__)

PAPER = (255, 255, 255)  # transparent parts are shown on white, as a PDF viewer shows a page


def _to_eight_bits(image: Image.Image) -> Image.Image:
    """16-bit and 32-bit grey as 8-bit L, scaled rather than clipped (Pillow clips)."""
    if image.mode.startswith("I;16"):
        return image.convert("I").point(lambda value: value / 257).convert("L")
    low, high = cast("tuple[float, float]", image.getextrema())
    if high <= 255 and low >= 0:
        return image.convert("L")
    span = float(high - low) or 1.0
    return image.point(lambda value: (value - low) * 255 / span).convert("L")


def on_paper(image: Image.Image) -> Image.Image:
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


def has_transparency(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def opaque(image: Image.Image) -> Image.Image:
    """The image as L (grey inputs) or RGB (everything else), transparent parts on white.

    May return ``image`` itself (an RGB image without an ICC profile).
    """
    if image.mode in ("I", "F") or image.mode.startswith("I;16"):
        return _to_eight_bits(image)
    if has_transparency(image):
        flat = on_paper(image)
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
    flat = opaque(image)
    return flat if flat.mode == "RGB" else flat.convert("RGB")
