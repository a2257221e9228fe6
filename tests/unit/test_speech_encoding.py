"""WAV → PCM → MP3, and espeak-ng voice choice, on audio and voice lists made here."""

from __future__ import annotations

import io
import math
import struct
import wave
from typing import Any

import mutagen.mp3
import pytest

from scriba.config import Settings
from scriba.engines.local.speech import (
    EspeakSpeaker,
    LocalSpeech,
    PcmAudio,
    default_voice,
    encode_mp3,
    parse_voices,
    wav_to_pcm,
)
from scriba.errors import EngineFailed, UnsupportedLanguage

RATE = 22_050


def tone(seconds: float, frequency: float = 440.0, rate: int = RATE) -> PcmAudio:
    count = int(seconds * rate)
    samples = (int(12_000 * math.sin(2 * math.pi * frequency * i / rate)) for i in range(count))
    return PcmAudio(struct.pack(f"<{count}h", *samples), rate)


def wav_file(audio: PcmAudio, channels: int = 1) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(2)
        writer.setframerate(audio.sample_rate)
        writer.writeframes(audio.samples)
    return buffer.getvalue()


def mp3_info(mp3: bytes) -> Any:
    """What a player reads from the MP3's frame headers (mutagen)."""
    return mutagen.mp3.MP3(io.BytesIO(mp3)).info  # type: ignore[no-untyped-call]


def mp3_seconds(mp3: bytes) -> float:
    return float(mp3_info(mp3).length)


def test_wav_to_pcm_reads_the_samples() -> None:
    audio = tone(0.5)
    assert wav_to_pcm(wav_file(audio)) == audio


def test_wav_to_pcm_reads_a_streamed_wav_with_placeholder_sizes() -> None:
    # espeak-ng --stdout cannot seek back, so its header claims 0x7ffff000 bytes of data.
    audio = tone(0.25)
    streamed = bytearray(wav_file(audio))
    struct.pack_into("<I", streamed, 4, 0x7FFFF024)
    struct.pack_into("<I", streamed, 40, 0x7FFFF000)
    assert wav_to_pcm(bytes(streamed)) == audio


def test_wav_to_pcm_refuses_stereo_and_garbage() -> None:
    with pytest.raises(EngineFailed, match="2 channel"):
        wav_to_pcm(wav_file(tone(0.1), channels=2))
    with pytest.raises(EngineFailed, match="no valid WAV"):
        wav_to_pcm(b"Error: voice not found")


def test_mp3_has_the_duration_rate_and_channels_of_the_audio() -> None:
    mp3 = encode_mp3(tone(2.0))
    info = mp3_info(mp3)
    assert info.sample_rate == RATE
    assert info.channels == 1
    assert info.bitrate == 64_000
    # LAME adds under 0.1 s of encoder delay and padding.
    assert 2.0 <= info.length < 2.1


def test_mp3_starts_with_an_audio_frame_not_a_tag() -> None:
    # An ID3 tag or a Xing/Info frame would make players read only the first clip of a
    # concatenation; a bare MPEG frame sync lets them compute the duration from the size.
    mp3 = encode_mp3(tone(1.0))
    assert mp3[0] == 0xFF
    assert mp3[1] & 0xE0 == 0xE0
    assert b"Xing" not in mp3[:2048]
    assert b"Info" not in mp3[:2048]


def test_concatenated_mp3_clips_have_the_summed_duration() -> None:
    first, second = encode_mp3(tone(1.5)), encode_mp3(tone(2.5, frequency=220))
    total = mp3_seconds(first + second)
    assert total == pytest.approx(mp3_seconds(first) + mp3_seconds(second), abs=0.01)
    assert 4.0 <= total < 4.2


def test_no_audio_makes_no_mp3() -> None:
    assert encode_mp3(PcmAudio(b"", RATE)) == b""


# The shape of `espeak-ng --voices` on Debian (espeak-ng 1.51), with an MBROLA line added.
VOICES = """\
Pty Language       Age/Gender VoiceName          File                 Other Languages
 5  ca              --/M      Catalan            roa/ca
 5  chr-US-Qaaa-x-west --/M      Cherokee_          iro/chr
 2  en-gb           --/M      English_(Great_Britain) gmw/en               (en 2)
 2  en-us           --/M      English_(America)  gmw/en-US            (en 3)
 5  es              --/M      Spanish_(Spain)    roa/es
 5  es-419          --/M      Spanish_(Latin_America) roa/es-419           (es-mx 6)(es 6)
 5  fr-be           --/M      French_(Belgium)   roa/fr-BE            (fr 8)
 5  fr-fr           --/M      French_(France)    roa/fr               (fr 5)
 8  fr              --/M      french-mbrola-7    mb/mb-fr7
 5  pt              --/M      Portuguese_(Portugal) roa/pt               (pt-pt 5)
 5  pt-br           --/M      Portuguese_(Brazil) roa/pt-BR            (pt 6)
"""


def test_parse_voices_leaves_out_mbrola_and_lowercases_tags() -> None:
    voices = {voice.tag: voice for voice in parse_voices(VOICES)}
    assert "fr" not in voices  # the MBROLA voice needs the mbrola program
    assert voices["chr-us-qaaa-x-west"].identifier == "iro/chr"
    assert voices["es-419"].languages == {"es-419": 5, "es-mx": 6, "es": 6}


@pytest.mark.parametrize(
    ("language", "tag"),
    [("fr", "fr-fr"), ("es", "es"), ("pt", "pt"), ("pt-br", "pt-br"), ("en", "en-gb")],
)
def test_default_voice_is_the_one_espeak_ranks_first(language: str, tag: str) -> None:
    voice = default_voice(parse_voices(VOICES), language)
    assert voice is not None
    assert voice.tag == tag


def offline_speech(**voices: str) -> LocalSpeech:
    # A missing executable: any attempt to run espeak-ng fails loudly.
    espeak = EspeakSpeaker(executable="/nonexistent/espeak-ng")
    espeak.voices = parse_voices(VOICES)
    return LocalSpeech(Settings(voices=voices), espeak=espeak)


def test_unknown_language_names_the_supported_ones() -> None:
    with pytest.raises(UnsupportedLanguage) as raised:
        offline_speech().synthesize("Bom dia", "gl")
    message = str(raised.value)
    assert "'gl'" in message
    assert "ca, en, es, fr, pt" in message


def test_configured_voice_must_be_an_espeak_voice() -> None:
    with pytest.raises(EngineFailed) as raised:
        offline_speech(es="Lucia").synthesize("Hola", "es")
    assert "'Lucia'" in str(raised.value)
    assert "es, es-419" in str(raised.value)


def test_empty_text_makes_an_empty_clip_without_running_an_engine() -> None:
    clip = offline_speech().synthesize("  \n", "fr")
    assert (clip.mp3, clip.voice, clip.engine, clip.characters) == (b"", "fr-fr", "espeak-ng", 0)


def test_missing_espeak_is_an_engine_failure() -> None:
    speech = LocalSpeech(Settings(), espeak=EspeakSpeaker(executable="/nonexistent/espeak-ng"))
    with pytest.raises(EngineFailed, match="not installed"):
        speech.synthesize("Bonjour", "fr")
