"""Rekognition DetectLabels: the image bytes and thresholds sent, the labels and people read."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from botocore.stub import ANY
from PIL import Image, ImageDraw

from scriba.config import Settings
from scriba.engines.aws.rekognition import RekognitionLabeler
from scriba.engines.ports import ImageLabeler
from scriba.errors import (
    EngineFailed,
    ImageTooLarge,
    Throttled,
    TransientServiceError,
    UnsupportedDocumentType,
)
from scriba.media.labeling import Picture, for_labeling
from tests.integration.aws.support import capture, load_fixture

Stubbed = Callable[[str], tuple[Any, Any]]


def photo(width: int = 640, height: int = 480) -> Image.Image:
    image = Image.new("RGB", (width, height), (90, 140, 200))
    draw = ImageDraw.Draw(image)
    draw.ellipse((width // 3, height // 4, width // 2, height // 2), fill=(230, 190, 160))
    draw.rectangle((0, height * 3 // 4, width, height), fill=(70, 70, 70))
    return image


def jpeg(image: Image.Image) -> tuple[bytes, str]:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue(), "image/jpeg"


def jpeg_picture(image: Image.Image) -> Picture:
    """The picture as the tag stage would hand it over, encoded here as a plain JPEG."""
    return Picture(image, *jpeg(image))


def test_labels_people_and_parent_categories(stubbed: Stubbed) -> None:
    client, stubber = stubbed("rekognition")
    image = photo()
    stubber.add_response(
        "detect_labels",
        load_fixture("rekognition-detect-labels.json"),
        expected_params={
            "Image": {"Bytes": jpeg(image)[0]},
            "MinConfidence": 70.0,
            "MaxLabels": 10,
        },
    )
    labeler = RekognitionLabeler(Settings(), client=client)
    assert isinstance(labeler, ImageLabeler)

    result = labeler.label(jpeg_picture(image), min_confidence=70, max_labels=10)

    names = [label.name for label in result.labels]
    assert names == ["Bicycle", "Transportation", "Vehicle", "Person", "Adult", "Road"]
    confidences = [label.confidence for label in result.labels]
    assert confidences == sorted(confidences, reverse=True)
    by_name = {label.name: label for label in result.labels}
    assert by_name["Bicycle"].categories == ["Transportation", "Vehicle"]
    assert by_name["Adult"].categories == ["Person"]
    assert by_name["Road"].categories == []
    assert result.people is True
    assert result.faces == 2  # two Person instances


def test_no_people_in_a_picture_of_things(stubbed: Stubbed) -> None:
    client, stubber = stubbed("rekognition")
    response = load_fixture("rekognition-detect-labels.json")
    response["Labels"] = [
        label for label in response["Labels"] if label["Name"] not in {"Person", "Adult"}
    ]
    stubber.add_response("detect_labels", response)

    result = RekognitionLabeler(Settings(), client=client).label(jpeg_picture(photo()), 50, 20)

    assert result.people is False
    assert result.faces == 0
    assert "Bicycle" in {label.name for label in result.labels}


def test_a_child_label_of_person_means_people(stubbed: Stubbed) -> None:
    client, stubber = stubbed("rekognition")
    stubber.add_response(
        "detect_labels",
        {
            "Labels": [
                {
                    "Name": "Man",
                    "Confidence": 88.5,
                    "Instances": [],
                    "Parents": [{"Name": "Adult"}, {"Name": "Person"}],
                }
            ],
            "LabelModelVersion": "3.0",
        },
    )
    result = RekognitionLabeler(Settings(), client=client).label(jpeg_picture(photo()), 80, 5)
    assert (result.people, result.faces) == (True, 0)


def test_a_small_picture_is_sent_scaled_up_to_rekognition_minimum(stubbed: Stubbed) -> None:
    client, stubber = stubbed("rekognition")
    stubber.add_response(
        "detect_labels",
        load_fixture("rekognition-detect-labels.json"),
        expected_params={"Image": {"Bytes": ANY}, "MinConfidence": 70.0, "MaxLabels": 10},
    )
    requests = capture(client, "DetectLabels")
    RekognitionLabeler(Settings(), client=client).label(Picture.of(photo(60, 200)), 70, 10)
    sent = Image.open(io.BytesIO(requests[0]["Image"]["Bytes"]))
    assert min(sent.size) >= 80


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("ProvisionedThroughputExceededException", 400, Throttled),
        ("ThrottlingException", 500, Throttled),
        ("InternalServerError", 500, TransientServiceError),
        ("ImageTooLargeException", 400, ImageTooLarge),
        ("InvalidImageFormatException", 400, UnsupportedDocumentType),
        ("InvalidParameterException", 400, EngineFailed),
    ],
)
def test_errors_are_typed(
    stubbed: Stubbed, code: str, status: int, expected: type[Exception]
) -> None:
    client, stubber = stubbed("rekognition")
    stubber.add_client_error(
        "detect_labels", service_error_code=code, service_message=code, http_status_code=status
    )
    with pytest.raises(expected) as raised:
        RekognitionLabeler(Settings(), client=client).label(jpeg_picture(photo()), 70, 10)
    assert type(raised.value) is expected


def test_a_large_picture_is_sent_within_rekognition_limits(stubbed: Stubbed) -> None:
    client, stubber = stubbed("rekognition")
    image = photo(5000, 3000)
    data, _ = for_labeling(image)
    stubber.add_response(
        "detect_labels",
        load_fixture("rekognition-detect-labels.json"),
        expected_params={"Image": {"Bytes": data}, "MinConfidence": 70.0, "MaxLabels": 10},
    )
    RekognitionLabeler(Settings(), client=client).label(Picture.of(image), 70, 10)
    assert len(data) <= 5 * 1024 * 1024
    assert max(Image.open(io.BytesIO(data)).size) <= 4096
