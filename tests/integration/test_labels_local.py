"""The offline labeler, for real: EfficientNet-Lite0 labels and OpenCV faces on real pictures.

Real photos come from scikit-image's bundled sample data (``skimage/data``, in the wheel: no
download): a cat, an espresso, a cameraman, the astronaut Eileen Collins, and 25x25 faces from
Labeled Faces in the Wild. Documents come from the corpus.
"""

from __future__ import annotations

import importlib.util
import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageOps

from scriba.aws.clients import AwsClients
from scriba.config import Settings
from scriba.engines import Engines
from scriba.engines.local.labels import (
    ENGINE,
    FRONTAL_FACE_CONFIDENCE,
    PERSON,
    LocalImageLabeler,
    imagenet_hierarchy,
    models,
)
from scriba.engines.ports import ImageLabeler, ImageLabels
from scriba.media.labeling import Picture, for_labeling
from scriba.media.pdf_pictures import embedded_images

pytestmark = pytest.mark.local_engines

HIERARCHY = imagenet_hierarchy()
CLASSES = set(HIERARCHY.class_names)
MAMMALS = {name for name in CLASSES if "Mammal" in HIERARCHY.ancestors[name]}
DOMESTIC_CATS = {name for name in CLASSES if "Cat" in HIERARCHY.ancestors[name]} & {
    name for name in CLASSES if "Domestic Animal" in HIERARCHY.ancestors[name]
}


@pytest.fixture(scope="module")
def labeler() -> LocalImageLabeler:
    return LocalImageLabeler(Settings(engines="local"))


@pytest.fixture(scope="module")
def samples() -> Path:
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("scikit-image (dev extra) ships the sample photos")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _photo(samples: Path, name: str) -> Image.Image:
    with Image.open(samples / name) as opened:
        return opened.convert("RGB")


def _well_formed(result: ImageLabels, min_confidence: float, max_labels: int) -> None:
    confidences = [label.confidence for label in result.labels]
    assert len(result.labels) <= max_labels
    assert confidences == sorted(confidences, reverse=True)
    assert all(min_confidence <= confidence <= 100 for confidence in confidences)
    assert len({label.name for label in result.labels}) == len(result.labels)
    # Labels carry their ancestors, and a parent is at least as sure as each of its children.
    by_name = {label.name: label for label in result.labels}
    for label in result.labels:
        assert label.categories == list(HIERARCHY.ancestors[label.name])
        for parent in label.categories:
            assert parent not in by_name or by_name[parent].confidence >= label.confidence


def _classes(result: ImageLabels) -> list[str]:
    """The ImageNet classes among the labels (not the levels above them), most confident first."""
    return [label.name for label in result.labels if label.name in CLASSES]


def test_factory_builds_the_labeler_for_the_port() -> None:
    built = Engines(Settings(engines="local"), AwsClients()).labeler
    assert isinstance(built, ImageLabeler)
    assert built.name == ENGINE == "efficientnet-lite0+opencv"
    assert models() is models()  # loaded once per process


def test_photo_embedded_in_a_latex_document(labeler: LocalImageLabeler, corpus: Path) -> None:
    # A coati on a branch. ImageNet has no coati: its nearest classes are other mammals, none of
    # them confidently; together they make a confident "Mammal" and "Animal".
    (photo,) = embedded_images(pdfium.PdfDocument(corpus / "pdflatex-image.pdf"), 5)
    result = labeler.label(Picture.of(photo.image), min_confidence=70, max_labels=10)
    _well_formed(result, 70, 10)
    assert [label.name for label in result.labels] == ["Animal", "Mammal"]
    assert result.labels[1].categories == ["Animal"]
    assert (result.faces, result.people) == (0, False)

    everything = labeler.label(Picture.of(photo.image), min_confidence=0, max_labels=2000)
    _well_formed(everything, 0, 2000)
    assert set(_classes(everything)[:5]) <= MAMMALS
    assert everything.labels[0].confidence < 100
    # The levels are sums of the classes' probabilities, which add up to 100 %.
    confidence = {label.name: label.confidence for label in everything.labels}
    assert sum(confidence[name] for name in CLASSES) == pytest.approx(100, abs=0.5)
    mammals = sum(confidence[name] for name in MAMMALS)
    assert confidence["Mammal"] == pytest.approx(mammals, abs=0.3)


def test_aerial_photo_in_a_cmyk_scan(labeler: LocalImageLabeler, corpus: Path) -> None:
    # Clouds and forest seen past a small plane's wing.
    (photo,) = embedded_images(pdfium.PdfDocument(corpus / "cmyk-image.pdf"), 5)
    result = labeler.label(Picture.of(photo.image), min_confidence=70, max_labels=10)
    _well_formed(result, 70, 10)
    wing = next(label for label in result.labels if label.name == "Airplane Wing")
    assert wing.confidence > 85
    assert wing.categories[:3] == ["Airplane", "Aircraft", "Vehicle"]
    # Nothing else: every other label is one of the wing's parents.
    assert {label.name for label in result.labels} == {wing.name, *wing.categories}
    assert result.people is False


