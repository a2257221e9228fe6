"""Summarize: a short summary of the document's text, in the document's language.

Only what was read with confidence is summarized: OCR of a photo turns circuit boards, fabric or
foliage into fragments (``S2fSdiscOvETY fea 2S``) that stay in ``text.json`` with their low
confidence but are not text worth translating or narrating. A document without readable text (a
photo, a blank scan) is described by its picture labels instead, so that translation and
narration still have something true to say.

A long document is summarized by a map-reduce that the state machine runs, so that no task grows
with the document: ``plan_summary`` (the Summarize state) summarizes a document of one chunk at
once, or writes a longer one's chunks to the bucket and returns a small ``SummaryPlan``;
``summarize_chunk`` (an iteration of the SummarizeChunks Map) makes one request for one chunk and
writes its summary beside it, unless it is there already; ``reduce_summary`` (ReduceSummary)
combines the summaries into ``summary.json``, or groups them into the chunks of another level.
``summarize`` runs all of it in one process.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Protocol

from pydantic import Field, JsonValue

from scriba import layout
from scriba.context import Context
from scriba.cost.units import Billed
from scriba.engines.ports import SummaryDraft, SummaryStep
from scriba.errors import EngineFailed, ScribaError
from scriba.media.sentences import split_sentences
from scriba.models.base import Model
from scriba.models.document import S3Location
from scriba.models.manifest import ArtifactKind
from scriba.models.summary import Summary, SummaryMethod, TokenUsage
from scriba.models.tables import DocumentTables, Table
from scriba.models.tags import Tags
from scriba.models.text import Box, Page, PageSource
from scriba.stages import names_the_document
from scriba.workflow import (
    Document,
    DocumentRequest,
    StageFailure,
    SummaryPlan,
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
    """The first step (``plan``): a document of one chunk is summarized in it; a longer one is
    cut into chunks for the state machine's map-reduce."""

    action: Literal["plan"] = "plan"
    text: TextResult
    tags: TagResult | StageFailure


class SummarizeChunkRequest(DocumentRequest):
    """One iteration of the Map: the summary of one chunk of one level."""

    action: Literal["chunk"]
    level: int = Field(ge=0)
    chunk: int = Field(ge=0)
    chunks: int = Field(ge=1)
    language: str | None = None


class SummarizeChunkResult(Model):
    """A few bytes, whatever the chunk: each iteration's output counts in the Map's result."""

    level: int
    chunk: int
    calls: int = Field(ge=0, description="Requests made: 0 when the chunk was summarized before")


class ReduceSummaryRequest(DocumentRequest):
    """After the Map: the chunks' summaries combined, or grouped into the next level."""

    action: Literal["reduce"]
    text: TextResult
    tags: TagResult | StageFailure
    plan: SummaryPlan


SummarizeAction = Annotated[
    SummarizeRequest | SummarizeChunkRequest | ReduceSummaryRequest,
    Field(discriminator="action"),
]


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


def _tables(
    request: SummarizeRequest | ReduceSummaryRequest, ctx: Context[Any]
) -> DocumentTables | None:
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
    request: SummarizeRequest,
    text: PagedText,
    ctx: Context[Any],
    parts: list[tuple[str, str | None]],
    tables: DocumentTables | None,
) -> tuple[SummaryDraft, str | None, list[str]]:
    """The summary draft of a document of one chunk (or none), its language and the warnings."""
    sentences = [sentence for sentence, _ in parts]
    if _has_prose(request, text, sentences):
        draft = ctx.engines.summarizer.summarize(
            sentences, text.language, ctx.settings.summary_sentences
        )
        if draft.text or tables is None or not tables.tables:
            return _no_prose(draft, tables, text.language)
    if tables is not None and tables.tables:
        # No prose, or none outside the tables: a register, a price list. Its tables say more.
        warning = "no prose in the text: the summary describes its tables"
        return describe_tables(tables), "en", [warning]
    if not _has_pictures(request):
        draft = SummaryDraft(text="", method=SummaryMethod.NONE, engine="none")
        return draft, text.language, ["no text and no pictures: nothing to summarize"]
    tags = ctx.storage.read_model(request.document.output.child(layout.TAGS), Tags)
    draft = describe_labels(tags)
    if draft.text:
        return draft, "en", ["no readable text: the summary describes the pictures"]
    return draft, "en", ["no readable text and no picture label: nothing to summarize"]


def _has_pictures(request: SummarizeRequest | ReduceSummaryRequest) -> bool:
    return isinstance(request.tags, TagResult) and bool(request.tags.images)


