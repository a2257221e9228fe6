"""Sentences of extracted text (PDF text layers, OCR output), for every language scriba handles.

Pure Python, standard library only: it ships in the Lambda packages.

Why not a library: measured on this project's corpus and a set of abbreviation cases in
en/de/fr/es/pt/it/ca, ``choppa-srx`` (LanguageTool's rules) was the most accurate but
super-linear (21 s on the table-of-contents page of the 117-page book, 0.9 s on 300 characters
of ``a. a. a.``); ``sentence-splitter`` (Moses lists, last release 2019) and ``pysbd`` (no
Portuguese or Catalan) missed common abbreviations (``Dra.``, ``Sra.``, ``sig.``, ``dott.``);
``sentencex`` is a compiled extension, not pure Python. None of them knows PDF layout (hard
line breaks, hyphenated line ends, headings without punctuation, bullet lists), which is most
of the work here anyway.

The splitter runs in two passes, both linear in the length of the text:

1. layout: ``normalize_text`` repairs what text extraction does to words (soft hyphens,
   ``docu-\\nment``, ligatures, odd spaces), then lines are grouped into paragraphs: a page break
   (form feed) or a blank line ends a paragraph, and so does a heading (a short line without
   punctuation before a line that starts a new thought), a bullet or list item, and a
   table-of-contents line (dot leaders);
2. sentences: each paragraph is cut after ``.``, ``!``, ``?``, ellipses (and the Arabic and CJK
   stops) unless what follows starts in lower case, or the word before the period is an
   abbreviation of the language, an initial, a dotted acronym (``U.S.``), an enumerator at the
   start of a sentence (``1.``, ``IV.``) or a German ordinal (``3. Oktober``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["normalize_text", "split_sentences"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# -- abbreviations --------------------------------------------------------------------------
# Lower case, without the final period. Words that often END a sentence (etc., usw., Inc.) are
# left out on purpose: after them a capitalized word starts a new sentence.

_COMMON = _words(
    "dr dra drs prof profa st mr mrs ms messrs jr sr sra srta vs cf ca approx vol vols fig figs "
    "ed eds eq eqs pp ibid al"
)

_ABBREVIATIONS: dict[str, frozenset[str]] = {
    "en": _words(
        "rev hon mt ft gen col lt sgt capt cmdr gov pres sen rep dept est ch chap sec viz "
        "incl misc resp corp jan feb apr aug sep sept oct nov dec"
    ),
    "de": _words(
        "hr hrn fr frl dipl ing med phil rer nat habil bzw vgl ggf evtl inkl exkl zzgl bspw "
        "sog abb tab kap bd hrsg jh jhd mio mrd nr tel str ff geb gest bzgl allg ausg ebd "
        "einschl entspr gegr insb max min mind nachf od orig rd urspr verh vorm zit ugs dt "
        "engl franz lat griech gr bzgl sz zt zb usf"
    ),
    "fr": _words(
        "mm mme mmes mlle mlles pr me mgr ste av bd boul env chap ch éd éds tél ex apr cie vve"
    ),
    "es": _words(
        "sres dres dña lic ing arq sto sta ud uds vd vds av avda pág págs ej aprox cap núm "
        "tel adj cía dpto depto excmo excma ilmo ilma ee uu gral"
    ),
    "pt": _words(
        "dras exmo exma ilmo ilma ex pág págs cap nº núm tel av dto aprox séc sto sta gen cel"
    ),
    "it": _words(
        "sig sigg sigra dott dottssa ing avv arch geom rag on mons pag pagg cap tel cfr ecc segg"
    ),
    "ca": _words("pàg pàgs cap núm tel av ex aprox sant sta"),
    "gl": _words("páx páxs cap núm tel av ex aprox"),
    "nl": _words("dhr mevr mw ir ing bijv blz nr jl zgn resp vgl evt pag"),
    "ro": _words("dl dna dnă ing pag nr cap str bd jud ex"),
    "ar": frozenset(),
}

# Also ordinary words: an abbreviation only before a number ("No. 5", "art. 12", "Jan. 5").
_NUMERIC_ABBREVIATIONS = _words("no nos nr art n op p s ss cap fig par sec vol")

# German writes ordinals with a period: "am 3. Oktober", "im 19. Jahrhundert".
_GERMAN_ORDINAL_NOUNS = _words(
    "januar jänner februar märz april mai juni juli august september oktober november dezember "
    "jahrhundert jahrhunderts jahrtausend auflage klasse kapitel mal platz stock lebensjahr "
    "geburtstag semester weltkrieg weltkriegs hälfte quartal liga bundesliga runde"
)

_OPENING = "\"'“‘„‚«‹([{¿¡"
_CLOSING = "\"'”’»›)]}"
_BULLET_GLYPHS = "•◦▪▫‣⁃●○■□►▶▸✓✔➢➤"

# -- text normalization ---------------------------------------------------------------------

# pdfium marks a hyphen it removed at a line end with U+FFFE; others use the soft hyphen.
_SOFT_HYPHEN = re.compile("[\u00ad\ufffe\x02][ \t]*\n?[ \t]*")
_LIGATURES = re.compile("[\ufb00-\ufb06]")
_SPACES = re.compile("[\t\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_INVISIBLE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u200b\u2060\ufeff]")
_LINE_BREAKS = re.compile("\r\n?|[\u2028\u2029\x85]")
# A letter, a hyphen at a line end, a letter: the word around it is found from there. (A
# pattern starting with ``\w*`` backtracks over the whole of a long word at each of its letters:
# quadratic, 10 s for a 20,000-letter "word".)
_HYPHEN_AT_LINE_END = re.compile(r"(?<=[^\W\d_])-[ \t]*\n[ \t]*(?=[^\W\d_])")
_WORD_TAIL = re.compile(r"\w*")
_WORD_CHARACTER = re.compile(r"\w")
_HYPHENATED_WORD = re.compile(r"\b[^\W\d_]+(?:-[^\W\d_]+)+\b")
_RUNS_OF_SPACES = re.compile(r" {2,}")
_EDGE_SPACES = re.compile(r" *([\n\f]) *")


def normalize_text(text: str) -> str:
    """Repairs text extraction artifacts; keeps line breaks (``\\n``) and page breaks (``\\f``).

    Joins words hyphenated at a line end (``docu-\\nment`` becomes ``document``; ``E-\\nMail``,
    or a compound that the text writes with a hyphen elsewhere, keeps its hyphen), drops soft
    hyphens and invisible characters, expands ligatures (``ﬁ``) and turns every kind of space
    into a plain one.
    """
    text = _LINE_BREAKS.sub("\n", text)
    text = _SOFT_HYPHEN.sub("", text)
    text = _LIGATURES.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    text = _SPACES.sub(" ", text)
    text = _INVISIBLE.sub("", text)
    hyphenated = {word.lower() for word in _HYPHENATED_WORD.findall(text)}

    text = _join_hyphenated_line_ends(text, hyphenated)
    text = _RUNS_OF_SPACES.sub(" ", text)
    return _EDGE_SPACES.sub(r"\1", text).strip(" ")


def _join_hyphenated_line_ends(text: str, hyphenated: set[str]) -> str:
    """``docu-\\nment`` becomes ``document``, unless the tail is capitalised or the text writes
    the compound with a hyphen elsewhere. Linear: each word is read once from its hyphen."""
    parts: list[str] = []
    done = 0  # text[:done] is in parts
    for match in _HYPHEN_AT_LINE_END.finditer(text):
        if match.start() < done:
            continue
        start = match.start()
        while start > done and _WORD_CHARACTER.match(text, start - 1):
            start -= 1
        tail = _WORD_TAIL.match(text, match.end())
        assert tail is not None  # \w* always matches
        head, rest = text[start : match.start()], tail.group()
        parts.append(text[done:start])
        if rest[0].isupper() or f"{head}-{rest}".lower() in hyphenated:
            parts.append(f"{head}-{rest}")
        else:
            parts.append(head + rest)
        done = tail.end()
    parts.append(text[done:])
    return "".join(parts)


# -- paragraphs -----------------------------------------------------------------------------

_BLANK_LINE = re.compile(r"\n\s*\n")
_RAW_LINE_END = re.compile("\r\n?|[\n\u2028\u2029\x85\u00ad\ufffe\x02]")
_DOT_LEADER = re.compile(r"(?:\. ?){4,}|…{2,}|_{4,}")
_ENUMERATOR = re.compile(r"\(?(?:\d{1,3}|[a-zA-Z]|[ivxlcIVXLC]{1,5})\)\s")  # 1)  (a)  iv)
_NUMBERED = re.compile(r"(?:\d{1,3}|[ivxlcIVXLC]{1,5})\.\s")  # 1.  IV.
_DASH_BULLET = re.compile(r"[-–—*·]\s")
_TERMINAL = ".!?…؟۔。！？"
_SHORT_LINE = 0.6  # of the widest line on the page: shorter lines may be headings
_FULL_LINE = 0.8  # a line in title case shorter than this may be a heading too
_TITLE_CASE = 0.75  # share of the words (of four letters or more) that are capitalized


def _starts_item(line: str) -> bool:
    """A line that starts a list item whatever precedes it."""
    return line[0] in _BULLET_GLYPHS or _ENUMERATOR.match(line) is not None


def _may_start_item(line: str) -> bool:
    """A line that starts a list item if the line before it ended a thought."""
    return _NUMBERED.match(line) is not None or _DASH_BULLET.match(line) is not None


def _starts_lowercase(line: str) -> bool:
    stripped = line.lstrip(_OPENING)
    return bool(stripped) and stripped[0].islower()


def _is_title_case(line: str) -> bool:
    words = [word for word in line.split() if len(word) >= 4 and word[0].isalpha()]
    capitalized = sum(1 for word in words if word[0].isupper())
    return len(words) >= 2 and capitalized >= _TITLE_CASE * len(words)


def _is_heading_like(line: str, width: int) -> bool:
    """Without closing punctuation, and short or in title case and not a full line: a title, a
    caption, a table cell."""
    last = line[-1]
    if not (last.isalnum() or last in _CLOSING):
        return False
    return len(line) < _SHORT_LINE * width or (
        len(line) < _FULL_LINE * width and _is_title_case(line)
    )


def _ends_thought(line: str, width: int) -> bool:
    return line[-1] in _TERMINAL or line[-1] == ":" or len(line) < _SHORT_LINE * width


def _breaks_between(previous: str, line: str, width: int) -> bool:
    if _starts_item(line) or _DOT_LEADER.search(previous) or _DOT_LEADER.search(line):
        return True
    if _may_start_item(line) and _ends_thought(previous, width):
        return True
    return _is_heading_like(previous, width) and not _starts_lowercase(line)


def _page_width(raw_page: str) -> int:
    """The length of the longest line of a page of raw extracted text.

    Measured before normalization, where a removed hyphen still marks a line end: pdfium joins
    the two lines of a hyphenated word into one twice as long.
    """
    return max((len(line.strip()) for line in _RAW_LINE_END.split(raw_page)), default=0)


# Chinese and Japanese put no space between words: a line break inside a sentence is no space.
_UNSPACED = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def _join(lines: list[str]) -> str:
    """The lines of a paragraph on one line: a space between them, unless both sides of the
    break are written without spaces."""
    joined = lines[0]
    for line in lines[1:]:
        unspaced = _UNSPACED.match(joined[-1]) and _UNSPACED.match(line[0])
        joined += line if unspaced else " " + line
    return joined


def _paragraphs(text: str, widths: list[int]) -> Iterator[str]:
    """Paragraphs of normalized text, each on one line; ``widths`` are the pages' line widths."""
    open_paragraph: list[str] = []  # may continue on the next page or after a blank line
    for page, width in zip(text.split("\f"), widths, strict=True):
        blocks = [
            [line.strip() for line in block.split("\n") if line.strip()]
            for block in _BLANK_LINE.split(page)
        ]
        for lines in blocks:
            if not lines:
                continue
            if open_paragraph and not _starts_lowercase(lines[0]):
                yield _join(open_paragraph)
                open_paragraph = []
            current = open_paragraph
            open_paragraph = []
            for line in lines:
                if current and _breaks_between(current[-1], line, width):
                    yield _join(current)
                    current = []
                current.append(line)
            last = current[-1]
            if last[-1] not in _TERMINAL and not _is_heading_like(last, width):
                open_paragraph = current  # a sentence that goes on after the break
            else:
                yield _join(current)
    if open_paragraph:
        yield _join(open_paragraph)


