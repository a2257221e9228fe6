"""Amazon Polly ``SynthesizeSpeech``: MP3 from SSML, the neural engine where the voice has one."""

from __future__ import annotations

import re
from contextlib import closing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, cast
from xml.sax.saxutils import escape

from botocore.exceptions import ClientError

from scriba.aws.clients import client as aws_client
from scriba.aws.errors import service_errors
from scriba.errors import (
    EngineFailed,
    ScribaError,
    TransientServiceError,
    UnsupportedLanguage,
)
from scriba.models.narration import SpeechClip

if TYPE_CHECKING:
    from mypy_boto3_polly import PollyClient
    from mypy_boto3_polly.literals import LanguageCodeType, VoiceIdType

    from scriba.config import Settings

SERVICE = "polly"
Engine = Literal["neural", "standard"]

# SynthesizeSpeech: "3,000 billed characters (SSML tags are not counted) and 6,000 total
# characters" (Polly quotas).
MAX_BILLED_CHARACTERS = 3_000
MAX_TOTAL_CHARACTERS = 6_000

POLLY_ERRORS: dict[str, type[ScribaError]] = {
    "ServiceFailureException": TransientServiceError,
    "TextLengthExceededException": EngineFailed,
    "InvalidSsmlException": EngineFailed,
    "LanguageNotSupportedException": UnsupportedLanguage,
    "EngineNotSupportedException": EngineFailed,
    # ThrottlingException: scriba.aws.errors.THROTTLING_CODES.
}

_MESSAGES = {
    "TextLengthExceededException": "the text is longer than Polly accepts in one request "
    f"({MAX_BILLED_CHARACTERS:,} billed characters); split it first",
    "InvalidSsmlException": "Polly refused the SSML built from the text",
    "LanguageNotSupportedException": "Polly's voice does not speak this language",
    "EngineNotSupportedException": "the voice has neither a neural nor a standard engine",
}

# Polly's reserved SSML characters are & < > " and ' (escape() does the first three).
_QUOTES = {'"': "&quot;", "'": "&apos;"}
# XML 1.0 forbids these control characters; OCR'd text carries form feeds and the like.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Voice:
    id: str
    neural: bool
    language_code: str | None = None  # for bilingual voices only: which language to speak


# One voice per language, neural where Polly has it ("Available voices" in the Polly developer
# guide). Keys are scriba's lower-case codes; "pt" is Brazilian Portuguese, as in Amazon
# Translate (which writes European Portuguese "pt-PT"). A table rather than DescribeVoices: no
# extra call and IAM permission per cold start, and the choice is reviewable. A voice set in
# ``settings.voices`` that is not here is tried with the neural engine, then the standard one.
DEFAULT_VOICES: dict[str, Voice] = {
    "en": Voice("Joanna", neural=True),
    "en-us": Voice("Joanna", neural=True),
    "en-gb": Voice("Amy", neural=True),
    "en-au": Voice("Olivia", neural=True),
    "en-in": Voice("Kajal", neural=True, language_code="en-IN"),
    "es": Voice("Lucia", neural=True),
    "es-mx": Voice("Mia", neural=True),
    "es-us": Voice("Lupe", neural=True),
    "fr": Voice("Lea", neural=True),
    "fr-ca": Voice("Gabrielle", neural=True),
    "de": Voice("Vicki", neural=True),
    "it": Voice("Bianca", neural=True),
    "pt": Voice("Camila", neural=True),
    "pt-br": Voice("Camila", neural=True),
    "pt-pt": Voice("Ines", neural=True),
    "nl": Voice("Laura", neural=True),
    "pl": Voice("Ola", neural=True),
    "sv": Voice("Elin", neural=True),
    "da": Voice("Sofie", neural=True),
    "no": Voice("Ida", neural=True),
    "nb": Voice("Ida", neural=True),
    "fi": Voice("Suvi", neural=True),
    "ca": Voice("Arlet", neural=True),
    "cs": Voice("Jitka", neural=True),
    "tr": Voice("Burcu", neural=True),
    "ja": Voice("Takumi", neural=True),
    "ko": Voice("Seoyeon", neural=True),
    "zh": Voice("Zhiyu", neural=True),
    "hi": Voice("Kajal", neural=True, language_code="hi-IN"),
    "ar": Voice("Zeina", neural=False),
    "ru": Voice("Tatyana", neural=False),
    "ro": Voice("Carmen", neural=False),
    "is": Voice("Dora", neural=False),
    "cy": Voice("Gwyneth", neural=False),
}
_KNOWN = {voice.id: voice for voice in DEFAULT_VOICES.values()}


