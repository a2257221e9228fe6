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


def language_runs(summary: Summary, default: str) -> list[tuple[str, list[str]]]:
    """The summary's sentences in runs of one language, in order: each run is translated from
    its own language (a summary of a document in two languages quotes both)."""
    languages = summary.sentence_languages or [None] * len(summary.sentences)
    runs: list[tuple[str, list[str]]] = []
    for sentence, language in zip(summary.sentences, languages, strict=True):
        code = language or default
        if runs and runs[-1][0] == code:
            runs[-1][1].append(sentence)
        else:
            runs.append((code, [sentence]))
    return runs


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
    texts: list[str] = []
    route = [source, target]
    requests = characters = 0
    sources: list[str] = []
    for language, sentences in language_runs(summary, source):
        sources.append(language)
        if language == target:
            # Already in the target language: kept as written, never "translated" into itself.
            texts.append(" ".join(sentences))
            continue
        chunks = chunk_by_bytes(sentences, translator.max_request_bytes)
        for chunk in chunks:
            translated = translator.translate(chunk, language, target)
            texts.append(translated.text.strip())
            if language == source:
                route = translated.route
        requests += len(chunks)
        characters += sum(len(chunk) for chunk in chunks)
    sources = list(dict.fromkeys(sources))
    translation = Translation(
        document_id=document.id,
        source_language=source,
        source_languages=sources,
        target_language=target,
        engine=translator.name if requests else "none",
        route=route,
        text=" ".join(text for text in texts if text),
        requests=requests,
        characters=characters,
    )
    artifact = ctx.storage.put_artifact(
        document.output,
        layout.translation_path(target),
        ArtifactKind.TRANSLATION,
        translation,
        language=target,
        details={
            "source_language": source,
            "source_languages": list(sources),
            "source_language_assumed": assumed,
            "route": list(route),
            "engine": translation.engine,
            "characters": translation.characters,
            "requests": translation.requests,
        },
    )
    logger.info("translated from %s to %s via %s", ", ".join(sources), target, "-".join(route))
    return TranslationResult(
        artifact=artifact,
        characters=translation.characters,
        billed=[translator.billed(translation.characters)],
    )
