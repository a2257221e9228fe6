"""Summarize: a short summary of the document's text, in the document's language.

Only what was read with confidence is summarized: OCR of a photo turns circuit boards, fabric or
foliage into fragments (``S2fSdiscOvETY fea 2S``) that stay in ``text.json`` with their low
confidence but are not text worth translating or narrating. A document without readable text (a
photo, a blank scan) is described by its picture labels instead, so that translation and
narration still have something true to say.
"""

from __future__ import annotations

import logging
import re

from pydantic import JsonValue

from scriba import layout
from scriba.media.sentences import split_sentences
from scriba.models.base import Model
from scriba.models.manifest import Artifact, ArtifactKind
from scriba.models.summary import Summary, SummaryDraft, SummaryMethod, TokenUsage
from scriba.models.tags import Tags
from scriba.models.text import DocumentText, PageSource
from scriba.stages import Context, names_the_document
from scriba.workflow import Document, StageFailure, SummaryResult, TagResult, TextResult

logger = logging.getLogger(__name__)


# A document with pictures needs this many real words (three letters or more) to count as text:
# fewer is a sign on a photo, or noise, and the pictures say more.
MIN_READABLE_WORDS = 3
_WORD = re.compile(r"[^\W\d_]{3,}")


def readable_sentences(text: DocumentText, min_confidence: float) -> list[str]:
    """The sentences of the lines read with at least ``min_confidence`` (text layers: all)."""
    return split_sentences(text.readable_text(min_confidence), text.language)


def is_readable(text: DocumentText, sentences: list[str]) -> bool:
    """Whether the sentences are text rather than OCR noise; a text layer always is."""
    if any(page.source is PageSource.TEXT_LAYER and page.lines for page in text.pages):
        return bool(sentences)
    words = sum(len(_WORD.findall(sentence)) for sentence in sentences)
    return words >= MIN_READABLE_WORDS


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
    # Worded for rule-based translation too: "its picture shows X" came out of Apertium as
    # "su X de espectáculos del cuadro" (shows read as a noun); a list after a colon does not.
    pictures = "In the picture" if len(tags.images) == 1 else "In the pictures"
    sentences = ["No readable text was found in the document.", f"{pictures}: {listed}."]
    return SummaryDraft(
        text=" ".join(sentences),
        sentences=sentences,
        method=SummaryMethod.LABELS,
        engine=tags.engine,
    )


@names_the_document
def summarize(request: SummarizeRequest, ctx: Context | None = None) -> SummaryResult:
    ctx = ctx or Context.current(request.document.name)
    document = request.document
    text = ctx.storage.read_model(document.output.child(layout.TEXT), DocumentText)
    language = text.language
    sentences = readable_sentences(text, ctx.settings.min_text_confidence)
    has_pictures = isinstance(request.tags, TagResult) and bool(request.tags.images)
    warnings: list[str] = []
    if sentences and (not has_pictures or is_readable(text, sentences)):
        draft = ctx.engines.summarizer.summarize(
            sentences, language, ctx.settings.summary_sentences
        )
    elif has_pictures:
        tags = ctx.storage.read_model(document.output.child(layout.TAGS), Tags)
        draft = describe_labels(tags)
        language = "en"
        sentences = []
        if draft.text:
            warnings.append("no readable text: the summary describes the pictures")
        else:
            warnings.append("no readable text and no picture label: nothing to summarize")
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
