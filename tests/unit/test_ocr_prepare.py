"""The pure parts of the Tesseract engine's preparation: skew, scale and box mapping."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from scriba.engines.local.tesseract import Geometry, grain, skew_angle


def _lines(angle: float) -> np.ndarray:
    """An ink mask of twenty text-like lines, turned by ``angle`` degrees (cv2's sense)."""
    mask = np.zeros((600, 600), dtype=np.uint8)
    for row in range(60, 560, 25):
        mask[row : row + 8, 80:520] = 255
    matrix = cv2.getRotationMatrix2D((300, 300), angle, 1.0)
    return np.asarray(cv2.warpAffine(mask, matrix, (600, 600)) > 127, dtype=np.uint8)


@pytest.mark.parametrize("angle", [0.0, 1.5, -3.0, 4.5, 88.0])
def test_skew_angle_levels_the_lines(angle: float) -> None:
    expected = -angle if abs(angle) < 45 else 90.0 - angle
    assert skew_angle(_lines(angle)) == pytest.approx(expected, abs=0.2)


@pytest.mark.parametrize(("angle", "scale"), [(0.0, 2.0), (3.0, 1.0), (-4.5, 1.8)])
def test_boxes_map_back_to_the_image_as_given(angle: float, scale: float) -> None:
    geometry = Geometry(1000, 1400, angle, scale)
    left, top, right, bottom = 200.0, 300.0, 400.0, 340.0
    corners = np.asarray([[left, top, 1.0], [right, bottom, 1.0]])
    xs, ys = (corners @ geometry.matrix().T).T
    box = geometry.to_source((round(xs.min()), round(ys.min()), round(xs.max()), round(ys.max())))
    # The centre comes back where it was; the box grows at most by the turn.
    assert box.left + box.width / 2 == pytest.approx(0.3, abs=0.003)
    assert box.top + box.height / 2 == pytest.approx(320 / 1400, abs=0.003)
    assert geometry.size[0] >= 1000 * scale - 1


def test_identity_geometry_gives_plain_fractions() -> None:
    box = Geometry(100, 200).to_source((10, 20, 30, 60))
    assert (box.left, box.top, box.width, box.height) == pytest.approx((0.1, 0.1, 0.2, 0.2))


def test_grain_tells_a_noisy_page_from_a_clean_or_blurred_one() -> None:
    rng = np.random.default_rng(3)
    page = np.full((800, 600), 235, dtype=np.uint8)
    page[100:700:30, 60:540] = 20  # lines of "text"
    noisy = np.clip(page + rng.normal(0, 40, page.shape), 0, 255).astype(np.uint8)
    blurred = np.asarray(cv2.GaussianBlur(page, (9, 9), 3), dtype=np.uint8)
    assert grain(page) < 1 and grain(blurred) < 1
    assert grain(noisy) > 4