# -- sentences ------------------------------------------------------------------------------

_BOUNDARY = re.compile(
    r"(?:\.{2,}|…|[.!?‽؟۔]+)(?:\s?[" + re.escape(_CLOSING) + r"])*(?=\s)"
    r"|[。！？]+[」』”’）)]*"
)
_CJK_STOP = frozenset("。！？")
_DOTTED_ACRONYM = re.compile(r"(?:[^\W\d_]{1,3}\.)+[^\W\d_]{1,3}")  # U.S  e.g  z.B  EE.UU
_LIST_ENUMERATOR = re.compile(r"\d{1,3}(?:\.\d{1,3})*|[ivxlcdm]{1,6}|[^\W\d_]", re.IGNORECASE)
_LAST_WORD = re.compile(r"\S+$")
_CONTEXT = 64  # characters looked at around a period: bounds the work per candidate


@dataclass(frozen=True)
class _Rules:
    abbreviations: frozenset[str]
    german_ordinals: bool


def _rules(language: str | None) -> _Rules:
    code = re.split(r"[-_]", language.strip().lower())[0] if language else None
    if code is None:  # unknown language: every list, the safe side is not to split
        every = frozenset().union(*_ABBREVIATIONS.values())
        return _Rules(_COMMON | every, german_ordinals=True)
    return _Rules(_COMMON | _ABBREVIATIONS.get(code, frozenset()), german_ordinals=code == "de")


