"""Amazon Translate ``TranslateText``: one request of at most 10,000 UTF-8 bytes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scriba.aws.errors import service_errors
from scriba.cost.units import Billed, translate_characters
from scriba.engines.ports import TranslatedText
from scriba.errors import (
    EngineFailed,
    ScribaError,
    Throttled,
    TransientServiceError,
    UnsupportedLanguage,
    UnsupportedLanguagePair,
)

if TYPE_CHECKING:
    from mypy_boto3_translate import TranslateClient

    from scriba.config import Settings

ENGINE = "amazon-translate"
SERVICE = "translate"

# "Supported languages and language codes" (Amazon Translate developer guide): every language
# translates to and from every other. A static list avoids a ListLanguages call (and its IAM
# permission) on every cold start. Codes are lower-case here, as scriba's settings write them;
# ``aws_code`` restores the region subtag's case for the API.
# fmt: off
LANGUAGES: frozenset[str] = frozenset((
    "af", "sq", "am", "ar", "hy", "az", "bn", "bs", "bg", "ca", "zh", "zh-tw", "hr", "cs",
    "da", "fa-af", "nl", "en", "et", "fa", "tl", "fi", "fr", "fr-ca", "ka", "de", "el",
    "gu", "ht", "ha", "he", "hi", "hu", "is", "id", "ga", "it", "ja", "kn", "kk", "ko",
    "lv", "lt", "mk", "ms", "ml", "mt", "mr", "mn", "no", "ps", "pl", "pt", "pt-pt", "pa",
    "ro", "ru", "sr", "si", "sk", "sl", "so", "es", "es-mx", "sw", "sv", "ta", "te", "th",
    "tr", "uk", "ur", "uz", "vi", "cy",
))
# fmt: on
AUTO = "auto"
_UNKNOWN = frozenset({"", AUTO, "und", "unknown", "none", "null", "xx"})

TRANSLATE_ERRORS: dict[str, type[ScribaError]] = {
    "TooManyRequestsException": Throttled,
    "ThrottlingException": Throttled,
    "ServiceUnavailableException": TransientServiceError,
    "InternalServerException": TransientServiceError,
    "UnsupportedLanguagePairException": UnsupportedLanguagePair,
    # The stage splits text below max_request_bytes: reaching this is a bug, not bad input.
    "TextSizeLimitExceededException": EngineFailed,
    "DetectedLanguageLowConfidenceException": UnsupportedLanguage,
}


def normalized(code: str | None) -> str:
    """A language code as scriba writes it (``zh-TW`` -> ``zh-tw``), ``auto`` when unknown."""
    value = (code or "").strip().replace("_", "-").lower()
    return AUTO if value in _UNKNOWN else value


def aws_code(code: str) -> str:
    """The code as Amazon Translate writes it: ``zh-tw`` -> ``zh-TW``."""
    language, _, region = code.partition("-")
    return f"{language}-{region.upper()}" if region else language


class AwsTranslator:
    name = ENGINE
    # TranslateText accepts at most 10,000 bytes of UTF-8 (the model's "10000" is a byte count in
    # the API reference); the stage chunks on sentence boundaries to fit.
    max_request_bytes = 10_000

    def __init__(self, settings: Settings, *, client: TranslateClient) -> None:
        self._client = client

    def supported_targets(self, source: str) -> list[str]:
        source = normalized(source)
        if source != AUTO and source not in LANGUAGES:
            return []
        return sorted(LANGUAGES - {source})

    def billed(self, characters: int) -> Billed:
        """Amazon Translate bills every character sent."""
        return translate_characters(characters)

    def translate(self, text: str, source: str, target: str) -> TranslatedText:
        source, target = normalized(source), normalized(target)
        if target == AUTO or target not in LANGUAGES:
            raise UnsupportedLanguagePair(
                f"Amazon Translate cannot translate into {target!r}; it translates into "
                f"{', '.join(sorted(LANGUAGES))}"
            )
        if source != AUTO and source not in LANGUAGES:
            raise UnsupportedLanguagePair(
                f"Amazon Translate cannot translate from {source!r}; it translates from "
                f"{', '.join(sorted(LANGUAGES))}"
            )
        size = len(text.encode("utf-8"))
        if size > self.max_request_bytes:
            raise EngineFailed(
                f"text of {size:,} bytes is over Amazon Translate's limit of "
                f"{self.max_request_bytes:,} UTF-8 bytes per request; split it first"
            )
        if not text.strip():
            # Nothing to send (the API refuses empty text); no language was passed through.
            return TranslatedText(text=text, route=[target] if source == AUTO else [source, target])
        if source == target:
            return TranslatedText(text=text, route=[source, target])
        try:
            with service_errors(SERVICE, None, TRANSLATE_ERRORS):
                response = self._client.translate_text(
                    Text=text,
                    SourceLanguageCode=aws_code(source),
                    TargetLanguageCode=aws_code(target),
                )
        except UnsupportedLanguage as error:
            if isinstance(error, UnsupportedLanguagePair):
                raise
            raise UnsupportedLanguage(
                "Amazon Translate could not tell the language of the text with confidence "
                "(DetectedLanguageLowConfidenceException); give the source language instead "
                "of 'auto'"
            ) from error
        detected = normalized(response.get("SourceLanguageCode")) if source == AUTO else source
        return TranslatedText(text=response["TranslatedText"], route=[detected, target])
