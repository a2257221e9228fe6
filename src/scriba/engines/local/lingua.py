"""Language identification with lingua, restricted to the languages scriba works with.

The candidates are the languages the local engines read, translate or speak (Tesseract models,
Apertium pairs, espeak-ng) and lingua knows: English, French, German, Spanish, Italian,
Portuguese, Catalan, Dutch, Romanian and Arabic. Galician has an Apertium pair but no lingua
model: Galician text comes out as Portuguese or Spanish. Chinese, Japanese, Korean, Russian,
Ukrainian, Bulgarian, Greek, Hebrew, Hindi and Thai are recognized too (``NAMED``), so that a
document in one of them is named, and the stages can say plainly what they cannot do with it.

Latin is a candidate too, as a decoy: placeholder text ("Lorem ipsum dolor sit amet…") is
common in real documents and would otherwise be called English or Italian; it is reported as
unknown (None), which is the truth as far as the pipeline is concerned.

One lingua detector per process (the models take about 1.6 s and 260 MB to load on first use;
preloading them at build time saves 0.6 s but holds 80 MB more, and costs a process that never
detects). Long texts are sampled: lingua's time grows with the text, the answer does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

from scriba.cost.units import Billed, comprehend_request
from scriba.media.chunking import text_head

if TYPE_CHECKING:
    from lingua import LanguageDetector as Lingua

    from scriba.config import Settings

SUPPORTED = ("ar", "ca", "de", "en", "es", "fr", "it", "nl", "pt", "ro")
# Languages of other scripts the local engines cannot translate or speak, recognized so that a
# document in one of them is named for what it is (and said so), not reported as unknown. Their
# scripts share no letters with the supported ones, so they cannot take a supported text.
NAMED = ("zh", "ja", "ko", "ru", "uk", "bg", "el", "he", "hi", "th")
DECOYS = (Language.LATIN,)  # recognized so as to be refused

# Below this relative distance between the two most likely languages the answer is None:
# 0.2 keeps every one of 50 short test sentences (10 languages) and refuses one-word texts.
MIN_RELATIVE_DISTANCE = 0.2
MIN_LETTERS = 5
SAMPLE_CHARACTERS = 2_000
SAMPLE_PAGES = 8
# Amazon Comprehend, which the AWS engines use instead, is sent at most this much of a text
# (scriba.engines.aws.comprehend.SAMPLE_BYTES): what a local run reports it would have billed.
COMPREHEND_SAMPLE = 5_000


@lru_cache(maxsize=1)
def _lingua() -> Lingua:
    languages = [
        Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
        for code in (*SUPPORTED, *NAMED)
    ]
    return (
        LanguageDetectorBuilder.from_languages(*languages, *DECOYS)
        .with_minimum_relative_distance(MIN_RELATIVE_DISTANCE)
        .build()
    )


def sample(text: str, limit: int = SAMPLE_CHARACTERS, pages: int = SAMPLE_PAGES) -> str:
    """At most ``limit`` characters of ``text``: the starts of up to ``pages`` pages (separated
    by form feeds) spread evenly through it, so a title page or a table of contents does not
    decide alone."""
    texts = [page for page in text.split("\f") if page.strip()]
    if not texts:
        return ""
    if len(texts) > pages:
        step = len(texts) / pages
        texts = [texts[int(index * step)] for index in range(pages)]
    share = limit // len(texts)
    return " ".join(text_head(page, share) for page in texts)


class LinguaDetector:
    """The ``LanguageDetector`` of the local engines."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._detector = _lingua()

    def billed(self, text: str) -> Billed:
        """What Amazon Comprehend would bill: one request on at most its first 5,000 bytes."""
        return comprehend_request(min(len(text), COMPREHEND_SAMPLE))

    def detect(self, text: str) -> str | None:
        """ISO 639-1 code of the language of ``text``; None when it is too short to tell, when
        two languages are too close to call, or when it is in no language scriba supports."""
        return self.detect_each([text])[0]

    def detect_each(self, texts: Sequence[str]) -> list[str | None]:
        """``detect`` of each text (a document's pages), lingua's on all cores at once."""
        samples = [sample(text) for text in texts]
        asked = [
            i for i, chosen in enumerate(samples) if sum(map(str.isalpha, chosen)) >= MIN_LETTERS
        ]
        found: list[str | None] = [None] * len(samples)
        answers = self._detector.detect_languages_in_parallel_of([samples[i] for i in asked])
        for index, language in zip(asked, answers, strict=True):
            if language is not None and language not in DECOYS:
                found[index] = language.iso_code_639_1.name.lower()
        return found
