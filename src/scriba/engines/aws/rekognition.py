"""Amazon Rekognition ``DetectLabels``: labels of a picture, their parent labels, and people."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from scriba.aws.clients import client as aws_client
from scriba.aws.errors import service_errors
from scriba.errors import ImageTooLarge, ScribaError, UnsupportedDocumentType
from scriba.media.images import for_labeling
from scriba.models.tags import ImageLabels, Label

if TYPE_CHECKING:
    from mypy_boto3_rekognition import RekognitionClient
    from PIL import Image

    from scriba.config import Settings

ENGINE = "rekognition"
PERSON = "Person"

REKOGNITION_ERRORS: dict[str, type[ScribaError]] = {
    "ImageTooLargeException": ImageTooLarge,
    "InvalidImageFormatException": UnsupportedDocumentType,
    # ProvisionedThroughputExceededException and ThrottlingException:
    # scriba.aws.errors.THROTTLING_CODES;
    # InternalServerError: scriba.aws.errors.TRANSIENT_CODES.
}

Encoder = Callable[["Image.Image"], tuple[bytes, str]]


def _clamped(confidence: Any) -> float:
    return min(max(float(confidence or 0.0), 0.0), 100.0)


class RekognitionLabeler:
    name = ENGINE

    def __init__(
        self,
        settings: Settings,
        client: RekognitionClient | None = None,
        encode: Encoder | None = None,
    ) -> None:
        self._client: RekognitionClient = client if client is not None else aws_client(ENGINE)
        # JPEG or PNG within DetectLabels' limits: 5 MB as bytes, 80 to 10,000 px per side
        # (smaller pictures are scaled up).
        self._encode: Encoder = encode or for_labeling

    def label(self, image: Image.Image, min_confidence: float, max_labels: int) -> ImageLabels:
        data, _ = self._encode(image)
        with service_errors(ENGINE, None, REKOGNITION_ERRORS):
            response = self._client.detect_labels(
                Image={"Bytes": data},
                MinConfidence=float(min_confidence),
                MaxLabels=int(max_labels),
            )
        found = response.get("Labels") or []
        labels = [
            Label(
                name=str(label["Name"]),
                confidence=_clamped(label.get("Confidence")),
                categories=[str(parent["Name"]) for parent in label.get("Parents") or []],
            )
            for label in found
            if label.get("Name")
        ]
        labels.sort(key=lambda label: (-label.confidence, label.name))
        # DetectLabels does not count faces: each "Person" instance (a bounding box around one
        # person) is the closest figure it gives. Labels such as "Man" or "Child" have "Person"
        # among their parents and mean people too, even when "Person" itself fell below the
        # confidence threshold.
        people_instances = sum(
            len(label.get("Instances") or []) for label in found if label.get("Name") == PERSON
        )
        people = people_instances > 0 or any(
            label.name == PERSON or PERSON in label.categories for label in labels
        )
        return ImageLabels(labels=labels, faces=people_instances, people=people)
