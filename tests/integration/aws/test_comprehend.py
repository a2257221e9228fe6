"""Amazon Comprehend DetectDominantLanguage: the sample sent and the code returned."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.stub import ANY

from scriba.config import Settings
from scriba.engines.aws.comprehend import SAMPLE_BYTES, ComprehendDetector
from scriba.engines.ports import LanguageDetector
from scriba.errors import EngineFailed, Throttled, TransientServiceError
from tests.integration.aws.support import capture, load_fixture

Stubbed = Callable[[str], tuple[Any, Any]]

GERMAN = "Die Genossenschaft verarbeitete im Jahr 2023 insgesamt 1.240 Tonnen Kaffee."


def test_detects_the_dominant_language(stubbed: Stubbed) -> None:
    client, stubber = stubbed("comprehend")
    stubber.add_response(
        "detect_dominant_language",
        load_fixture("comprehend-detect-dominant-language.json"),
        expected_params={"Text": GERMAN},
    )
    detector = ComprehendDetector(Settings(), client=client)
    assert isinstance(detector, LanguageDetector)
    assert detector.detect(GERMAN) == "de"


def test_only_the_first_5000_bytes_are_sent_and_never_half_a_character(stubbed: Stubbed) -> None:
    client, stubber = stubbed("comprehend")
    text = "Größenverhältnisse über Straßenbahnen änderten sich ständig. " * 300  # 19,800 bytes
    stubber.add_response(
        "detect_dominant_language",
        load_fixture("comprehend-detect-dominant-language.json"),
        expected_params={"Text": ANY},
    )
    requests = capture(client, "DetectDominantLanguage")

    assert ComprehendDetector(Settings(), client=client).detect(text) == "de"

    sent = requests[0]["Text"]
    assert len(sent.encode("utf-8")) <= SAMPLE_BYTES
    assert len(sent.encode("utf-8")) > SAMPLE_BYTES - 100
    assert text.startswith(sent)
    assert not sent.endswith(" ")


@pytest.mark.parametrize(
    ("languages", "expected"),
    [
        ([{"LanguageCode": "en", "Score": 0.42}, {"LanguageCode": "de", "Score": 0.40}], None),
        ([{"LanguageCode": "en", "Score": 0.2}, {"LanguageCode": "fr", "Score": 0.77}], "fr"),
        ([{"LanguageCode": "zh-TW", "Score": 0.99}], "zh"),
        ([], None),
    ],
)
def test_the_code_of_a_confident_answer_only(
    stubbed: Stubbed, languages: list[dict[str, Any]], expected: str | None
) -> None:
    client, stubber = stubbed("comprehend")
    stubber.add_response("detect_dominant_language", {"Languages": languages})
    assert ComprehendDetector(Settings(), client=client).detect(GERMAN) == expected


def test_a_text_too_short_to_tell_makes_no_call(stubbed: Stubbed) -> None:
    client, _ = stubbed("comprehend")
    assert ComprehendDetector(Settings(), client=client).detect("  Kaffee \n 2023 ") is None


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("TooManyRequestsException", 429, Throttled),
        ("InternalServerException", 500, TransientServiceError),
        ("TextSizeLimitExceededException", 400, EngineFailed),
    ],
)
def test_errors_are_typed(
    stubbed: Stubbed, code: str, status: int, expected: type[Exception]
) -> None:
    client, stubber = stubbed("comprehend")
    stubber.add_client_error(
        "detect_dominant_language",
        service_error_code=code,
        service_message=code,
        http_status_code=status,
    )
    with pytest.raises(expected) as raised:
        ComprehendDetector(Settings(), client=client).detect(GERMAN)
    assert type(raised.value) is expected


def test_pages_are_detected_in_batches_of_25_and_short_ones_not_sent(stubbed: Stubbed) -> None:
    client, stubber = stubbed("comprehend")
    pages = [f"{GERMAN} Seite {number}." for number in range(30)]
    pages.insert(3, "Anhang")  # too short to tell: never sent
    first = [text for text in pages if text != "Anhang"][:25]
    stubber.add_response(
        "batch_detect_dominant_language",
        {
            "ResultList": [
                {"Index": index, "Languages": [{"LanguageCode": "de", "Score": 0.99}]}
                for index in range(25)
            ],
            "ErrorList": [],
        },
        expected_params={"TextList": first},
    )
    stubber.add_response(
        "batch_detect_dominant_language",
        {
            "ResultList": [
                {"Index": 0, "Languages": [{"LanguageCode": "fr-CA", "Score": 0.9}]},
                {"Index": 1, "Languages": [{"LanguageCode": "de", "Score": 0.3}]},
            ],
            "ErrorList": [{"Index": 2, "ErrorCode": "INTERNAL_SERVER_ERROR"}],
        },
        expected_params={"TextList": ANY},
    )

    found = ComprehendDetector(Settings(), client=client).detect_each(pages)

    assert found[:3] == ["de", "de", "de"]
    assert found[3] is None
    assert found[4:26] == ["de"] * 22
    assert found[26:] == ["fr", None, None, None, None]
    stubber.assert_no_pending_responses()
