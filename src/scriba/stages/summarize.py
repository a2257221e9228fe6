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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import JsonValue

from scriba import layout
from scriba.context import Context
from scriba.engines.ports import SummaryDraft
from scriba.media.sentences import split_sentences
from scriba.models.document import S3Location
from scriba.models.manifest import ArtifactKind
from scriba.models.summary import Summary, SummaryMethod
from scriba.models.tables import DocumentTables, Table
from scriba.models.tags import Tags
from scriba.models.text import Box, Page, PageSource
from scriba.stages import names_the_document
from scriba.workflow import (
    DocumentRequest,
    StageFailure,
    SummaryResult,
    TagResult,
    TextResult,
)

logger = logging.getLogger(__name__)


# A document with pictures needs this many real words (three letters or more) to count as text:
# fewer is a sign on a photo, or noise, and the pictures say more.
MIN_READABLE_WORDS = 3
_WORD = re.compile(r"[^\W\d_]{3,}")


class PagedText(Protocol):
    """What the summary reads of a document's text: its language and its pages."""

    @property
    def language(self) -> str | None: ...

    @property
    def pages(self) -> Sequence[Page]: ...


@dataclass(frozen=True)
class TextLines:
    """text.json without its words: the lines of each page, their boxes and confidence."""

    language: str | None
    pages: list[Page]


def read_text_lines(ctx: Context[Any], location: S3Location) -> TextLines:
    """text.json read a page at a time, each page's words dropped as it is read: the summary
    needs lines, and the words are most of the file (about 100 KB a dense page, 300 MB at
    3,000 pages, several times that as models)."""
    head = ctx.storage.json_head(location, until="pages")
    pages = []
    for item in ctx.storage.json_items(location, "pages.item"):
        for line in item.get("lines", []):
            line["words"] = []
        pages.append(Page.model_validate(item))
    return TextLines(language=head.get("language"), pages=pages)


def readable_sentences(text: PagedText, min_confidence: float) -> list[str]:
    """The sentences of the lines read with at least ``min_confidence`` (text layers: all)."""
    return [sentence for sentence, _ in readable_parts(text, min_confidence)]


def readable_parts(
    text: PagedText, min_confidence: float, tables: DocumentTables | None = None
) -> list[tuple[str, str | None]]:
    """Those sentences with the language of their page (the document's where a page has none),
    each page split by the rules of its own language. Lines inside a table are left out: cells
    read in a row are not sentences, and a summary of column headings says nothing."""
    boxes: dict[int, list[Box]] = {}
    for table in tables.tables if tables else []:
        if table.box is not None:
            boxes.setdefault(table.page, []).append(table.box)
    parts: list[tuple[str, str | None]] = []
    for page in text.pages:
        language = page.language or text.language
        inside = boxes.get(page.number, [])
        readable = "\n".join(
            line.text
            for line in page.lines
            if line.confidence >= min_confidence and not any(_holds(b, line.box) for b in inside)
        )
        parts.extend((sentence, language) for sentence in split_sentences(readable, language))
    return parts


def _holds(table: Box, line: Box) -> bool:
    """Whether a line's centre is inside a table's box."""
    x, y = line.left + line.width / 2, line.top + line.height / 2
    return (
        table.left <= x <= table.left + table.width and table.top <= y <= table.top + table.height
    )


def sentence_languages(
    sentences: list[str], parts: list[tuple[str, str | None]], default: str | None
) -> list[str | None]:
    """The language of each summary sentence: the page's it was taken from (an extractive
    summary quotes them), else the summary's."""
    known: dict[str, str | None] = {}
    for sentence, language in parts:
        known.setdefault(" ".join(sentence.split()), language)
    return [known.get(" ".join(sentence.split()), default) or default for sentence in sentences]


def main_language(sentences: list[str], languages: list[str | None]) -> str | None:
    """The language of most of the summary's characters."""
    characters: dict[str, int] = {}
    for sentence, language in zip(sentences, languages, strict=True):
        if language:
            characters[language] = characters.get(language, 0) + len(sentence)
    return max(characters, key=lambda code: characters[code]) if characters else None


def is_readable(text: PagedText, sentences: list[str]) -> bool:
    """Whether the sentences are text rather than OCR noise; a text layer always is."""
    if any(page.source is PageSource.TEXT_LAYER and page.lines for page in text.pages):
        return bool(sentences)
    words = sum(len(_WORD.findall(sentence)) for sentence in sentences)
    return words >= MIN_READABLE_WORDS


class SummarizeRequest(DocumentRequest):
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


