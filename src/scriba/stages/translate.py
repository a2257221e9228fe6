"""Translate: the summary into one target language, in requests that fit the engine's limit."""

from __future__ import annotations

import logging
from typing import Any

from scriba import layout
from scriba.context import Context
from scriba.errors import UnsupportedLanguage
from scriba.media.chunking import chunk_by_bytes
from scriba.models.manifest import ArtifactKind
from scriba.models.summary import Summary
from scriba.models.translation import Translation
from scriba.stages import names_the_document
from scriba.workflow import DocumentRequest, SummaryResult, TranslationResult

logger = logging.getLogger(__name__)


class TranslateRequest(DocumentRequest):
    summary: SummaryResult
    language: str


@names_the_document
def translate(request: TranslateRequest, ctx: Context[Any]) -> TranslationResult:
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
    artifact = ctx.storage.put_artifact(
        document.output,
        layout.translation_path(target),
        ArtifactKind.TRANSLATION,
        translation,
        language=target,
        details={
            "source_language": source,
            "source_language_assumed": assumed,
            "route": list(route),
            "engine": translation.engine,
            "characters": translation.characters,
            "requests": translation.requests,
        },
    )
    logger.info("translated from %s to %s via %s", source, target, "-".join(route))
    return TranslationResult(
        artifact=artifact,
        characters=translation.characters,
        billed=[translator.billed(translation.characters)],
    )