def _is_boundary(paragraph: str, match: re.Match[str], sentence_start: int, rules: _Rules) -> bool:
    """Whether the sentence that began at ``sentence_start`` ends with ``match``, a candidate
    stop in ``paragraph``."""
    punctuation = match.group()
    if punctuation[0] in _CJK_STOP:
        return True
    following = paragraph[match.end() : match.end() + _CONTEXT].lstrip()  # spaces are single
    if not following:
        return True
    first = following.lstrip(_OPENING)[:1]
    if first.islower():
        return False
    if punctuation.rstrip(_CLOSING + " ") != ".":
        return True  # ! ? and ellipses: the case of the next word decides
    return not _period_inside_sentence(paragraph, match, sentence_start, following, rules)


def _period_inside_sentence(
    paragraph: str, match: re.Match[str], sentence_start: int, following: str, rules: _Rules
) -> bool:
    """Whether the period of ``match``, followed by ``following`` (which does not start in lower
    case), belongs to the word before it or to the sentence's start rather than ending it."""
    window = max(sentence_start, match.start() - _CONTEXT)
    before = paragraph[window : match.start()]
    found = _LAST_WORD.search(before)
    if found is None:
        return True  # ". . ." dot leaders, a period after a space
    word = found.group().lstrip(_OPENING)
    at_start = window == sentence_start and before.strip() == found.group()
    return (
        _is_abbreviated(word, following, rules)
        # "1. Introduction", "IV. Results" at the start of a sentence
        or (at_start and _LIST_ENUMERATOR.fullmatch(word) is not None)
        or (rules.german_ordinals and _is_german_ordinal(word, following))
    )