def ssml(text: str) -> str:
    """``text`` as an SSML document: reserved characters escaped, invalid ones dropped."""
    clean = _NOT_XML.sub(" ", text)
    return f"<speak>{escape(clean, _QUOTES)}</speak>"


class PollySpeech:
    name = SERVICE
    max_characters = MAX_BILLED_CHARACTERS

    def __init__(self, settings: Settings, client: PollyClient | None = None) -> None:
        self._voices = {code.lower(): voice for code, voice in settings.voices.items()}
        self._client: PollyClient = client if client is not None else aws_client(SERVICE)
        # Engines that turned out to work for voices the table does not know.
        self._engine_of: dict[str, Engine] = {}

    def voice_for(self, language: str) -> Voice:
        code = language.strip().replace("_", "-").lower()
        for key in (code, code.split("-")[0]):
            if key in self._voices:
                chosen = self._voices[key]
                known = _KNOWN.get(chosen)
                # A configured voice the table knows keeps the table's engine; its language is
                # its default one unless the table entry is for this very language.
                if known is not None and DEFAULT_VOICES.get(key) == known:
                    return known
                return Voice(chosen, neural=known.neural if known else True)
        for key in (code, code.split("-")[0]):
            if key in DEFAULT_VOICES:
                return DEFAULT_VOICES[key]
        raise UnsupportedLanguage(
            f"Polly has no voice configured for {language!r}; set one in SCRIBA_VOICES or use "
            f"one of {', '.join(sorted(DEFAULT_VOICES))}"
        )

    def synthesize(self, text: str, language: str) -> SpeechClip:
        if not text.strip():
            raise EngineFailed("nothing to speak: the text is empty")
        if len(text) > MAX_BILLED_CHARACTERS:
            raise EngineFailed(
                f"text of {len(text):,} characters is over Polly's {MAX_BILLED_CHARACTERS:,} "
                "billed characters per request; split it first"
            )
        document = ssml(text)
        if len(document) > MAX_TOTAL_CHARACTERS:
            raise EngineFailed(
                f"the escaped text takes {len(document):,} characters, over Polly's "
                f"{MAX_TOTAL_CHARACTERS:,} per request; split it first"
            )
        voice = self.voice_for(language)
        engine: Engine = self._engine_of.get(voice.id, "neural" if voice.neural else "standard")
        try:
            return self._synthesize(document, text, voice, engine)
        except EngineFailed as error:
            if engine != "neural" or _code(error) != "EngineNotSupportedException":
                raise
        # The voice has no neural engine: Polly names it; the standard one it has.
        self._engine_of[voice.id] = "standard"
        return self._synthesize(document, text, voice, "standard")

    def _synthesize(self, document: str, text: str, voice: Voice, engine: Engine) -> SpeechClip:
        try:
            with service_errors(SERVICE, None, POLLY_ERRORS):
                if voice.language_code:
                    response = self._client.synthesize_speech(
                        Engine=engine,
                        LanguageCode=cast("LanguageCodeType", voice.language_code),
                        OutputFormat="mp3",
                        Text=document,
                        TextType="ssml",
                        VoiceId=cast("VoiceIdType", voice.id),
                    )
                else:
                    response = self._client.synthesize_speech(
                        Engine=engine,
                        OutputFormat="mp3",
                        Text=document,
                        TextType="ssml",
                        VoiceId=cast("VoiceIdType", voice.id),
                    )
                with closing(response["AudioStream"]) as stream:
                    audio = stream.read()
        except (EngineFailed, UnsupportedLanguage) as error:
            code = _code(error)
            if code in _MESSAGES:
                raise type(error)(
                    f"Polly voice {voice.id} ({engine}): {_MESSAGES[code]}"
                ) from error
            raise
        if not audio:
            raise EngineFailed(f"Polly voice {voice.id} returned no audio")
        characters = response.get("RequestCharacters")
        return SpeechClip(
            mp3=audio,
            voice=voice.id,
            engine=f"polly-{engine}",
            characters=int(characters) if characters is not None else len(text),
        )


def _code(error: BaseException) -> str | None:
    cause = error.__cause__
    while cause is not None and not isinstance(cause, ClientError):
        cause = cause.__cause__
    if isinstance(cause, ClientError):
        return str(cause.response.get("Error", {}).get("Code", "")) or None
    return None
