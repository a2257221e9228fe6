"""Packing sentences into requests that fit a service's size limit.

Pure Python: it ships in the Lambda packages. Amazon Translate takes at most 10,000 bytes of
UTF-8 per ``TranslateText`` request, Polly at most 3,000 billed characters per
``SynthesizeSpeech``: the stages pack whole sentences greedily so each request carries as much
as it may, and a sentence is cut only when it alone is over the limit, first between words,
and a word longer than the limit between characters (never inside a UTF-8 sequence, and not
inside a character built of several code points when that can be helped).

Joining the chunks with whitespace gives back the sentences' text: only whitespace changes.

``estimate_tokens`` bounds a text's tokens for a language model: Bedrock packs by it, and a
local summary reports what Bedrock would have been billed with it.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Iterator, Sequence

__all__ = ["chunk_by_bytes", "chunk_by_characters", "estimate_tokens", "text_head"]

Size = Callable[[str], int]

_MAX_UTF8_CHARACTER = 4  # bytes: the smallest limit that fits every character


def _utf8_size(text: str) -> int:
    return len(text.encode("utf-8"))


def _joins_previous(char: str) -> bool:
    """A code point that belongs to the character before it (accents, emoji modifiers…)."""
    return (
        unicodedata.combining(char) != 0
        or unicodedata.category(char) in ("Mn", "Me", "Mc")
        or char in "\u200d\ufe0e\ufe0f"  # zero-width joiner, variation selectors
        or "\U0001f3fb" <= char <= "\U0001f3ff"  # skin tone modifiers
        or "\U000e0020" <= char <= "\U000e007f"  # tag characters (flag sequences)
    )


def _split_word(word: str, limit: int, size: Size) -> Iterator[str]:
    """Pieces of a word, each within ``limit``; cut between user-perceived characters if the
    text allows, else between code points."""
    start = 0
    used = 0
    safe_cut = 0  # last position inside the current piece that does not split a character
    position = 0
    while position < len(word):
        char = word[position]
        char_size = size(char)
        if position > start and not _joins_previous(char) and word[position - 1] != "\u200d":
            safe_cut = position
        if used + char_size > limit:
            cut = safe_cut if safe_cut > start else position
            yield word[start:cut]
            start = cut
            safe_cut = start
            used = size(word[start:position])
            continue  # re-examine this character against the new piece
        used += char_size
        position += 1
    if start < len(word):
        yield word[start:]


def _pieces(sentence: str, limit: int, size: Size) -> Iterator[tuple[str, bool]]:
    """The sentence itself if it fits, else parts of it cut between words; each with whether
    it may share a chunk (False for the fragments of a word, but its last)."""
    if size(sentence) <= limit:
        yield sentence, True
        return
    current: list[str] = []
    used = 0
    for word in sentence.split():
        word_size = size(word)
        if word_size > limit:
            if current:
                yield " ".join(current), True
                current, used = [], 0
            *fragments, last = _split_word(word, limit, size)
            for fragment in fragments:
                yield fragment, False
            current, used = [last], size(last)
            continue
        extra = word_size + (1 if current else 0)  # the space before it
        if current and used + extra > limit:
            yield " ".join(current), True
            current, used = [], 0
            extra = word_size
        current.append(word)
        used += extra
    if current:
        yield " ".join(current), True


def _chunk(sentences: Sequence[str], limit: int, separator: str, size: Size) -> list[str]:
    separator_size = size(separator)
    chunks: list[str] = []
    current: list[str] = []
    used = 0
    for sentence in sentences:
        stripped = sentence.strip()
        if not stripped:
            continue
        for piece, shareable in _pieces(stripped, limit, size):
            piece_size = size(piece)
            extra = piece_size + (separator_size if current else 0)
            if current and (used + extra > limit or not shareable):
                chunks.append(separator.join(current))
                current, used = [], 0
                extra = piece_size
            if not shareable:  # a separator inside a word would change the word
                chunks.append(piece)
                continue
            current.append(piece)
            used += extra
    if current:
        chunks.append(separator.join(current))
    return chunks


def chunk_by_bytes(sentences: Sequence[str], max_bytes: int, separator: str = " ") -> list[str]:
    """Sentences packed in order into chunks of at most ``max_bytes`` bytes of UTF-8.

    ``separator`` joins the sentences of a chunk and counts towards the limit.
    """
    if max_bytes < _MAX_UTF8_CHARACTER:
        raise ValueError(f"max_bytes must be at least {_MAX_UTF8_CHARACTER}, got {max_bytes}")
    return _chunk(sentences, max_bytes, separator, _utf8_size)


def chunk_by_characters(
    sentences: Sequence[str], max_chars: int, separator: str = " "
) -> list[str]:
    """Sentences packed in order into chunks of at most ``max_chars`` characters (code points).

    ``separator`` joins the sentences of a chunk and counts towards the limit.
    """
    if max_chars < 1:
        raise ValueError(f"max_chars must be at least 1, got {max_chars}")
    return _chunk(sentences, max_chars, separator, len)


def estimate_tokens(text: str) -> int:
    """An upper estimate of the tokens in ``text`` for the language models scriba uses
    (Bedrock's Titan, Nova, Claude, Llama, Mistral, Command).

    Subword tokenizers average about 4 characters per token on English and 3 to 3.5 on other
    Latin-script languages, so ASCII characters are counted at 3 per token. Other characters
    (accents, Cyrillic, Greek, CJK, ...) are counted as one token each, which overestimates
    accented letters but is right for CJK, where one character is about one token. Every word is
    at least one token, whatever its length.
    """
    ascii_chars = len(text.encode("ascii", "ignore"))
    other_chars = len(text) - ascii_chars
    return max(math.ceil(ascii_chars / 3) + other_chars, len(text.split()))


def text_head(text: str, limit: int) -> str:
    """The start of ``text``, at most ``limit`` characters, cut between words when possible."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit + 1)
    return text[: cut if cut > limit // 2 else limit]
