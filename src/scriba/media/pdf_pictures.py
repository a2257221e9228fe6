"""A PDF's embedded pictures, each distinct one once, as it appears on the page.

``embedded_images`` walks the image objects of a PDF (forms included) and yields each distinct
picture once, rendered by pdfium as a viewer shows it, in RGB on white; the returned iterator
(``EmbeddedImages``) also counts what it skipped. Used by both executors (it ships in the tag
Lambda), so it imports nothing heavier than Pillow and pypdfium2.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from scriba.media import colour

# Rendering a PDF image object at its own resolution needs width x height x 4 bytes; past this
# many pixels (the default max_image_pixels) it is counted as skipped instead of exhausting memory.
_MAX_EMBEDDED_PIXELS = 100_000_000


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
    # to_pil shares pdfium's buffer (freed with ``bitmap``): on_paper and convert copy it.
    rendered = bitmap.to_pil()
    return (
        colour.on_paper(rendered) if colour.has_transparency(rendered) else rendered.convert("RGB")
    )
