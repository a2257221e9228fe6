"""Translate: the summary into one target language, in requests that fit the engine's limit."""

from __future__ import annotations

import logging

from scriba import layout
from scriba.errors import UnsupportedLanguage
from scriba.media.chunking import chunk_by_bytes
from scriba.models.base import Model
from scriba.models.manifest import Artifact, ArtifactKind
from scriba.models.summary import Summary
from scriba.models.translation import Translation
from scriba.stages import Context, names_the_document
from scriba.workflow import Document, SummaryResult, TranslationResult

logger = logging.getLogger(__name__)


class TranslateRequest(Model):
    document: Document
    summary: SummaryResult
    language: str


@names_the_document
def translate(request: TranslateRequest, ctx: Context | None = None) -> TranslationResult:
    ctx = ctx or Context.current(request.document.name)
    document, target = request.document, request.language
    summary = ctx.storage.read_model(document.output.child(layout.SUMMARY), Summary)
    source = summary.language or ctx.engines.language.detect(summary.text)
    assumed = source is None
    source = source or ctx.settings.default_language
    if source is None:
        raise UnsupportedLanguage(
            "the language of the summary could not be detected, so it cannot be translated",
            document=document.name,
        )
    translator = ctx.engines.translator
    chunks = chunk_by_bytes(summary.sentences, translator.max_request_bytes)
    texts: list[str] = []
    route = [source, target]
    for chunk in chunks:
        translated = translator.translate(chunk, source, target)
        texts.append(translated.text.strip())
        route = translated.route
    translation = Translation(
        document_id=document.id,
        source_language=source,
        target_language=target,
        engine=translator.name if source != target else "none",
        route=route,
        text=" ".join(texts),
        requests=len(chunks) if source != target else 0,
        characters=sum(len(chunk) for chunk in chunks) if source != target else 0,
    )
    relative = layout.translation_path(target)
    size = ctx.storage.write_model(document.output.child(relative), translation)
    logger.info(
        "translated %s from %s to %s via %s", document.name, source, target, "-".join(route)
    )
    return TranslationResult(
        artifact=Artifact(
            kind=ArtifactKind.TRANSLATION,
            path=relative,
            language=target,
            media_type="application/json",
            size=size,
            details={
                "source_language": source,
                "source_language_assumed": assumed,
                "route": list(route),
                "engine": translation.engine,
                "characters": translation.characters,
                "requests": translation.requests,
            },
        ),
        characters=translation.characters,
    )
