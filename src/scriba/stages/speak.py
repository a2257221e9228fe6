"""Speak: narrate one translation as a single MP3, synthesized in requests that fit the engine."""

from __future__ import annotations

import io
import logging
from typing import Any

from mutagen.mp3 import MP3

from scriba import layout
from scriba.context import Context
from scriba.errors import EngineFailed
from scriba.media.chunking import chunk_by_characters
from scriba.media.sentences import split_sentences
from scriba.models.manifest import ArtifactKind
from scriba.models.narration import Narration
from scriba.models.translation import Translation
from scriba.stages import names_the_document
from scriba.workflow import DocumentRequest, NarrationResult, TranslationResult

logger = logging.getLogger(__name__)


class SpeakRequest(DocumentRequest):
    language: str
    translation: TranslationResult


def mp3_duration(data: bytes) -> float:
    """Seconds of audio in an MP3, read from its frames."""
    info = MP3(io.BytesIO(data)).info  # type: ignore[no-untyped-call]
    if info is None:
        raise ValueError("no MPEG audio frames")
    return float(info.length)


@names_the_document
def speak(request: SpeakRequest, ctx: Context[Any]) -> NarrationResult:
    document, language = request.document, request.language
    translation = ctx.storage.read_model(
        document.output.child(layout.translation_path(language)), Translation
    )
    speech = ctx.engines.speech
    chunks = chunk_by_characters(split_sentences(translation.text, language), speech.max_characters)
    clips = [speech.synthesize(chunk, language) for chunk in chunks]
    audio = b"".join(clip.mp3 for clip in clips)
    try:
        duration = mp3_duration(audio)
    except Exception as error:  # mutagen raises several types for undecodable audio
        raise EngineFailed(
            f"the {language} narration is not a readable MP3: {error}", document=document.name
        ) from error
    narration = Narration(
        language=language,
        voice=clips[0].voice if clips else "",
        engine=clips[0].engine if clips else speech.name,
        duration_seconds=round(duration, 3),
        characters=sum(clip.characters for clip in clips),
        requests=len(clips),
    )
    artifact = ctx.storage.put_artifact(
        document.output,
        layout.audio_path(language),
        ArtifactKind.AUDIO,
        audio,
        media_type="audio/mpeg",
        language=language,
        details=narration.model_dump(mode="json", exclude={"language"}),
    )
    logger.info("narrated in %s: %.1f s", language, duration)
    return NarrationResult(artifact=artifact, billed=[clip.billed for clip in clips])
