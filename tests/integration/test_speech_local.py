"""Piper and espeak-ng, for real: MP3 that decodes, lasts as long as the text, and concatenates."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import miniaudio
import mutagen.mp3
import pytest

from scriba.config import Settings
from scriba.engines.local.speech import LocalSpeech
from scriba.errors import UnsupportedLanguage

pytestmark = pytest.mark.local_engines

ENGLISH = "The committee will meet next week to discuss the budget for the new school."
FRENCH = "Le comité se réunira la semaine prochaine pour discuter du budget de la nouvelle école."
SPANISH = "El comité se reunirá la semana próxima para discutir el presupuesto de la escuela."


@pytest.fixture(scope="module")
def speech() -> LocalSpeech:
    return LocalSpeech(Settings())


def seconds(mp3: bytes) -> float:
    """The duration a player reads from the MP3's frame headers (mutagen)."""
    info: Any = mutagen.mp3.MP3(io.BytesIO(mp3)).info  # type: ignore[no-untyped-call]
    return float(info.length)


def decode(mp3: bytes) -> miniaudio.DecodedSoundFile:
    return miniaudio.mp3_read_s16(mp3)


def loudness(audio: miniaudio.DecodedSoundFile) -> float:
    """RMS of the samples, 0..32767; silence is about 0."""
    samples = audio.samples
    return math.sqrt(sum(sample * sample for sample in samples) / max(len(samples), 1))


def assert_speech(mp3: bytes, words: int) -> None:
    """The MP3 decodes to mono 22.05 kHz audio, is not silent, and lasts as long as speech."""
    audio = decode(mp3)
    assert audio.nchannels == 1
    assert audio.sample_rate == 22_050
    assert loudness(audio) > 300
    duration = audio.num_frames / audio.sample_rate
    assert duration == pytest.approx(seconds(mp3), abs=0.1)
    # Speech runs at 1.2-5 words a second (Piper's "joe" about 3.7, espeak-ng about 3).
    assert words / 5 < duration < words / 1.2


def test_english_is_spoken_by_piper(speech: LocalSpeech) -> None:
    clip = speech.synthesize(ENGLISH, "en")
    assert (clip.engine, clip.voice, clip.characters) == ("piper", "en_US-joe-medium", 75)
    assert_speech(clip.mp3, len(ENGLISH.split()))


@pytest.mark.parametrize(
    ("language", "text", "voice"), [("fr", FRENCH, "fr-fr"), ("es", SPANISH, "es")]
)
def test_french_and_spanish_are_spoken_by_espeak(
    speech: LocalSpeech, language: str, text: str, voice: str
) -> None:
    clip = speech.synthesize(text, language)
    assert (clip.engine, clip.voice, clip.characters) == ("espeak-ng", voice, len(text))
    assert_speech(clip.mp3, len(text.split()))


def test_configured_voice_is_used() -> None:
    clip = LocalSpeech(Settings(voices={"fr": "fr-be", "en": "en-gb"})).synthesize(ENGLISH, "en")
    assert (clip.engine, clip.voice) == ("espeak-ng", "en-gb")
    assert_speech(clip.mp3, len(ENGLISH.split()))


@pytest.mark.parametrize(("language", "text"), [("es", SPANISH), ("en", ENGLISH)])
def test_duration_grows_with_the_text(speech: LocalSpeech, language: str, text: str) -> None:
    once = seconds(speech.synthesize(text, language).mp3)
    four_times = seconds(speech.synthesize(" ".join([text] * 4), language).mp3)
    assert 3.3 < four_times / once < 4.7


def test_two_clips_concatenate_into_one_mp3(speech: LocalSpeech) -> None:
    first = speech.synthesize(SPANISH, "es").mp3
    second = speech.synthesize("Los niños leyeron libros toda la tarde.", "es").mp3
    joined = first + second
    assert seconds(joined) == pytest.approx(seconds(first) + seconds(second), abs=0.05)
    decoded = decode(joined)
    assert decoded.num_frames == pytest.approx(
        decode(first).num_frames + decode(second).num_frames, abs=2 * 1152
    )


@pytest.mark.parametrize("language", ["fr", "en"])
def test_options_and_shell_metacharacters_are_spoken_not_run(
    speech: LocalSpeech, language: str, tmp_path: Path
) -> None:
    marker = tmp_path / "executed"
    # As arguments, "-v xx" would pick a voice that does not exist and make espeak-ng fail.
    text = f"-v xx --stdout $(touch {marker}) `touch {marker}`; echo done > {marker} & exit"
    clip = speech.synthesize(text, language)
    assert not marker.exists()
    assert clip.characters == len(text)
    audio = decode(clip.mp3)
    assert loudness(audio) > 300
    assert audio.num_frames / audio.sample_rate > 3.0


def test_unknown_language_is_refused_with_the_supported_ones(speech: LocalSpeech) -> None:
    with pytest.raises(UnsupportedLanguage) as raised:
        speech.synthesize("Bos días.", "gl")  # espeak-ng 1.51 has no Galician voice
    message = str(raised.value)
    assert "'gl'" in message
    for language in ("ar", "ca", "de", "en", "es", "fr", "it", "pt", "ro"):
        assert f" {language}," in message
