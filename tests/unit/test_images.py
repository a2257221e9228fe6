"""Pictures: image inputs within limits, pictures embedded in PDFs, encoding for a labeler."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops, ImageDraw, ImageStat

from scriba.config import Settings
from scriba.errors import (
    CorruptDocument,
    DecompressionBomb,
    EmptyDocument,
    ImageTooLarge,
    ImageTooSmall,
    UnsupportedDocumentType,
)
from scriba.media.image_input import load_image
from scriba.media.labeling import LABELING_MIN_SIDE, for_labeling
from scriba.media.pdf_pictures import EmbeddedImage, EmbeddedImages, embedded_images
from tests.badinputs.makers import pdf_file

RED, BLUE, WHITE, BLACK = (255, 0, 0), (0, 0, 255), (255, 255, 255), (0, 0, 0)


def _picture(size: tuple[int, int] = (120, 90)) -> Image.Image:
    """Red left half, blue right half, a white disc in the middle: easy to check after a turn."""
    image = Image.new("RGB", size, RED)
    draw = ImageDraw.Draw(image)
    width, height = size
    draw.rectangle((width // 2, 0, width, height), fill=BLUE)
    draw.ellipse((width // 3, height // 4, 2 * width // 3, 3 * height // 4), fill=WHITE)
    return image


def _save(image: Image.Image, path: Path, format: str, **options: object) -> Path:
    image.save(path, format, **options)
    return path


def _bands(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    """The pixel at ``xy`` as a tuple of band values, whatever the mode."""
    pixel = image.getpixel(xy)
    return tuple(int(value) for value in pixel) if isinstance(pixel, tuple) else (int(pixel or 0),)


def _close_to(pixel: object, expected: tuple[int, ...], tolerance: int = 12) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(int(a) - b) <= tolerance for a, b in zip(pixel, expected, strict=True))


# -- load_image ---------------------------------------------------------------------------------


def test_png_loads_as_rgb_with_its_pixels(tmp_path: Path) -> None:
    path = _save(_picture(), tmp_path / "in.png", "PNG")
    image = load_image(path, "in.png", Settings())
    assert (image.mode, image.size) == ("RGB", (120, 90))
    assert image.getpixel((5, 5)) == RED
    assert image.getpixel((115, 5)) == BLUE
    assert image.getpixel((60, 45)) == WHITE


def test_grey_input_stays_grey(tmp_path: Path) -> None:
    path = _save(_picture().convert("L"), tmp_path / "grey.png", "PNG")
    assert load_image(path, "grey.png", Settings()).mode == "L"


def test_sixteen_bit_grey_is_scaled_to_eight_bits_not_clipped(tmp_path: Path) -> None:
    # Pillow's own I;16 -> L conversion clips everything above 255 to white.
    mid_grey = Image.new("I;16", (64, 64), 32768)
    path = _save(mid_grey, tmp_path / "deep.png", "PNG")
    image = load_image(path, "deep.png", Settings())
    assert image.mode == "L"
    assert image.getpixel((10, 10)) in range(125, 131)


def test_transparent_parts_are_shown_on_white(tmp_path: Path) -> None:
    cut_out = Image.new("RGBA", (80, 80), (0, 0, 0, 0))
    ImageDraw.Draw(cut_out).rectangle((20, 20, 59, 59), fill=(*BLUE, 255))
    path = _save(cut_out, tmp_path / "cutout.png", "PNG")
    image = load_image(path, "cutout.png", Settings())
    assert image.mode == "RGB"
    assert image.getpixel((2, 2)) == WHITE
    assert image.getpixel((40, 40)) == BLUE


def test_cmyk_jpeg_becomes_rgb_of_the_same_colours(tmp_path: Path) -> None:
    path = _save(_picture().convert("CMYK"), tmp_path / "press.jpg", "JPEG", quality=95)
    image = load_image(path, "press.jpg", Settings())
    assert image.mode == "RGB"
    assert _close_to(image.getpixel((5, 45)), RED, tolerance=20)
    assert _close_to(image.getpixel((115, 45)), BLUE, tolerance=20)


def test_exif_orientation_turns_the_picture_upright(tmp_path: Path) -> None:
    # Stored landscape, red on the left; orientation 6 says "turn 90 degrees clockwise to view".
    stored = _picture((200, 100))
    exif = Image.Exif()
    exif[0x0112] = 6
    path = _save(stored, tmp_path / "camera.jpg", "JPEG", quality=95, exif=exif.tobytes())
    image = load_image(path, "camera.jpg", Settings())
    assert image.size == (100, 200)
    assert _close_to(image.getpixel((50, 5)), RED, tolerance=30)  # left side is now the top
    assert _close_to(image.getpixel((50, 195)), BLUE, tolerance=30)


def test_a_multipage_tiff_is_a_document_of_pages(tmp_path: Path) -> None:
    first, second = Image.new("RGB", (100, 80), RED), Image.new("RGB", (60, 90), BLUE)
    path = tmp_path / "scan.tiff"
    first.save(path, "TIFF", save_all=True, append_images=[second])
    image = load_image(path, "scan.tiff", Settings())
    assert image.getpixel((50, 40)) == RED
    assert image.info["frames"] == 2
    page_two = load_image(path, "scan.tiff", Settings(), page=2)
    assert (page_two.size, page_two.getpixel((30, 45))) == ((60, 90), BLUE)
    with pytest.raises(IndexError, match="no page 3"):
        load_image(path, "scan.tiff", Settings(), page=3)


def test_a_later_tiff_page_is_held_to_the_limits(tmp_path: Path) -> None:
    path = tmp_path / "scan.tiff"
    Image.new("L", (100, 80)).save(
        path, "TIFF", save_all=True, append_images=[Image.new("L", (20, 80))]
    )
    load_image(path, "scan.tiff", Settings())  # the first page is fine
    with pytest.raises(ImageTooSmall, match=r"scan\.tiff: page 2: image of 20x80 px"):
        load_image(path, "scan.tiff", Settings(), page=2)


def test_a_side_under_the_minimum_is_too_small(tmp_path: Path) -> None:
    path = _save(Image.new("RGB", (200, 10)), tmp_path / "rule.png", "PNG")
    with pytest.raises(ImageTooSmall, match=r"rule\.png: .*200x10") as raised:
        load_image(path, "rule.png", Settings(min_image_side=32))
    assert raised.value.reason == "image_too_small"


def test_a_side_over_the_maximum_is_too_large(tmp_path: Path) -> None:
    path = _save(Image.new("RGB", (600, 40)), tmp_path / "wide.png", "PNG")
    with pytest.raises(ImageTooLarge, match=r"wide\.png: .*600x40.*500 px"):
        load_image(path, "wide.png", Settings(max_image_side=500))


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def test_png_header_claiming_a_huge_size_is_refused_before_decoding(tmp_path: Path) -> None:
    # 200,000 x 200,000 RGB would need 120 GB once decoded; the file is a few dozen bytes.
    header = struct.pack(">IIBBBBB", 200_000, 200_000, 8, 2, 0, 0, 0)
    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + _png_chunk(b"IEND", b"")
    )
    path = tmp_path / "bomb.png"
    path.write_bytes(bomb)
    with pytest.raises(DecompressionBomb, match=r"bomb\.png: .*100,000,000") as raised:
        load_image(path, "bomb.png", Settings())
    assert raised.value.reason == "decompression_bomb"


def test_pixel_limit_is_the_settings_and_pillow_is_left_as_it_was(tmp_path: Path) -> None:
    before = Image.MAX_IMAGE_PIXELS
    path = _save(Image.new("RGB", (200, 200)), tmp_path / "big.png", "PNG")
    with pytest.raises(DecompressionBomb, match="10,000"):
        load_image(path, "big.png", Settings(max_image_pixels=10_000))
    assert load_image(path, "big.png", Settings(max_image_pixels=40_000)).size == (200, 200)
    assert before == Image.MAX_IMAGE_PIXELS


def test_truncated_jpeg_is_corrupt(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    _picture((400, 300)).save(buffer, "JPEG", quality=90)
    path = tmp_path / "cut.jpg"
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    with pytest.raises(CorruptDocument, match=r"cut\.jpg: .*truncated"):
        load_image(path, "cut.jpg", Settings())


def test_bytes_that_are_no_image_are_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "noise.png"
    path.write_bytes(b"\x89PNG but not really" + bytes(range(256)) * 4)
    with pytest.raises(CorruptDocument, match=r"noise\.png: not a readable PNG, JPEG or TIFF"):
        load_image(path, "noise.png", Settings())


def test_other_image_formats_are_unsupported(tmp_path: Path) -> None:
    path = _save(_picture(), tmp_path / "anim.gif", "GIF")
    with pytest.raises(UnsupportedDocumentType, match=r"anim\.gif: GIF images are not supported"):
        load_image(path, "anim.gif", Settings())


def test_empty_file_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.png"
    path.touch()
    with pytest.raises(EmptyDocument, match=r"empty\.png"):
        load_image(path, "empty.png", Settings())


def test_corpus_smile_is_below_the_default_minimum_but_readable(corpus: Path) -> None:
    with pytest.raises(ImageTooSmall, match=r"smile\.png: .*16x16"):
        load_image(corpus / "smile.png", "smile.png", Settings())
    image = load_image(corpus / "smile.png", "smile.png", Settings(min_image_side=16))
    assert (image.mode, image.size) == ("RGB", (16, 16))
    assert len(image.getcolors() or []) == 2  # a black face on white


# -- embedded_images on the sample documents ----------------------------------------------------


def _all(
    path: Path, max_images: int = 20, min_side: int = 80
) -> tuple[list[EmbeddedImage], EmbeddedImages]:
    found = embedded_images(pdfium.PdfDocument(path), max_images, min_side)
    return list(found), found


def test_photo_in_a_latex_document(corpus: Path) -> None:
    pictures, found = _all(corpus / "pdflatex-image.pdf")
    assert [(p.page, p.index, p.image.mode, p.image.size) for p in pictures] == [
        (1, 1, "RGB", (300, 200))
    ]
    _, green, blue = ImageStat.Stat(pictures[0].image).mean
    assert green > blue + 20  # a coati in green foliage, not a grey or blank picture
    assert found.skipped == 0


def test_icons_are_skipped_and_counted(corpus: Path) -> None:
    # Six pages, each with the same 16x16 smiley in another encoding (Flate, LZW, RunLength,
    # DCT, ...): too small to label.
    pictures, found = _all(corpus / "imagemagick-images.pdf")
    assert pictures == []
    assert (found.too_small, found.skipped) == (6, 6)


def test_the_same_pixels_in_other_encodings_are_one_picture(corpus: Path) -> None:
    pictures, found = _all(corpus / "imagemagick-images.pdf", min_side=8)
    # The five lossless encodings decode to identical pixels; the JPEG one differs slightly.
    assert [(p.page, p.index, p.image.size) for p in pictures] == [
        (1, 1, (16, 16)),
        (4, 2, (16, 16)),
    ]
    assert (found.duplicates, found.skipped) == (4, 0)
    smiley = pictures[0].image.convert("L")
    assert _bands(smiley, (0, 0)) < (40,) and _bands(smiley, (3, 3)) > (200,)  # white eye on black


def test_cmyk_and_grey_scans(corpus: Path) -> None:
    (aerial,), _ = _all(corpus / "cmyk-image.pdf")
    assert aerial.image.size == (756, 1008)
    red, _, blue = ImageStat.Stat(aerial.image.crop((0, 0, 756, 150))).mean
    assert blue > red + 20  # sky at the top

    (scout,), _ = _all(corpus / "grayscale-image.pdf")
    assert scout.image.size == (324, 450)
    r, g, b = scout.image.split()
    assert ImageChops.difference(r, g).getbbox() is None
    assert ImageChops.difference(r, b).getbbox() is None


def test_max_images_stops_and_counts_the_rest(corpus: Path) -> None:
    every, _ = _all(corpus / "GeoTopo-komprimiert.pdf", max_images=20)
    assert [p.page for p in every] == [24, 24, 24, 24, 25, 25, 25, 25, 31, 76]
    assert [p.index for p in every] == list(range(1, 11))

    first, found = _all(corpus / "GeoTopo-komprimiert.pdf", max_images=3)
    assert [p.page for p in first] == [24, 24, 24]
    assert (found.over_limit, found.skipped) == (7, 7)
    for mine, theirs in zip(first, every, strict=False):
        assert ImageChops.difference(mine.image, theirs.image).getbbox() is None


# -- embedded_images on pictures that need rendering --------------------------------------------


def _pdf(*pages: tuple[bytes, dict[str, bytes]]) -> bytes:
    """A PDF whose pages draw the given content with the given XObjects (name: object body).

    ``@@`` in an object body is the number of the object that follows it (a soft mask, the
    image of a form).

    Written by hand because these cases (soft and stencil masks, Decode arrays, forms) are what
    PDF producers emit and what a PDF library would not let us write directly.
    """
    objects: list[bytes] = [b"", b""]  # catalog and page tree, filled in last
    kids = []
    for content, xobjects in pages:
        names = []
        for name, body in xobjects.items():
            objects.append(body.replace(b"@@", str(len(objects) + 2).encode()))
            names.append(b"/%s %d 0 R" % (name.encode(), len(objects)))
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
        contents = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 300] /Resources << /XObject << "
            + b" ".join(names)
            + b" >> >> /Contents %d 0 R >>" % contents
        )
        kids.append(len(objects))
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % kid for kid in kids),
        len(kids),
    )
    return pdf_file(objects)


def _image_xobject(entries: str, data: bytes) -> bytes:
    return b"<< /Type /XObject /Subtype /Image %s /Length %d >>\nstream\n%s\nendstream" % (
        entries.encode(),
        len(data),
        data,
    )


DRAW = b"q 200 0 0 150 50 50 cm /Im0 Do Q"  # the picture at (50, 50), 200 x 150 pt
PICTURE = _picture()
RGB_ENTRIES = (
    "/Width 120 /Height 90 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode"
)
RGB_DATA = zlib.compress(PICTURE.tobytes())


def _as_on_page(pdf_bytes: bytes, found: EmbeddedImage, box: tuple[int, int, int, int]) -> float:
    """Mean difference (0-255) between a yielded picture and its place on the rendered page."""
    page = pdfium.PdfDocument(pdf_bytes)[found.page - 1]
    left, bottom, right, top = box
    scale = found.image.width / (right - left)
    rendered = page.render(scale=scale).to_pil().convert("RGB")
    height = page.get_height() * scale
    region = rendered.crop(
        (
            round(left * scale),
            round(height - top * scale),
            round(right * scale),
            round(height - bottom * scale),
        )
    ).resize(found.image.size)
    return sum(ImageStat.Stat(ImageChops.difference(region, found.image)).mean) / 3


def test_soft_mask_and_stencil_mask_come_out_as_on_the_page() -> None:
    alpha = Image.new("L", PICTURE.size, 0)
    ImageDraw.Draw(alpha).ellipse((10, 10, 110, 80), fill=255)
    stencil = Image.new("1", PICTURE.size, 0)
    ImageDraw.Draw(stencil).rectangle((0, 0, 59, 89), fill=1)
    gray = "/Width 120 /Height 90 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode"
    soft_mask = _image_xobject(gray, zlib.compress(alpha.tobytes()))
    masked = _image_xobject(RGB_ENTRIES + " /SMask @@ 0 R", RGB_DATA)
    stencil_mask = _image_xobject(
        "/Width 120 /Height 90 /ImageMask true /BitsPerComponent 1 /Filter /FlateDecode",
        zlib.compress(stencil.tobytes()),
    )
    document = _pdf(
        (DRAW, {"Im0": masked, "Sm0": soft_mask}),
        (DRAW, {"Im0": stencil_mask}),
    )
    pictures, _ = _all_from(document)
    assert [p.page for p in pictures] == [1, 2]
    with_alpha, masked_stencil = pictures
    # Outside the soft mask's ellipse the page shows white paper; inside, the picture.
    assert with_alpha.image.getpixel((1, 1)) == WHITE
    assert _close_to(with_alpha.image.getpixel((20, 45)), RED)
    # A stencil mask paints (black, the fill colour) where its samples are 0: the right half.
    # Its raw samples, decoded without rendering, would be the opposite.
    assert _close_to(masked_stencil.image.getpixel((10, 45)), WHITE)
    assert _close_to(masked_stencil.image.getpixel((110, 45)), BLACK)
    for picture in pictures:
        assert _as_on_page(document, picture, (50, 50, 250, 200)) < 8


def test_inverted_decode_form_xobjects_and_rotation_come_out_as_on_the_page() -> None:
    inverted_grey = _image_xobject(
        "/Width 120 /Height 90 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode"
        " /Decode [1 0]",
        zlib.compress(ImageChops.invert(PICTURE.convert("L")).tobytes()),
    )
    image_in_form = (
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 300 300] /Resources << /XObject << "
        b"/Im0 @@ 0 R >> >> /Length %d >>\nstream\n%s\nendstream" % (len(DRAW), DRAW)
    )
    rotated = b"q 0 200 -150 0 200 50 cm /Im0 Do Q"  # turned 90 degrees: 150 wide, 200 high
    document = _pdf(
        (DRAW, {"Im0": inverted_grey}),
        (b"q /Fm0 Do Q", {"Fm0": image_in_form, "Im0": _image_xobject(RGB_ENTRIES, RGB_DATA)}),
        (
            rotated,
            {
                "Im0": _image_xobject(
                    RGB_ENTRIES,
                    zlib.compress(_picture().transpose(Image.Transpose.FLIP_LEFT_RIGHT).tobytes()),
                )
            },
        ),
    )
    pictures, _ = _all_from(document)
    assert [p.page for p in pictures] == [1, 2, 3]
    grey, in_form, turned = pictures
    assert (
        _bands(grey.image, (5, 45))[0] == _bands(PICTURE.convert("L"), (5, 45))[0]
    )  # not inverted
    assert in_form.image.getpixel((5, 45)) == RED
    assert turned.image.height > turned.image.width  # as placed on the page, not as stored
    assert _as_on_page(document, grey, (50, 50, 250, 200)) < 8
    assert _as_on_page(document, in_form, (50, 50, 250, 200)) < 8
    assert _as_on_page(document, turned, (50, 50, 200, 250)) < 8


def _all_from(document: bytes, max_images: int = 20) -> tuple[list[EmbeddedImage], EmbeddedImages]:
    found = embedded_images(pdfium.PdfDocument(document), max_images)
    return list(found), found


def test_a_logo_on_every_page_is_one_picture() -> None:
    logo = _image_xobject(RGB_ENTRIES, RGB_DATA)
    photo = _image_xobject(RGB_ENTRIES, zlib.compress(PICTURE.rotate(180).tobytes()))
    document = _pdf(
        (DRAW, {"Im0": logo}),
        (DRAW + b" q 100 0 0 75 0 0 cm /Im1 Do Q", {"Im0": logo, "Im1": photo}),
        (DRAW, {"Im0": logo}),
    )
    pictures, found = _all_from(document)
    assert [(p.page, p.index) for p in pictures] == [(1, 1), (2, 2)]
    assert (found.duplicates, found.skipped) == (2, 0)


def test_max_images_zero_yields_nothing_and_counts_everything() -> None:
    document = _pdf((DRAW, {"Im0": _image_xobject(RGB_ENTRIES, RGB_DATA)}))
    pictures, found = _all_from(document, max_images=0)
    assert pictures == []
    assert (found.over_limit, found.skipped) == (1, 1)


# -- for_labeling --------------------------------------------------------------------------------


def _decoded(data: bytes, media_type: str) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == {"image/jpeg": "JPEG", "image/png": "PNG"}[media_type]
    image.load()
    return image


def _noise(size: tuple[int, int], mode: str) -> Image.Image:
    bands = [Image.effect_noise(size, 90) for _ in range(len(mode))]
    return bands[0] if mode == "L" else Image.merge(mode, bands)


def test_photo_becomes_jpeg_within_the_default_limits() -> None:
    data, media_type = for_labeling(_noise((6000, 4000), "RGB"))  # incompressible: worst case
    image = _decoded(data, media_type)
    assert media_type == "image/jpeg"
    assert max(image.size) == 4096 and image.size[0] / image.size[1] == pytest.approx(1.5, 0.01)
    assert len(data) <= 5 * 1024 * 1024


def test_transparency_is_kept_as_png() -> None:
    cut_out = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    ImageDraw.Draw(cut_out).ellipse((50, 50, 250, 150), fill=(*RED, 255))
    data, media_type = for_labeling(cut_out)
    image = _decoded(data, media_type)
    assert (media_type, image.mode, image.size) == ("image/png", "RGBA", (300, 200))
    assert _bands(image, (0, 0))[3] == 0 and _bands(image, (150, 100)) == (*RED, 255)


def test_tiny_line_art_is_enlarged_crisply_as_png(corpus: Path) -> None:
    smile = Image.open(corpus / "smile.png").convert("RGB")
    data, media_type = for_labeling(smile)
    image = _decoded(data, media_type).convert("RGB")
    assert (media_type, image.size) == ("image/png", (LABELING_MIN_SIDE, LABELING_MIN_SIDE))
    assert sorted(colour for _, colour in image.getcolors() or []) == sorted(
        colour for _, colour in smile.getcolors() or []
    )  # enlarged without blending: the same two colours


def test_extreme_strip_is_padded_not_stretched() -> None:
    strip = Image.new("RGB", (10_000, 50), RED)
    data, media_type = for_labeling(strip)
    image = _decoded(data, media_type).convert("RGB")
    assert image.size == (4096, LABELING_MIN_SIDE)
    assert image.getpixel((2048, 0)) == WHITE and image.getpixel((2048, 40)) == RED


def test_labeling_limits_must_be_satisfiable() -> None:
    with pytest.raises(ValueError, match="max_side"):
        for_labeling(_picture(), max_side=79)
    with pytest.raises(ValueError, match="max_bytes"):
        for_labeling(_picture(), max_bytes=1000)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    width=st.integers(1, 2500),
    height=st.integers(1, 2500),
    mode=st.sampled_from(["RGB", "L", "RGBA", "flat"]),
    max_side=st.integers(LABELING_MIN_SIDE, 2048),
    max_bytes=st.integers(8 * 1024, 400_000),
)
def test_labeling_bytes_are_within_every_limit(
    width: int, height: int, mode: str, max_side: int, max_bytes: int
) -> None:
    picture = (
        Image.new("RGB", (width, height), BLUE) if mode == "flat" else _noise((width, height), mode)
    )
    data, media_type = for_labeling(picture, max_side=max_side, max_bytes=max_bytes)
    image = _decoded(data, media_type)
    assert len(data) <= max_bytes
    assert min(image.size) >= LABELING_MIN_SIDE
    assert max(image.size) <= max(max_side, LABELING_MIN_SIDE)
    if mode == "flat" or (mode == "RGBA" and max_bytes >= 32 * 1024):
        # Flat colour is line art; transparency needs PNG, and an 80 px RGBA PNG fits in 32 KB.
        assert media_type == "image/png"
    elif mode in ("RGB", "L") and width * height > 64:
        assert media_type == "image/jpeg"  # noise is a photo, not line art
