"""Amazon Rekognition ``DetectLabels``: labels of a picture, their parent labels, and people."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scriba.aws.errors import service_errors
from scriba.cost.units import Billed, rekognition_images
from scriba.engines.ports import ImageLabels
from scriba.errors import ImageTooLarge, ScribaError, UnsupportedDocumentType
from scriba.models.tags import Label

if TYPE_CHECKING:
    from mypy_boto3_rekognition import RekognitionClient

    from scriba.config import Settings
    from scriba.media.labeling import Picture

ENGINE = "rekognition"
PERSON = "Person"

REKOGNITION_ERRORS: dict[str, type[ScribaError]] = {
    "ImageTooLargeException": ImageTooLarge,
    "InvalidImageFormatException": UnsupportedDocumentType,
    # ProvisionedThroughputExceededException and ThrottlingException:
    # scriba.aws.errors.THROTTLING_CODES;
    # InternalServerError: scriba.aws.errors.TRANSIENT_CODES.
}


def _clamped(confidence: Any) -> float:
    return min(max(float(confidence or 0.0), 0.0), 100.0)


class RekognitionLabeler:
    name = ENGINE

    def __init__(self, settings: Settings, *, client: RekognitionClient) -> None:
        self._client = client

    def billed(self, pictures: int) -> Billed:
        return rekognition_images(pictures)

    def label(self, picture: Picture, min_confidence: float, max_labels: int) -> ImageLabels:
        """Sends the picture as it was encoded for labeling (JPEG or PNG within DetectLabels'
        limits: 5 MB as bytes, 80 to 10,000 px per side)."""
        with service_errors(ENGINE, None, REKOGNITION_ERRORS):
            response = self._client.detect_labels(
                Image={"Bytes": picture.data},
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