def _has_prose(request: SummarizeRequest, text: PagedText, sentences: list[str]) -> bool:
    """Whether the sentences are worth summarizing: any, and text rather than OCR noise when
    the document has pictures too."""
    return bool(sentences) and (not _has_pictures(request) or is_readable(text, sentences))


def _no_prose(
    draft: SummaryDraft, tables: DocumentTables | None, language: str | None
) -> tuple[SummaryDraft, str | None, list[str]]:
    """A summary of the prose, or, when no sentence of it reads as prose, of the tables."""
    if draft.text:
        return draft, language, []
    if tables is not None and tables.tables:
        warning = "no prose in the text: the summary describes its tables"
        return describe_tables(tables), "en", [warning]
    warning = "no sentence of the text reads as prose (headings, lists): nothing to summarize"
    return draft, language, [warning]


def _write_summary(
    request: DocumentRequest,
    ctx: Context[Any],
    draft: SummaryDraft,
    language: str | None,
    warnings: list[str],
    parts: Sequence[tuple[str, str | None]],
    source_sentences: int,
    spent: Spent | None = None,
) -> SummaryResult:
    """summary.json from the draft, and the stage's small result. ``spent``: what a map-reduce
    used in all (the draft is its last step only)."""
    document = request.document
    summary_sentences = draft.sentences or split_sentences(draft.text, language)
    languages: list[str | None] = []
    if draft.method is SummaryMethod.EXTRACTIVE and draft.text:
        languages = sentence_languages(summary_sentences, list(parts), language)
        language = main_language(summary_sentences, languages) or language
    total = Spent.of(draft) if spent is None else spent
    # summary.json records the tokens a model used; a local summary's are an estimate, kept
    # for the cost ledger only.
    used = None if total.estimated or draft.usage is None else total.usage
    summary = Summary(
        document_id=document.id,
        language=language if draft.text else None,
        method=draft.method,
        engine=draft.engine,
        model=draft.model,
        text=draft.text,
        sentences=summary_sentences,
        sentence_languages=languages if len(set(languages)) > 1 else [],
        source_sentences=source_sentences,
        usage=used,
    )
    details: dict[str, JsonValue] = {
        "method": summary.method.value,
        "sentences": len(summary.sentences),
    }
    if used is not None:
        details["input_tokens"] = used.input_tokens
        details["output_tokens"] = used.output_tokens
    if isinstance(request, ReduceSummaryRequest):
        details["chunks"] = request.plan.first_chunks
        details["levels"] = request.plan.level + 1
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
        source_sentences,
        summary.method.value,
    )
    return SummaryResult(
        artifacts=[artifact],
        language=summary.language,
        characters=len(summary.text),
        method=summary.method.value,
        model=summary.model,
        usage=total.usage if draft.usage is not None or spent is not None else None,
        usage_estimated=total.estimated,
        warnings=warnings,
        billed=total.billed,
    )


# -- the map-reduce of a long document --------------------------------------------------------

# Levels of the map-reduce at most. Each level has fewer chunks than the one below (the reduce
# refuses one that does not), so the loop through the state machine's Map ends anyway; with
# Bedrock's windows a level divides the text by 4 or more, and 3,000 pages take two.
MAX_LEVELS = 8
# Chunks written or read at a time (S3 requests in threads: 445 chunks of 3,000 pages).
IO_THREADS = 8


@dataclass(frozen=True)
class Spent:
    """Tokens and billable items of some steps of a summary, summed."""

    usage: TokenUsage
    billed: list[Billed]
    estimated: bool = False

    @classmethod
    def of(cls, draft: SummaryDraft) -> Spent:
        return cls(draft.usage or TokenUsage(), list(draft.billed), draft.usage_estimated)

    def __add__(self, other: Spent) -> Spent:
        totals: dict[tuple[str, str], float] = {}
        for item in [*self.billed, *other.billed]:
            totals[(item.service, item.item)] = totals.get((item.service, item.item), 0.0) + (
                item.quantity
            )
        billed = [Billed(service=s, item=i, quantity=q) for (s, i), q in totals.items()]
        return Spent(self.usage + other.usage, billed, self.estimated or other.estimated)


class SummaryChunk(Model):
    """One chunk of one level, in the bucket: the sentences one request takes, each with its
    language (its page's at level 0) so that an extractive summary keeps them."""

    level: int
    index: int
    sentences: list[str]
    languages: list[str | None]


class PartialSummary(Model):
    """The summary of one chunk, in the bucket; ``digest`` says of which chunk, made how."""

    level: int
    index: int
    digest: str
    draft: SummaryDraft
    languages: list[str | None] = Field(description="The language of each of draft.units()")


