"""Amazon Polly: the SSML sent, the voice and engine chosen, the MP3 returned, the errors."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest
from botocore.stub import ANY
from mutagen.mp3 import MP3

from scriba.config import Settings
from scriba.engines.aws.polly import PollySpeech, ssml
from scriba.engines.polly_voices import DEFAULT_VOICES
from scriba.engines.ports import SpeechSynthesizer
from scriba.errors import EngineFailed, Throttled, TransientServiceError, UnsupportedLanguage
from tests.integration.aws.support import audio_stream, mp3_tone

Stubbed = Callable[[str], tuple[Any, Any]]


def duration(mp3: bytes) -> float:
    info = MP3(io.BytesIO(mp3)).info  # type: ignore[no-untyped-call]
    assert info is not None
    return float(info.length)


def speech_response(seconds: float = 1.0, characters: int | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "AudioStream": audio_stream(mp3_tone(seconds)),
        "ContentType": "audio/mpeg",
    }
    if characters is not None:
        response["RequestCharacters"] = characters
    return response


def test_text_is_sent_as_escaped_ssml_to_a_neural_voice(stubbed: Stubbed) -> None:
    client, stubber = stubbed("polly")
    text = 'Fish & chips <3 "today", it\'s fine.'
    stubber.add_response(
        "synthesize_speech",
        speech_response(2.0, characters=len(text)),
        expected_params={
            "Engine": "neural",
            "OutputFormat": "mp3",
            "Text": "<speak>Fish &amp; chips &lt;3 &quot;today&quot;, it&apos;s fine.</speak>",
            "TextType": "ssml",
            "VoiceId": "Joanna",
        },
    )
    speech = PollySpeech(Settings(), client=client)
    assert isinstance(speech, SpeechSynthesizer)
    assert speech.max_characters == 3000

    clip = speech.synthesize(text, "en")

    assert (clip.voice, clip.engine, clip.characters) == ("Joanna", "polly-neural", len(text))
    assert duration(clip.mp3) == pytest.approx(2.0, abs=0.1)


@pytest.mark.parametrize(
    ("language", "voice", "engine"),
    [
        ("es", "Lucia", "neural"),
        ("fr", "Lea", "neural"),
        ("de", "Vicki", "neural"),
        ("it", "Bianca", "neural"),
        ("pt-PT", "Ines", "neural"),
        ("pt", "Camila", "neural"),
        ("es-mx", "Mia", "neural"),
        ("ru", "Tatyana", "standard"),
    ],
)
def test_the_voice_and_engine_for_a_language(
    stubbed: Stubbed, language: str, voice: str, engine: str
) -> None:
    client, stubber = stubbed("polly")
    stubber.add_response(
        "synthesize_speech",
        speech_response(characters=5),
        expected_params={
            "Engine": engine,
            "OutputFormat": "mp3",
            "Text": "<speak>Hola.</speak>",
            "TextType": "ssml",
            "VoiceId": voice,
        },
    )
    clip = PollySpeech(Settings(), client=client).synthesize("Hola.", language)
    assert (clip.voice, clip.engine) == (voice, f"polly-{engine}")


def test_a_bilingual_voice_is_told_which_language(stubbed: Stubbed) -> None:
    client, stubber = stubbed("polly")
    stubber.add_response(
        "synthesize_speech",
        speech_response(characters=6),
        expected_params={
            "Engine": "neural",
            "LanguageCode": "hi-IN",
            "OutputFormat": "mp3",
            "Text": "<speak>नमस्ते</speak>",
            "TextType": "ssml",
            "VoiceId": "Kajal",
        },
    )
    assert PollySpeech(Settings(), client=client).synthesize("नमस्ते", "hi").voice == "Kajal"


def test_a_configured_voice_without_neural_engine_falls_back_to_standard(stubbed: Stubbed) -> None:
    client, stubber = stubbed("polly")
    expected = {
        "OutputFormat": "mp3",
        "Text": "<speak>Hola.</speak>",
        "TextType": "ssml",
        "VoiceId": "Conchita",
    }
    stubber.add_client_error(
        "synthesize_speech",
        service_error_code="EngineNotSupportedException",
        service_message="This voice does not support the selected engine: neural",
        http_status_code=400,
        expected_params={"Engine": "neural", **expected},
    )
    stubber.add_response(
        "synthesize_speech",
        speech_response(characters=5),
        expected_params={"Engine": "standard", **expected},
    )
    # The second request goes straight to the standard engine.
    stubber.add_response(
        "synthesize_speech",
        speech_response(characters=5),
        expected_params={"Engine": "standard", **expected},
    )
    speech = PollySpeech(Settings(voices={"es": "Conchita"}), client=client)
    assert speech.synthesize("Hola.", "es").engine == "polly-standard"
    assert speech.synthesize("Hola.", "es-ES").engine == "polly-standard"


def test_characters_default_to_the_text_length(stubbed: Stubbed) -> None:
    client, stubber = stubbed("polly")
    stubber.add_response("synthesize_speech", speech_response())
    assert PollySpeech(Settings(), client=client).synthesize("Guten Tag.", "de").characters == 10


def test_control_characters_never_reach_the_ssml(stubbed: Stubbed) -> None:
    client, stubber = stubbed("polly")
    stubber.add_response(
        "synthesize_speech",
        speech_response(characters=12),
        expected_params={
            "Engine": "neural",
            "OutputFormat": "mp3",
            "Text": "<speak>Page one. Page two.</speak>",
            "TextType": "ssml",
            "VoiceId": "Joanna",
        },
    )
    PollySpeech(Settings(), client=client).synthesize("Page one.\fPage\x00two.", "en")
    assert ET.fromstring(ssml("a\x0bb & <c>")).text == "a b & <c>"


def test_too_much_text_is_refused_without_a_call(stubbed: Stubbed) -> None:
    client, _ = stubbed("polly")
    speech = PollySpeech(Settings(), client=client)
    with pytest.raises(EngineFailed, match="3,001 characters"):
        speech.synthesize("a" * 3_001, "en")
    with pytest.raises(EngineFailed, match="escaped text"):
        speech.synthesize("&" * 1_500, "en")  # 1,500 billed, 7,515 with the escapes
    with pytest.raises(EngineFailed, match="empty"):
        speech.synthesize(" \n", "en")


def test_a_language_without_voice_is_unsupported(stubbed: Stubbed) -> None:
    client, _ = stubbed("polly")
    with pytest.raises(UnsupportedLanguage, match="'tlh'"):
        PollySpeech(Settings(), client=client).synthesize("nuqneH", "tlh")


@pytest.mark.parametrize(
    ("code", "status", "expected", "message"),
    [
        ("ThrottlingException", 400, Throttled, "ThrottlingException"),
        ("ServiceFailureException", 500, TransientServiceError, "ServiceFailureException"),
        ("TextLengthExceededException", 400, EngineFailed, "longer than Polly accepts"),
        ("InvalidSsmlException", 400, EngineFailed, "refused the SSML"),
        ("LanguageNotSupportedException", 400, UnsupportedLanguage, "does not speak"),
    ],
)
def test_errors_are_typed(
    stubbed: Stubbed, code: str, status: int, expected: type[Exception], message: str
) -> None:
    client, stubber = stubbed("polly")
    stubber.add_client_error(
        "synthesize_speech",
        service_error_code=code,
        service_message=code,
        http_status_code=status,
        expected_params={
            "Engine": "neural",
            "OutputFormat": "mp3",
            "Text": ANY,
            "TextType": "ssml",
            "VoiceId": "Lea",
        },
    )
    with pytest.raises(expected, match=message) as raised:
        PollySpeech(Settings(), client=client).synthesize("Bonjour.", "fr")
    assert type(raised.value) is expected


def test_every_default_voice_and_language_code_is_one_polly_knows(stubbed: Stubbed) -> None:
    client, _ = stubbed("polly")
    members = client.meta.service_model.operation_model("SynthesizeSpeech").input_shape.members
    voices = set(members["VoiceId"].enum)
    language_codes = set(members["LanguageCode"].enum)
    for language, voice in DEFAULT_VOICES.items():
        assert voice.id in voices, language
        assert voice.language_code is None or voice.language_code in language_codes, language