def _is_abbreviated(word: str, following: str, rules: _Rules) -> bool:
    """Whether ``word`` (the word before a period, opening quotes and brackets stripped) keeps
    its period: dot leaders, an initial, an abbreviation or a dotted acronym."""
    lowered = word.lower()
    return (
        not word.strip(".")  # dot leaders
        or (len(word) == 1 and word.isalpha())  # an initial: "J. R. R. Tolkien", "z. B.", "d. h."
        or lowered in rules.abbreviations
        or _DOTTED_ACRONYM.fullmatch(word) is not None
        # "No. 5", "art. 12": an abbreviation only before a number
        or (lowered in _NUMERIC_ABBREVIATIONS and following.lstrip(_OPENING)[:1].isdigit())
    )


def _is_german_ordinal(word: str, following: str) -> bool:
    """Whether ``word`` and its period write a German ordinal: "am 3. Oktober"."""
    if not (word.isdigit() and len(word) <= 3):
        return False
    next_word = following.split(maxsplit=1)[0].strip(_OPENING + _CLOSING + ",.;:")
    return next_word.lower() in _GERMAN_ORDINAL_NOUNS


def _split_paragraph(paragraph: str, rules: _Rules) -> Iterator[str]:
    start = 0
    for match in _BOUNDARY.finditer(paragraph):
        if _is_boundary(paragraph, match, start, rules):
            sentence = paragraph[start : match.end()].strip()
            if sentence:
                yield sentence
            start = match.end()
    rest = paragraph[start:].strip()
    if rest:
        yield rest


def _strip_bullet(sentence: str) -> str:
    if sentence[0] in _BULLET_GLYPHS or _DASH_BULLET.match(sentence):
        return sentence[1:].lstrip()
    return sentence


def split_sentences(text: str, language: str | None = None) -> list[str]:
    """The sentences of ``text`` in order, each on one line with single spaces.

    ``language`` is an ISO 639-1 code (``de``, ``pt-BR`` …) choosing the abbreviations;
    ``None`` uses every language's. Headings, list items and table-of-contents lines come out
    as units of their own. Form feeds (``\\f``) separate pages.
    """
    rules = _rules(language)
    # Normalization keeps every form feed, so pages of the raw and the normalized text match.
    widths = [_page_width(page) for page in text.split("\f")]
    sentences: list[str] = []
    for paragraph in _paragraphs(normalize_text(text), widths):
        for sentence in _split_paragraph(paragraph, rules):
            unit = _strip_bullet(sentence)
            if unit:
                sentences.append(unit)
    return sentences
