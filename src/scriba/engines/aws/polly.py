"""Amazon Polly ``SynthesizeSpeech``: MP3 from SSML, the neural engine where the voice has one."""

from __future__ import annotations

import re
from contextlib import closing
from typing import TYPE_CHECKING, cast
from xml.sax.saxutils import escape

from botocore.exceptions import ClientError

from scriba.aws.errors import service_errors
from scriba.cost.units import PollyEngine, polly_characters
from scriba.engines.polly_voices import DEFAULT_VOICES, KNOWN_VOICES, Voice
from scriba.engines.ports import SpeechClip
from scriba.errors import (
    EngineFailed,
    ScribaError,
    TransientServiceError,
    UnsupportedLanguage,
)

if TYPE_CHECKING:
    from mypy_boto3_polly import PollyClient
    from mypy_boto3_polly.literals import LanguageCodeType, VoiceIdType

    from scriba.config import Settings

SERVICE = "polly"
Engine = PollyEngine

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


def ssml(text: str) -> str:
    """``text`` as an SSML document: reserved characters escaped, invalid ones dropped."""
    clean = _NOT_XML.sub(" ", text)
    return f"<speak>{escape(clean, _QUOTES)}</speak>"


class PollySpeech:
    name = SERVICE
    max_characters = MAX_BILLED_CHARACTERS

    def __init__(self, settings: Settings, *, client: PollyClient) -> None:
        self._voices = {code.lower(): voice for code, voice in settings.voices.items()}
        self._client = client
        # Engines that turned out to work for voices the table does not know.
        self._engine_of: dict[str, Engine] = {}

    def voice_for(self, language: str) -> Voice:
        code = language.strip().replace("_", "-").lower()
        for key in (code, code.split("-")[0]):
            if key in self._voices:
                chosen = self._voices[key]
                known = KNOWN_VOICES.get(chosen)
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
        reported = response.get("RequestCharacters")
        characters = int(reported) if reported is not None else len(text)
        return SpeechClip(
            mp3=audio,
            voice=voice.id,
            engine=f"polly-{engine}",
            characters=characters,
            billed=polly_characters(engine, characters),
        )


def _code(error: BaseException) -> str | None:
    cause = error.__cause__
    while cause is not None and not isinstance(cause, ClientError):
        cause = cause.__cause__
    if isinstance(cause, ClientError):
        return str(cause.response.get("Error", {}).get("Code", "")) or None
    return None
