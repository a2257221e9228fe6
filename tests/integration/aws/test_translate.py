"""Amazon Translate: the request, the route, the byte limit and the errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from scriba.config import Settings
from scriba.engines.aws.translate import AwsTranslator
from scriba.engines.ports import Translator
from scriba.errors import (
    EngineFailed,
    Throttled,
    TransientServiceError,
    UnsupportedLanguage,
    UnsupportedLanguagePair,
)
from tests.integration.aws.support import load_fixture

Stubbed = Callable[[str], tuple[Any, Any]]

SUMMARY = (
    "The cooperative processed 1,240 tonnes of coffee in 2023. "
    "Revenue rose by 12% compared with 2022."
)


def test_translate_sends_the_text_and_both_languages(stubbed: Stubbed) -> None:
    client, stubber = stubbed("translate")
    stubber.add_response(
        "translate_text",
        load_fixture("translate-translate-text.json"),
        expected_params={"Text": SUMMARY, "SourceLanguageCode": "en", "TargetLanguageCode": "es"},
    )
    translator = AwsTranslator(Settings(), client=client)
    assert isinstance(translator, Translator)
    assert translator.name == "amazon-translate"

    result = translator.translate(SUMMARY, "en", "es")

    assert result.text.startswith("La cooperativa procesó 1.240 toneladas de café")
    assert result.route == ["en", "es"]


@pytest.mark.parametrize("source", ["", "auto", "und", "unknown"])
def test_an_unknown_source_is_detected_by_translate(stubbed: Stubbed, source: str) -> None:
    client, stubber = stubbed("translate")
    stubber.add_response(
        "translate_text",
        {
            "TranslatedText": "Die Genossenschaft",
            "SourceLanguageCode": "en",
            "TargetLanguageCode": "de",
        },
        expected_params={
            "Text": "The cooperative",
            "SourceLanguageCode": "auto",
            "TargetLanguageCode": "de",
        },
    )
    result = AwsTranslator(Settings(), client=client).translate("The cooperative", source, "de")
    assert result.route == ["en", "de"]


def test_regional_codes_are_sent_as_translate_writes_them(stubbed: Stubbed) -> None:
    client, stubber = stubbed("translate")
    stubber.add_response(
        "translate_text",
        {"TranslatedText": "合作社", "SourceLanguageCode": "en", "TargetLanguageCode": "zh-TW"},
        expected_params={
            "Text": "The cooperative",
            "SourceLanguageCode": "en",
            "TargetLanguageCode": "zh-TW",
        },
    )
    result = AwsTranslator(Settings(), client=client).translate("The cooperative", "en", "zh-tw")
    assert (result.text, result.route) == ("合作社", ["en", "zh-tw"])


def test_text_over_10000_utf8_bytes_is_refused_without_a_call(stubbed: Stubbed) -> None:
    client, _ = stubbed("translate")
    text = "€" * 3_334  # 3,334 characters but 10,002 bytes
    with pytest.raises(EngineFailed, match="10,002 bytes"):
        AwsTranslator(Settings(), client=client).translate(text, "fr", "en")


def test_text_of_exactly_10000_bytes_is_sent(stubbed: Stubbed) -> None:
    client, stubber = stubbed("translate")
    text = "é" * 5_000  # 10,000 bytes
    stubber.add_response(
        "translate_text",
        {"TranslatedText": "e" * 5_000, "SourceLanguageCode": "fr", "TargetLanguageCode": "en"},
        expected_params={"Text": text, "SourceLanguageCode": "fr", "TargetLanguageCode": "en"},
    )
    assert AwsTranslator(Settings(), client=client).translate(text, "fr", "en").route == [
        "fr",
        "en",
    ]


def test_an_unsupported_language_is_refused_naming_the_supported_ones(stubbed: Stubbed) -> None:
    client, _ = stubbed("translate")
    translator = AwsTranslator(Settings(), client=client)
    with pytest.raises(UnsupportedLanguagePair, match=r"into 'tlh'.*\bes\b"):
        translator.translate(SUMMARY, "en", "tlh")
    with pytest.raises(UnsupportedLanguagePair, match="from 'tlh'"):
        translator.translate(SUMMARY, "tlh", "en")


def test_same_language_or_empty_text_needs_no_call(stubbed: Stubbed) -> None:
    client, _ = stubbed("translate")
    translator = AwsTranslator(Settings(), client=client)
    assert translator.translate(SUMMARY, "en", "en").text == SUMMARY
    assert translator.translate("  ", "en", "fr").text == "  "


def test_supported_targets(stubbed: Stubbed) -> None:
    client, _ = stubbed("translate")
    translator = AwsTranslator(Settings(), client=client)
    targets = translator.supported_targets("en")
    assert "en" not in targets
    assert {"es", "fr", "de", "pt-pt", "zh-tw", "fr-ca"} <= set(targets)
    assert len(targets) == 74  # 75 languages in the developer guide, less the source
    assert translator.supported_targets("tlh") == []
    assert len(translator.supported_targets("auto")) == 75


@pytest.mark.parametrize(
    ("code", "status", "expected", "message"),
    [
        ("TooManyRequestsException", 429, Throttled, "TooManyRequests"),
        ("ThrottlingException", 400, Throttled, "Throttling"),
        ("ServiceUnavailableException", 503, TransientServiceError, "ServiceUnavailable"),
        ("InternalServerException", 500, TransientServiceError, "InternalServer"),
        (
            "UnsupportedLanguagePairException",
            400,
            UnsupportedLanguagePair,
            "UnsupportedLanguagePair",
        ),
        ("TextSizeLimitExceededException", 400, EngineFailed, "TextSizeLimitExceeded"),
        (
            "DetectedLanguageLowConfidenceException",
            400,
            UnsupportedLanguage,
            "could not tell the language",
        ),
    ],
)
def test_errors_are_typed(
    stubbed: Stubbed, code: str, status: int, expected: type[Exception], message: str
) -> None:
    client, stubber = stubbed("translate")
    stubber.add_client_error(
        "translate_text", service_error_code=code, service_message=code, http_status_code=status
    )
    with pytest.raises(expected, match=message) as raised:
        AwsTranslator(Settings(), client=client).translate(SUMMARY, "auto", "es")
    assert type(raised.value) is expected