def _tables(request: SummarizeRequest, ctx: Context[Any]) -> DocumentTables | None:
    if not any(a.kind is ArtifactKind.TABLES for a in request.text.artifacts):
        return None
    return ctx.storage.read_model(request.document.output.child(layout.TABLES), DocumentTables)


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def describe_tables(found: DocumentTables, max_tables: int = 2) -> SummaryDraft:
    """English sentences on what the tables hold: how many, and the largest ones' size and
    column headings (the first row). A table over a page break counts once. Worded for
    rule-based translation too: Apertium turns "table" into furniture ("mesa") and "in rows" into
    a verb in French; "columns of data" and "lines" come out right in Spanish and French."""
    parts: list[list[Table]] = []
    for table in found.tables:
        if table.continued_from_previous_page and parts:
            parts[-1].append(table)
        else:
            parts.append([table])
    pages = sorted({t.page for t in found.tables})
    span = f"page {pages[0]}" if len(pages) == 1 else f"pages {pages[0]} to {pages[-1]}"
    how_many = "" if len(parts) == 1 else f", in {len(parts)} parts"
    sentences = [f"The document consists of columns of data on {span}{how_many}."]

    def rows(pieces: list[Table]) -> int:
        # A header repeated at the top of each page it runs over counts once.
        header = pieces[0].grid()[:1]
        return sum(p.rows for p in pieces) - sum(1 for p in pieces[1:] if p.grid()[:1] == header)

    largest = sorted(range(len(parts)), key=lambda i: -rows(parts[i]))[:max_tables]
    for ordinal in sorted(largest):
        pieces = parts[ordinal]
        first = pieces[0]
        headings = [cell for cell in (first.grid() or [[]])[0] if cell.strip()]
        where = (
            f"pages {first.page} to {pieces[-1].page}" if len(pieces) > 1 else f"page {first.page}"
        )
        name = "It" if len(parts) == 1 else f"Part {ordinal + 1} ({where})"
        sentence = f"{name} has {rows(pieces)} lines and {first.columns} columns"
        sentences.append(sentence + (f": {_listed(headings)}." if headings else "."))
    return SummaryDraft(
        text=" ".join(sentences), sentences=sentences, method=SummaryMethod.TABLES, engine="tables"
    )


def _draft(
    request: SummarizeRequest, text: PagedText, ctx: Context[Any]
) -> tuple[SummaryDraft, list[str], str | None, list[str]]:
    """The summary draft, the sentences it was made from, its language and the warnings."""
    tables = _tables(request, ctx)
    parts = readable_parts(text, ctx.settings.min_text_confidence, tables)
    sentences = [sentence for sentence, _ in parts]
    has_pictures = isinstance(request.tags, TagResult) and bool(request.tags.images)
    if sentences and (not has_pictures or is_readable(text, sentences)):
        draft = ctx.engines.summarizer.summarize(
            sentences, text.language, ctx.settings.summary_sentences
        )
        if draft.text:
            return draft, sentences, text.language, []
        if tables is None or not tables.tables:
            warning = (
                "no sentence of the text reads as prose (headings, lists): nothing to summarize"
            )
            return draft, sentences, text.language, [warning]
    if tables is not None and tables.tables:
        # No prose, or none outside the tables: a register, a price list. Its tables say more.
        warning = "no prose in the text: the summary describes its tables"
        return describe_tables(tables), sentences, "en", [warning]
    if not has_pictures:
        draft = SummaryDraft(text="", method=SummaryMethod.NONE, engine="none")
        return draft, sentences, text.language, ["no text and no pictures: nothing to summarize"]
    tags = ctx.storage.read_model(request.document.output.child(layout.TAGS), Tags)
    draft = describe_labels(tags)
    if draft.text:
        return draft, [], "en", ["no readable text: the summary describes the pictures"]
    return draft, [], "en", ["no readable text and no picture label: nothing to summarize"]


@names_the_document
def summarize(request: SummarizeRequest, ctx: Context[Any]) -> SummaryResult:
    document = request.document
    text = read_text_lines(ctx, document.output.child(layout.TEXT))
    draft, sentences, language, warnings = _draft(request, text, ctx)
    summary_sentences = draft.sentences or split_sentences(draft.text, language)
    languages: list[str | None] = []
    if draft.method is SummaryMethod.EXTRACTIVE and draft.text:
        parts = readable_parts(text, ctx.settings.min_text_confidence)
        languages = sentence_languages(summary_sentences, parts, language)
        language = main_language(summary_sentences, languages) or language
    # summary.json records the tokens a model used; a local summary's are an estimate, kept
    # for the cost ledger only.
    used = None if draft.usage_estimated else draft.usage
    summary = Summary(
        document_id=document.id,
        language=language if draft.text else None,
        method=draft.method,
        engine=draft.engine,
        model=draft.model,
        text=draft.text,
        sentences=summary_sentences,
        sentence_languages=languages if len(set(languages)) > 1 else [],
        source_sentences=len(sentences),
        usage=used,
    )
    details: dict[str, JsonValue] = {
        "method": summary.method.value,
        "sentences": len(summary.sentences),
    }
    if used is not None:
        details["input_tokens"] = used.input_tokens
        details["output_tokens"] = used.output_tokens
    artifact = ctx.storage.put_artifact(
        document.output,
        layout.SUMMARY,
        ArtifactKind.SUMMARY,
        summary,
        language=summary.language,
        details=details,
    )
    logger.info(
        "summarized: %d of %d sentences (%s)",
        len(summary.sentences),
        len(sentences),
        summary.method.value,
    )
    return SummaryResult(
        artifacts=[artifact],
        language=summary.language,
        characters=len(summary.text),
        method=summary.method.value,
        model=summary.model,
        usage=draft.usage,
        usage_estimated=draft.usage_estimated,
        warnings=warnings,
        billed=draft.billed,
    )