def test_real_photos_get_their_labels(labeler: LocalImageLabeler, samples: Path) -> None:
    espresso = labeler.label(
        Picture.of(_photo(samples, "coffee.png")), min_confidence=70, max_labels=10
    )
    _well_formed(espresso, 70, 10)
    assert _classes(espresso) == ["Espresso"]
    assert {label.name for label in espresso.labels} == {"Espresso", "Coffee", "Beverage", "Food"}
    assert espresso.labels[-1].confidence > 80

    cat = labeler.label(
        Picture.of(_photo(samples, "chelsea.png")), min_confidence=70, max_labels=10
    )
    _well_formed(cat, 70, 10)
    assert {"Cat", "Domestic Animal", "Mammal"} <= {label.name for label in cat.labels}
    assert (
        set(_classes(labeler.label(Picture.of(_photo(samples, "chelsea.png")), 5, 20)))
        <= DOMESTIC_CATS
    )
    assert (cat.faces, cat.people) == (0, False)  # a cat's face is not a person's


def test_a_face_makes_a_person(labeler: LocalImageLabeler, samples: Path) -> None:
    astronaut = labeler.label(
        Picture.of(_photo(samples, "astronaut.png")), min_confidence=70, max_labels=10
    )
    assert astronaut.faces == 1
    assert astronaut.people is True
    assert [(label.name, label.confidence) for label in astronaut.labels] == [
        (PERSON, FRONTAL_FACE_CONFIDENCE)
    ]


def test_a_face_in_profile_counts_too(labeler: LocalImageLabeler, samples: Path) -> None:
    # The cameraman looks into his camera, side on; the classifier sees the tripod.
    with Image.open(samples / "camera.png") as grey:
        result = labeler.label(Picture.of(grey), min_confidence=70, max_labels=10)
    assert (result.faces, result.people) == (1, True)
    assert [label.name for label in result.labels] == ["Device", "Tripod", PERSON]


def test_faces_are_counted(labeler: LocalImageLabeler, samples: Path) -> None:
    # Four 25x25 LFW faces, enlarged, two by two.
    faces = np.load(samples / "lfw_subset.npy")[:4]  # the first 100 are faces
    grid = Image.new("L", (320, 320), 128)
    for position, face in enumerate(faces):
        tile = Image.fromarray((face * 255).astype(np.uint8)).resize(
            (100, 100), Image.Resampling.BICUBIC
        )
        grid.paste(
            ImageOps.expand(tile, 30, fill=128), ((position % 2) * 160, (position // 2) * 160)
        )
    result = labeler.label(Picture.of(grid), min_confidence=50, max_labels=5)
    assert (result.faces, result.people) == (4, True)
    assert result.labels[0].name == PERSON


@pytest.mark.parametrize(
    ("document", "pages"),
    [
        ("pdflatex-4-pages.pdf", [1, 2, 3, 4]),
        ("multicolumn.pdf", [1, 2, 3]),
        ("GeoTopo-komprimiert.pdf", [76]),  # a shaded sphere, that the upper-body cascade took
    ],
)
def test_text_pages_have_no_faces(
    labeler: LocalImageLabeler, corpus: Path, document: str, pages: list[int]
) -> None:
    # Haar cascades fire on text when tuned loosely: scanned pages must not gain people.
    pdf = pdfium.PdfDocument(corpus / document)
    for number in pages:
        page = pdf[number - 1].render(scale=150 / 72).to_pil().convert("L")
        result = labeler.label(Picture.of(page), min_confidence=50, max_labels=10)
        assert (number, result.faces, result.people) == (number, 0, False)
        assert PERSON not in {label.name for label in result.labels}


def test_tiny_corpus_png_is_labelled_as_stored(labeler: LocalImageLabeler, corpus: Path) -> None:
    # smile.png is 16x16: under load_image's default minimum of 32 px for OCR, but the tag stage
    # labels it, and stores it as for_labeling encodes it (80x80 PNG).
    with Image.open(corpus / "smile.png") as smile:
        direct = labeler.label(Picture.of(smile), min_confidence=0, max_labels=5)
        data, media_type = for_labeling(smile)
    stored = labeler.label(Picture.of(Image.open(io.BytesIO(data))), min_confidence=0, max_labels=5)
    for result in (direct, stored):
        _well_formed(result, 0, 5)
        assert len(result.labels) == 5
        assert (result.faces, result.people) == (0, False)
    assert media_type == "image/png"


def test_transparent_and_grey_pictures(labeler: LocalImageLabeler, samples: Path) -> None:
    coffee = _photo(samples, "coffee.png")
    cut_out = coffee.convert("RGBA")
    cut_out.putalpha(255)
    grey = coffee.convert("L")
    for picture in (cut_out, grey):
        result = labeler.label(Picture.of(picture), min_confidence=50, max_labels=5)
        assert "Espresso" in _classes(result)


def test_threads_get_the_answers_of_one_thread(labeler: LocalImageLabeler, samples: Path) -> None:
    pictures = [_photo(samples, name) for name in ("coffee.png", "astronaut.png", "chelsea.png")]
    alone = [labeler.label(Picture.of(picture), 1, 5) for picture in pictures]
    with ThreadPoolExecutor(max_workers=3) as pool:
        together = list(
            pool.map(lambda picture: labeler.label(Picture.of(picture), 1, 5), pictures * 2)
        )
    assert together == alone * 2
