"""Extractive summary: the most central sentences of the document, in document order.

Ranking is LexRank (Erkan & Radev, 2004, "LexRank: Graph-based Lexical Centrality as Salience in
Text Summarization"): sentences are TF-IDF vectors of stemmed words, linked by cosine
similarity, and a sentence's score is its stationary probability in a random walk on that
graph (with damping, so the walk always converges). Stemmers come from ``snowballstemmer`` (the
Snowball project's own pure-Python build: Catalan included, imported in 15 ms where NLTK takes a
second), stop words from ``sumy``'s lists; the graph is ours, in numpy, because sumy's LexRank is
pure-Python O(n²), has no damping and no iteration cap.

A 117-page book has thousands of sentences and LexRank is quadratic: candidates are ranked in
consecutive sections of at most ``SECTION`` sentences, the best of each section go on to a final
round, so the work grows linearly with the length of the document.

Longer documents are summarized chunk by chunk, as Bedrock's are, by the state machine's
map-reduce (``scriba.stages.summarize``): ``chunks`` cuts the document into runs of at most
``CHUNK_SENTENCES`` sentences (the 117-page book, about 3,100 readable sentences, is one: its
summary is made in one step, as before), each chunk gives its best ``FINALISTS_PER_CHUNK``
sentences (map), and a final ranking over those winners chooses the summary (reduce).

Text from PDFs is full of things that are not sentences: headings, table cells, formulas,
table-of-contents lines, page headers and footers, URLs. They are never chosen, and neither is
a near duplicate of a sentence already chosen. Every sentence of the summary is a sentence of
the input, unchanged.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from scriba.cost.units import bedrock_tokens
from scriba.engines.ports import SummaryDraft, SummaryStep
from scriba.media.chunking import estimate_tokens
from scriba.models.summary import SummaryMethod, TokenUsage

if TYPE_CHECKING:
    from scriba.config import Settings

ENGINE = "lexrank"

SECTION = 300  # sentences ranked together: bounds the O(n²) similarity matrix
DAMPING = 0.85  # probability that the random walk follows a similarity link
MAX_ITERATIONS = 200  # 0.85**200 < 1e-14: converged long before
SIMILARITY_THRESHOLD = 0.1  # weaker links are noise (shared common words)
NEAR_DUPLICATE = 0.5  # cosine similarity above which a sentence repeats a chosen one
MIN_WORDS = 6
MAX_WORDS = 80  # longer "sentences" are glued tables or lists
MIN_LETTER_SHARE = 0.75  # of the non-space characters: formulas and tables have less
MAX_UPPERCASE_SHARE = 0.5  # of the letters: running headers ("TOPOLOGISCHE RÄUME")
REPEATED = 3  # a short line seen this often is a page header or footer
# Sentences one step ranks: a document of more is summarized chunk by chunk (about 150 pages of
# the German book; a step takes about half a second).
CHUNK_SENTENCES = 4_000
FINALISTS_PER_CHUNK = 30  # what a chunk hands on to the final ranking (at least the summary's)

_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
# Scripts written without spaces (Chinese, Japanese): a run of their characters is not a word;
# overlapping character pairs stand for its words, as in search engines.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def words_of(sentence: str) -> list[str]:
    """The words of a sentence; in an unspaced script, its overlapping character pairs."""
    found: list[str] = []
    for token in _WORD.findall(sentence):
        if not _UNSPACED.search(token):
            found.append(token)
            continue
        for piece in re.split(f"({_UNSPACED.pattern})", token):
            if not piece:
                continue
            if _UNSPACED.fullmatch(piece):
                found.extend(piece[i : i + 2] for i in range(max(len(piece) - 1, 1)))
            else:
                found.append(piece)
    return found


_TERMINAL = re.compile(r"[.!?…؟。！？][\"'”’»)\]]*$")
_JUNK = re.compile(
    r"(?:\. ?){4,}|…{2,}|_{4,}"  # dot leaders
    r"|https?://|www\.|\S+@\S+\.\w"  # URLs, e-mail addresses
    r"|[=<>≤≥∈⊆∪∩→⇒⇔∀∃∑∫√{}|\u0370-\u03ff]"  # formulas (Greek letters: none of our languages)
)
# A Latin letter standing alone (not an initial, not a one-letter word of our languages):
# a variable of a formula.
_VARIABLE = re.compile(r"(?<![\w.'’])[b-df-hj-np-tv-xz](?![\w.'’])", re.IGNORECASE)
_SNOWBALL = {
    "ar": "arabic",
    "ca": "catalan",
    "de": "german",
    "en": "english",
    "es": "spanish",
    "fr": "french",
    "gl": "portuguese",  # no Galician stemmer: Portuguese is its closest kin
    "it": "italian",
    "nl": "dutch",
    "pt": "portuguese",
    "ro": "romanian",
}
_STOP_WORDS = {
    "ar": "arabic",
    "de": "german",
    "en": "english",
    "es": "spanish",
    "fr": "french",
    "it": "italian",
    "pt": "portuguese",
}
_TRUNCATE = 6  # stemming by truncation where no stemmer exists (unknown languages)

Vector = npt.NDArray[np.float64]
Matrix = npt.NDArray[np.float64]


@dataclass(frozen=True)
class _Language:
    stem: Callable[[str], str]
    stop_words: frozenset[str]


@lru_cache(maxsize=16)
def _language(code: str | None) -> _Language:
    import snowballstemmer  # noqa: PLC0415
    from sumy.utils import get_stop_words  # noqa: PLC0415

    stem: Callable[[str], str]
    if code in _SNOWBALL:
        stem = lru_cache(maxsize=65536)(snowballstemmer.stemmer(_SNOWBALL[code]).stemWord)
    else:

        def stem(word: str) -> str:
            return word[:_TRUNCATE]

    stop_words: frozenset[str] = frozenset()
    if code in _STOP_WORDS:
        stop_words = frozenset(word.lower() for word in get_stop_words(_STOP_WORDS[code]))
    return _Language(stem=stem, stop_words=stop_words)


def _code(language: str | None) -> str | None:
    if not language:
        return None
    return re.split(r"[-_]", language.strip().lower())[0] or None


def _shape_key(sentence: str) -> str:
    """Equal for lines that differ only by numbers and case: "4 1.1. TOPOLOGISCHE RÄUME"."""
    return " ".join(_WORD.findall(sentence.lower()))


def _starts_like_sentence(sentence: str) -> bool:
    """A capital (or a letter of a script without case) first: not a fragment, not a list label."""
    first = sentence.lstrip("\"'“‘„«¿¡")[:1]
    return first.isalpha() and not first.islower()


def _is_prose(sentence: str, words: list[str]) -> bool:
    if not MIN_WORDS <= len(words) <= MAX_WORDS or _JUNK.search(sentence):
        return False
    if _VARIABLE.search(sentence) or not _starts_like_sentence(sentence):
        return False
    visible = [char for char in sentence if not char.isspace()]
    letters = [char for char in visible if char.isalpha()]
    if len(letters) < MIN_LETTER_SHARE * len(visible):
        return False
    upper = sum(1 for char in letters if char.isupper())
    return upper <= MAX_UPPERCASE_SHARE * len(letters)


def _candidates(sentences: Sequence[str], words: list[list[str]]) -> list[int]:
    """Indices of the sentences worth choosing: prose, not repeated, first occurrence only.

    Real sentences end with a stop; when a document has too few of them (slides, lists), lines
    without one are taken too.
    """
    shapes = Counter(_shape_key(sentence) for sentence in sentences)
    seen: set[str] = set()
    prose: list[int] = []
    for index, sentence in enumerate(sentences):
        shape = _shape_key(sentence)
        repeated_line = shapes[shape] >= REPEATED and len(words[index]) <= 10
        if shape in seen or repeated_line or not _is_prose(sentence, words[index]):
            continue
        seen.add(shape)
        prose.append(index)
    stopped = [index for index in prose if _TERMINAL.search(sentences[index])]
    return stopped if len(stopped) >= min(len(prose), 3) else prose


def _term_vectors(terms: list[list[str]], idf: dict[str, float]) -> Matrix:
    """Rows: L2-normalized TF-IDF vectors of the sentences over their joint vocabulary."""
    vocabulary: dict[str, int] = {}
    for sentence_terms in terms:
        for term in sentence_terms:
            vocabulary.setdefault(term, len(vocabulary))
    vectors = np.zeros((len(terms), max(len(vocabulary), 1)))
    for row, sentence_terms in enumerate(terms):
        for term, count in Counter(sentence_terms).items():
            vectors[row, vocabulary[term]] = count * idf[term]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    normalized: Matrix = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
    return normalized


def _lexrank(vectors: Matrix) -> Vector:
    """Continuous LexRank scores (they sum to 1) of sentences given as unit vectors."""
    count = vectors.shape[0]
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, 0.0)
    similarity[similarity < SIMILARITY_THRESHOLD] = 0.0
    sums = similarity.sum(axis=1, keepdims=True)
    # A sentence linked to nothing jumps anywhere: rows stay stochastic.
    transition = np.where(sums > 0, similarity / np.where(sums > 0, sums, 1.0), 1.0 / count)
    scores: Vector = np.full(count, 1.0 / count)
    for _ in range(MAX_ITERATIONS):  # converges geometrically, by DAMPING per step
        updated: Vector = (1 - DAMPING) / count + DAMPING * (transition.T @ scores)
        converged = float(np.abs(updated - scores).sum()) < 1e-10
        scores = updated
        if converged:
            break
    return scores


class ExtractiveSummarizer:
    """The ``Summarizer`` of the local engines: LexRank over the document's own sentences."""

    name = "extractive"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def summarize(
        self, sentences: Sequence[str], language: str | None, max_sentences: int
    ) -> SummaryDraft:
        return self._extract(sentences, language, max_sentences)

    def chunks(
        self, sentences: Sequence[str], language: str | None, max_sentences: int
    ) -> list[list[str]]:
        kept = [sentence for sentence in sentences if sentence.strip()]
        return [
            list(kept[start : start + CHUNK_SENTENCES])
            for start in range(0, len(kept), CHUNK_SENTENCES)
        ]

    def summarize_step(
        self,
        sentences: Sequence[str],
        language: str | None,
        max_sentences: int,
        step: SummaryStep,
    ) -> SummaryDraft:
        """A chunk's best sentences, in document order: ``FINALISTS_PER_CHUNK`` of them for a
        part (or a group of parts' winners), the summary's own number for the last step."""
        if step is SummaryStep.COMBINE:
            return self._extract(sentences, language, max_sentences)
        return self._extract(sentences, language, max(max_sentences, FINALISTS_PER_CHUNK))

    def _extract(
        self, sentences: Sequence[str], language: str | None, max_sentences: int
    ) -> SummaryDraft:
        if max_sentences < 1:
            raise ValueError(f"max_sentences must be at least 1, got {max_sentences}")
        # A line without a letter (a page number, a row of figures) is never a summary sentence.
        distinct = list(dict.fromkeys(sentence.strip() for sentence in sentences))
        distinct = [sentence for sentence in distinct if any(char.isalpha() for char in sentence)]
        if len(distinct) <= max_sentences:
            chosen = distinct
        else:
            chosen = [distinct[index] for index in self._choose(distinct, language, max_sentences)]
        if not chosen:
            return SummaryDraft(text="", sentences=[], method=SummaryMethod.NONE, engine=ENGINE)
        text = " ".join(chosen)
        # What Bedrock would have been billed for the same text and summary.
        usage = TokenUsage(
            input_tokens=estimate_tokens(" ".join(sentences)),
            output_tokens=estimate_tokens(text),
            calls=1,
        )
        return SummaryDraft(
            text=text,
            sentences=chosen,
            method=SummaryMethod.EXTRACTIVE,
            engine=ENGINE,
            usage=usage,
            usage_estimated=True,
            billed=bedrock_tokens(self.settings.bedrock_model_id, usage),
        )

    def _choose(self, sentences: list[str], language: str | None, count: int) -> list[int]:
        """Indices of the chosen sentences, in document order."""
        words = [words_of(sentence) for sentence in sentences]
        candidates = _candidates(sentences, words)
        if len(candidates) <= count:
            return candidates
        lang = _language(_code(language))
        terms = {
            index: [
                lang.stem(word)
                for word in (token.lower() for token in words[index])
                if len(word) > 1 and word not in lang.stop_words
            ]
            for index in candidates
        }
        candidates = [index for index in candidates if terms[index]]
        documents = len(candidates)
        frequency = Counter(term for index in candidates for term in set(terms[index]))
        idf = {term: math.log(documents / seen) + 1.0 for term, seen in frequency.items()}

        # Linear in the document's length: rank by sections, the best of each go to a final.
        finalists = candidates
        if len(candidates) > SECTION:
            sections = math.ceil(len(candidates) / SECTION)
            per_section = max(count, math.ceil(SECTION / sections))
            size = math.ceil(len(candidates) / sections)
            finalists = []
            for start in range(0, len(candidates), size):
                section = candidates[start : start + size]
                scores = _lexrank(_term_vectors([terms[index] for index in section], idf))
                best = sorted(range(len(section)), key=lambda i: (-scores[i], i))[:per_section]
                finalists.extend(section[i] for i in sorted(best))

        vectors = _term_vectors([terms[index] for index in finalists], idf)
        scores = _lexrank(vectors)
        chosen: list[int] = []
        for position in sorted(range(len(finalists)), key=lambda i: (-scores[i], i)):
            if all(vectors[position] @ vectors[other] <= NEAR_DUPLICATE for other in chosen):
                chosen.append(position)
                if len(chosen) == count:
                    break
        return sorted(finalists[position] for position in chosen)