def chunk_location(document: Document, level: int, index: int) -> S3Location:
    return document.work.child(f"summary/level-{level}/chunk-{index:05d}.json")


def partial_location(document: Document, level: int, index: int) -> S3Location:
    return document.work.child(f"summary/level-{level}/summary-{index:05d}.json")


def step_of(level: int) -> SummaryStep:
    """Level 0 summarizes parts of the document; above, groups of their summaries."""
    return SummaryStep.PART if level == 0 else SummaryStep.COMBINE_PART


def chunk_digest(ctx: Context[Any], chunk: SummaryChunk) -> str:
    """What makes a chunk's summary: the engine, the model, the summary's length, the step and
    the chunk's text. A partial with another digest (other settings, other text) is redone."""
    identity = [
        ctx.engines.summarizer.name,
        ctx.settings.bedrock_model_id,
        ctx.settings.summary_sentences,
        step_of(chunk.level).value,
        chunk.sentences,
    ]
    encoded = json.dumps(identity, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()


def _languages_of(
    sentences: Sequence[str], known: dict[str, str | None], default: str | None
) -> list[str | None]:
    return [known.get(" ".join(sentence.split()), default) for sentence in sentences]


def _known_languages(pairs: Sequence[tuple[str, str | None]]) -> dict[str, str | None]:
    known: dict[str, str | None] = {}
    for sentence, language in pairs:
        known.setdefault(" ".join(sentence.split()), language)
    return known


def _write_chunks(
    ctx: Context[Any],
    document: Document,
    level: int,
    chunks: list[list[str]],
    known: dict[str, str | None],
    default: str | None,
) -> None:
    def write(index: int) -> None:
        chunk = SummaryChunk(
            level=level,
            index=index,
            sentences=chunks[index],
            languages=_languages_of(chunks[index], known, default),
        )
        ctx.storage.write_model(chunk_location(document, level, index), chunk)

    with ThreadPoolExecutor(IO_THREADS) as pool:
        list(pool.map(write, range(len(chunks))))


def plan_chunks(
    request: DocumentRequest,
    ctx: Context[Any],
    level: int,
    chunks: list[list[str]],
    parts: Sequence[tuple[str, str | None]],
    language: str | None,
    source_sentences: int,
    spent: Spent | None = None,
    first_chunks: int | None = None,
) -> SummaryPlan:
    """Writes the chunks of a level and says what the Map iterates over."""
    _write_chunks(ctx, request.document, level, chunks, _known_languages(parts), language)
    logger.info("summary level %d: %d chunks for the Map", level, len(chunks))
    spent = spent or Spent(TokenUsage(), [])
    return SummaryPlan(
        level=level,
        chunks=len(chunks),
        items=list(range(len(chunks))),
        language=language,
        source_sentences=source_sentences,
        first_chunks=first_chunks or len(chunks),
        usage=spent.usage,
        usage_estimated=spent.estimated,
        billed=spent.billed,
    )


@names_the_document
def plan_summary(request: SummarizeRequest, ctx: Context[Any]) -> SummaryResult | SummaryPlan:
    """The summary of a document of one chunk (one request, as it always was), or the chunks of
    a longer one for the state machine's Map."""
    text = read_text_lines(ctx, request.document.output.child(layout.TEXT))
    tables = _tables(request, ctx)
    parts = readable_parts(text, ctx.settings.min_text_confidence, tables)
    sentences = [sentence for sentence, _ in parts]
    if _has_prose(request, text, sentences):
        summarizer = ctx.engines.summarizer
        chunks = summarizer.chunks(sentences, text.language, ctx.settings.summary_sentences)
        if len(chunks) > 1:
            return plan_chunks(request, ctx, 0, chunks, parts, text.language, len(sentences))
    draft, language, warnings = _draft(request, text, ctx, parts, tables)
    return _write_summary(request, ctx, draft, language, warnings, parts, len(sentences))


@contextmanager
def _about_chunk(request: SummarizeChunkRequest) -> Iterator[None]:
    """Names the chunk in the errors of its summary (after the state machine's retries, the
    document's failure record says which chunk failed)."""
    try:
        yield
    except ScribaError as error:
        where = f"summary chunk {request.chunk + 1} of {request.chunks}"
        if request.level:
            where += f" (level {request.level} of the map-reduce)"
        raise type(error)(f"{where}: {error}") from error


@names_the_document
def summarize_chunk(request: SummarizeChunkRequest, ctx: Context[Any]) -> SummarizeChunkResult:
    """One chunk's summary, written to the bucket. A chunk whose summary is there already (an
    earlier attempt of this task wrote it, or an earlier execution on the same document) is not
    asked again: a retry redoes only what failed."""
    document = request.document
    done = SummarizeChunkResult(level=request.level, chunk=request.chunk, calls=0)
    with _about_chunk(request):
        chunk = ctx.storage.read_model(
            chunk_location(document, request.level, request.chunk), SummaryChunk
        )
        digest = chunk_digest(ctx, chunk)
        target = partial_location(document, request.level, request.chunk)
        if ctx.storage.exists(target):
            earlier = ctx.storage.read_model(target, PartialSummary)
            if earlier.digest == digest:
                position = request.chunk + 1
                logger.info("summary part %d: summarized before, not asked again", position)
                return done
        draft = ctx.engines.summarizer.summarize_step(
            chunk.sentences,
            request.language,
            ctx.settings.summary_sentences,
            step_of(request.level),
        )
        known = _known_languages(list(zip(chunk.sentences, chunk.languages, strict=True)))
        partial = PartialSummary(
            level=request.level,
            index=request.chunk,
            digest=digest,
            draft=draft,
            languages=_languages_of(draft.units(), known, request.language),
        )
        ctx.storage.write_model(target, partial)
    return done.model_copy(update={"calls": draft.usage.calls if draft.usage else 1})


def _partials(ctx: Context[Any], document: Document, plan: SummaryPlan) -> list[PartialSummary]:
    def read(index: int) -> PartialSummary:
        return ctx.storage.read_model(partial_location(document, plan.level, index), PartialSummary)

    with ThreadPoolExecutor(IO_THREADS) as pool:
        return list(pool.map(read, range(plan.chunks)))


@names_the_document
def reduce_summary(request: ReduceSummaryRequest, ctx: Context[Any]) -> SummaryResult | SummaryPlan:
    """The chunks' summaries of one level: combined into the summary when they fit one request,
    else grouped into the chunks of the next level (the state machine's Map runs again)."""
    plan = request.plan
    partials = _partials(ctx, request.document, plan)
    spent = Spent(plan.usage, list(plan.billed), plan.usage_estimated)
    units: list[str] = []
    pairs: list[tuple[str, str | None]] = []
    for partial in partials:
        spent += Spent.of(partial.draft)
        found = partial.draft.units()
        units += found
        pairs += list(zip(found, partial.languages, strict=True))
    summarizer = ctx.engines.summarizer
    sentences = ctx.settings.summary_sentences
    groups = summarizer.chunks(units, plan.language, sentences)
    if len(groups) > 1:
        level = plan.level + 1
        if len(groups) >= plan.chunks or level >= MAX_LEVELS:
            raise EngineFailed(
                f"{summarizer.name}: the summaries of {plan.chunks} chunks make {len(groups)} "
                f"chunks again at level {level} of the map-reduce; giving up"
            )
        return plan_chunks(
            request,
            ctx,
            level,
            groups,
            pairs,
            plan.language,
            plan.source_sentences,
            spent,
            plan.first_chunks,
        )
    if groups:
        final = summarizer.summarize_step(groups[0], plan.language, sentences, SummaryStep.COMBINE)
    else:  # no chunk had a sentence worth quoting (an extractive engine's headings and lists)
        final = SummaryDraft(text="", method=SummaryMethod.NONE, engine=summarizer.name)
    spent += Spent.of(final)
    tables = _tables(request, ctx) if not final.text else None
    draft, language, warnings = _no_prose(final, tables, plan.language)
    return _write_summary(
        request,
        ctx,
        draft,
        language,
        plan.warnings + warnings,
        pairs,
        plan.source_sentences,
        spent,
    )


@names_the_document
def handle(request: SummarizeAction, ctx: Context[Any]) -> Model:
    """Runs one summarize action."""
    if isinstance(request, SummarizeChunkRequest):
        return summarize_chunk(request, ctx)
    if isinstance(request, ReduceSummaryRequest):
        return reduce_summary(request, ctx)
    return plan_summary(request, ctx)


def summarize(request: SummarizeRequest, ctx: Context[Any]) -> SummaryResult:
    """The whole summary in this process: the plan, then each level's chunks and reduce, as the
    state machine runs them (for callers outside the workflow: benchmarks, tests)."""
    result = plan_summary(request, ctx)
    while isinstance(result, SummaryPlan):
        for index in result.items:
            summarize_chunk(
                SummarizeChunkRequest(
                    action="chunk",
                    document=request.document,
                    level=result.level,
                    chunk=index,
                    chunks=result.chunks,
                    language=result.language,
                ),
                ctx,
            )
        result = reduce_summary(
            ReduceSummaryRequest(
                action="reduce",
                document=request.document,
                text=request.text,
                tags=request.tags,
                plan=result,
            ),
            ctx,
        )
    return result
