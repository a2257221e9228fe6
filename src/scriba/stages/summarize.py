"""Summarize: a short summary of the document's text, in the document's language.

A document without text (a photo, a blank scan) is described by its picture labels instead, so that
translation and narration still have something true to say.
"""

from __future__ import annotations

import logging

from pydantic import JsonValue

from scriba import layout
from scriba.document import Document, Model
from scriba.manifest import Artifact, ArtifactKind
from scriba.sentences import split_sentences
from scriba.stages import Context, names_the_document
from scriba.stages.results import StageFailure, SummaryResult, TagResult, TextResult
from scriba.summary import Summary, SummaryDraft, SummaryMethod, TokenUsage
from scriba.tags import Tags
from scriba.text import DocumentText

logger = logging.getLogger(__name__)


class SummarizeRequest(Model):
    document: Document
    text: TextResult
    tags: TagResult | StageFailure


def describe_labels(tags: Tags, max_labels: int = 3) -> SummaryDraft:
    """One English sentence naming what the pictures show, most confident first.

    Labels come in hierarchies ("Airplane Wing" under "Airplane", "Vehicle"); a parent is never
    less confident than its child, so the sentence names the most specific labels only.
    """
    parents = {category for label in tags.labels for category in label.categories}
    specific = [label for label in tags.labels if label.name not in parents] or tags.labels
    names = [label.name.lower() for label in specific[:max_labels]]
    if tags.people and not any(name == "person" for name in names):
        names.insert(0, "people")
    if not names:
        return SummaryDraft(text="", method=SummaryMethod.NONE, engine="none")
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    shows = "its picture shows" if len(tags.images) == 1 else "its pictures show"
    sentence = f"The document has no text; {shows} {listed}."
    return SummaryDraft(
        text=sentence, sentences=[sentence], method=SummaryMethod.LABELS, engine=tags.engine
    )


@names_the_document
def summarize(request: SummarizeRequest, ctx: Context | None = None) -> SummaryResult:
    ctx = ctx or Context.current(request.document.name)
    document = request.document
    text = ctx.storage.read_model(document.output.child(layout.TEXT), DocumentText)
    language = text.language
    sentences = split_sentences(text.plain_text, language)
    warnings: list[str] = []
    if sentences:
        draft = ctx.engines.summarizer.summarize(
            sentences, language, ctx.settings.summary_sentences
        )
    elif isinstance(request.tags, TagResult) and request.tags.images:
        tags = ctx.storage.read_model(document.output.child(layout.TAGS), Tags)
        draft = describe_labels(tags)
        language = "en"
        warnings.append("no text: the summary describes the pictures")
    else:
        draft = SummaryDraft(text="", method=SummaryMethod.NONE, engine="none")
        warnings.append("no text and no pictures: nothing to summarize")
    summary = Summary(
        document_id=document.id,
        language=language if draft.text else None,
        method=draft.method,
        engine=draft.engine,
        model=draft.model,
        text=draft.text,
        sentences=draft.sentences or split_sentences(draft.text, language),
        source_sentences=len(sentences),
        usage=draft.usage,
    )
    size = ctx.storage.write_model(document.output.child(layout.SUMMARY), summary)
    logger.info(
        "summarized %s: %d of %d sentences (%s)",
        document.name,
        len(summary.sentences),
        len(sentences),
        summary.method.value,
    )
    details: dict[str, JsonValue] = {
        "method": summary.method.value,
        "sentences": len(summary.sentences),
    }
    if summary.usage is not None:
        details["input_tokens"] = summary.usage.input_tokens
        details["output_tokens"] = summary.usage.output_tokens
    return SummaryResult(
        artifacts=[
            Artifact(
                kind=ArtifactKind.SUMMARY,
                path=layout.SUMMARY,
                media_type="application/json",
                size=size,
                language=summary.language,
                details=details,
            )
        ],
        language=summary.language,
        characters=len(summary.text),
        method=summary.method.value,
        model=summary.model,
        usage=summary.usage or _estimated_usage(text.plain_text, summary.text, summary.method),
        usage_estimated=summary.usage is None,
        warnings=warnings,
    )


def _estimated_usage(text: str, summary: str, method: SummaryMethod) -> TokenUsage | None:
    """What a language model would have used for this text, to price local summaries."""
    if method is not SummaryMethod.EXTRACTIVE:
        return None
    from scriba.engines.aws.bedrock import estimate_tokens  # noqa: PLC0415

    return TokenUsage(
        input_tokens=estimate_tokens(text), output_tokens=estimate_tokens(summary), calls=1
    )
