"""Packing sentences into requests: Translate's 10,000 UTF-8 bytes, Polly's 3,000 characters."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from scriba.media.chunking import chunk_by_bytes, chunk_by_characters

TRANSLATE_BYTES = 10_000
POLLY_CHARACTERS = 3_000


def utf8(text: str) -> int:
    return len(text.encode("utf-8"))


def squeezed(texts) -> str:
    """The text without any whitespace: what must survive chunking."""
    return "".join("".join(texts).split())


# Latin with accents, Arabic, CJK, emoji (with a skin tone, a family joined by ZWJ, a flag) and a
# combining accent: one to four UTF-8 bytes per code point, characters of several code points.
_GRAPHEMES = [
    "a",
    "é",
    "ß",
    "Z",
    "7",
    ".",
    "ع",
    "ل",
    "م",
    "字",
    "語",
    "😀",
    "👍🏽",
    "👩\u200d👩\u200d👧",
    "🇩🇪",
    "e\u0301",
    "\u0915\u093f",
]
_WORDS = st.lists(st.sampled_from(_GRAPHEMES), min_size=1, max_size=30).map("".join)
_SENTENCES = st.lists(
    st.lists(_WORDS, min_size=1, max_size=12).map(" ".join), min_size=0, max_size=25
)
_SEPARATORS = st.sampled_from([" ", "\n", "  "])


@given(_SENTENCES, st.integers(min_value=4, max_value=400), _SEPARATORS)
def test_byte_chunks_fit_keep_all_text_in_order(sentences, limit, separator):
    chunks = chunk_by_bytes(sentences, limit, separator)
    assert all(0 < utf8(chunk) <= limit for chunk in chunks)
    assert squeezed(chunks) == squeezed(sentences)
    assert all(chunk == chunk.strip() for chunk in chunks)


@given(_SENTENCES, st.integers(min_value=1, max_value=200), _SEPARATORS)
def test_character_chunks_fit_keep_all_text_in_order(sentences, limit, separator):
    chunks = chunk_by_characters(sentences, limit, separator)
    assert all(0 < len(chunk) <= limit for chunk in chunks)
    assert squeezed(chunks) == squeezed(sentences)


@given(_SENTENCES, st.integers(min_value=4, max_value=400))
def test_a_sentence_that_fits_is_never_cut(sentences, limit):
    chunks = chunk_by_bytes(sentences, limit)
    for sentence in sentences:
        if utf8(sentence) <= limit:
            assert any(sentence in chunk for chunk in chunks)


@given(_SENTENCES, st.integers(min_value=4, max_value=400))
def test_chunks_are_full_no_two_neighbours_would_fit_together(sentences, limit):
    """Greedy packing: every chunk but the last was closed because the next piece did not fit
    (the fragments of a word longer than the limit stand alone)."""
    assume(all(utf8(word) <= limit for sentence in sentences for word in sentence.split()))
    chunks = chunk_by_bytes(sentences, limit)
    for current, following in itertools.pairwise(chunks):
        assert utf8(current) + 1 + utf8(following) > limit


@given(
    st.lists(st.sampled_from(_GRAPHEMES), min_size=1, max_size=200).map("".join), st.integers(4, 40)
)
def test_a_word_longer_than_the_limit_is_cut_between_characters(word, limit):
    chunks = chunk_by_bytes([word, "next"], limit)
    assert "".join(chunks[:-1]) + chunks[-1].removesuffix("next").rstrip() == word
    assert all(utf8(chunk) <= limit for chunk in chunks)


def test_sentences_are_packed_greedily_in_order():
    sentences = ["One two.", "Three four.", "Five six.", "Seven."]
    assert chunk_by_characters(sentences, 20) == ["One two. Three four.", "Five six. Seven."]
    assert chunk_by_bytes(sentences, 1000, separator="\n") == [
        "One two.\nThree four.\nFive six.\nSeven."
    ]


def test_arabic_text_is_split_by_bytes_not_characters():
    # Two bytes per Arabic letter: 5,799 characters, but 10,399 bytes, over Translate's limit.
    sentence = "مرحبا بكم في المكتبة العامة."
    sentences = [sentence] * 200
    assert len(" ".join(sentences)) < TRANSLATE_BYTES < utf8(" ".join(sentences))
    chunks = chunk_by_bytes(sentences, TRANSLATE_BYTES)
    assert len(chunks) == 2
    assert all(utf8(chunk) <= TRANSLATE_BYTES for chunk in chunks)
    assert " ".join(chunks) == " ".join(sentences)


def test_a_long_sentence_is_cut_between_words():
    words = [f"word{index}" for index in range(1500)]  # 12,390 characters
    chunks = chunk_by_characters([" ".join(words) + "."], POLLY_CHARACTERS)
    assert len(chunks) == 5
    assert all(len(chunk) <= POLLY_CHARACTERS for chunk in chunks)
    assert " ".join(chunks).split() == [*words[:-1], "word1499."]


def test_a_character_of_several_code_points_is_kept_whole_when_possible():
    family = "👩\u200d👩\u200d👧"  # 18 bytes
    chunks = chunk_by_bytes([family * 3], 40)
    assert chunks == [family * 2, family]


def test_a_character_longer_than_the_limit_is_cut_between_code_points():
    family = "👩\u200d👩\u200d👧"
    chunks = chunk_by_bytes([family], 8)
    assert "".join(chunks) == family
    assert all(utf8(chunk) <= 8 for chunk in chunks)
    assert all(chunk.encode("utf-8").decode("utf-8") == chunk for chunk in chunks)


def test_blank_sentences_are_dropped():
    assert chunk_by_bytes(["", "  ", "Hello.", "\n"], 100) == ["Hello."]
    assert chunk_by_characters([], 100) == []


@pytest.mark.parametrize("limit", [0, 1, 3])
def test_a_byte_limit_below_one_character_is_refused(limit):
    with pytest.raises(ValueError, match="max_bytes"):
        chunk_by_bytes(["Hello."], limit)


def test_a_character_limit_below_one_is_refused():
    with pytest.raises(ValueError, match="max_chars"):
        chunk_by_characters(["Hello."], 0)
