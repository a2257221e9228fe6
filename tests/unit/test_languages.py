"""Languages per page: detection in runs, the document's shares, the summary's sentence
languages and the runs translation takes each from its own language."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from scriba.cost.units import comprehend_request
from scriba.engines.local.lexrank import words_of
from scriba.models.summary import Summary, SummaryMethod
from scriba.models.text import Box, DocumentText, Line, Page, PageSource, Word
from scriba.stages.extract import language as language_module
from scriba.stages.extract.language import (
    PageFacts,
    language_shares,
    ocr_hints,
    page_languages,
    untranslatable,
)
from scriba.stages.summarize import main_language, readable_parts, sentence_languages
from scriba.stages.translate import language_runs

BOX = Box(left=0.1, top=0.1, width=0.5, height=0.05)
ENGLISH = "The committee met on Tuesday and agreed to publish the annual report in May."
FRENCH = "Le comité s'est réuni mardi et a décidé de publier le rapport annuel en mai."


def page(number: int, text: str, language: str | None = None) -> Page:
    words = [Word(text=word, box=BOX, confidence=99) for word in text.split()]
    lines = [Line(text=text, box=BOX, confidence=99, words=words)] if text else []
    return Page(
        number=number,
        width=612,
        height=792,
        unit="pt",
        source=PageSource.TEXT_LAYER,
        engine="pdfium",
        lines=lines,
        language=language,
    )


class Detector:
    """Tells French by its accents; records what it was sent."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def detect(self, text: str) -> str | None:
        self.sent.append(text)
        return "fr" if "é" in text else "en"

    def detect_each(self, texts: list[str]) -> list[str | None]:
        return [self.detect(text) for text in texts]

    def billed(self, text: str) -> Any:
        return comprehend_request(len(text))


def context(detector: Detector, translatable: set[str] | None = None) -> Any:
    translator = SimpleNamespace(
        name="apertium",
        supported_targets=lambda source: ["es"] if source in (translatable or {"en", "fr"}) else [],
    )
    return SimpleNamespace(engines=SimpleNamespace(language=detector, translator=translator))


def test_each_page_gets_its_own_language_and_short_pages_none() -> None:
    detector = Detector()
    pages = [page(1, ENGLISH * 3), page(2, FRENCH * 3), page(3, "12"), page(4, ENGLISH * 2)]
    found, billed = page_languages(context(detector), [PageFacts.of(p) for p in pages])
    assert found == {1: "en", 2: "fr", 4: "en"}
    assert len(detector.sent) == len(billed) == 3
    assert all(len(sample) <= language_module.PAGE_SAMPLE_CHARS for sample in detector.sent)


def test_a_long_document_is_detected_in_a_bounded_number_of_runs(monkeypatch: Any) -> None:
    monkeypatch.setattr(language_module, "MAX_DETECTIONS", 10)
    detector = Detector()
    pages = [page(n, (ENGLISH if n <= 50 else FRENCH) * 2) for n in range(1, 101)]
    found, billed = page_languages(context(detector), [PageFacts.of(p) for p in pages])
    assert len(detector.sent) == len(billed) == 10
    assert [found[n] for n in (1, 50, 51, 100)] == ["en", "en", "fr", "fr"]


def test_shares_put_most_text_first_and_name_what_cannot_be_translated() -> None:
    pages = [page(1, ENGLISH, "en"), page(2, FRENCH * 3, "fr"), page(3, "你好" * 40, "zh")]
    shares = language_shares(
        [PageFacts.of(p) for p in pages], {p.number: p.language for p in pages if p.language}
    )
    assert [s.language for s in shares] == ["fr", "zh", "en"]
    (warning,) = untranslatable(context(Detector()), shares)
    assert "1 of 3 page(s) are in Chinese (zh)" in warning and "apertium" in warning


def test_only_latin_script_languages_hint_ocr() -> None:
    assert ocr_hints("fr") == ["fr"]
    assert ocr_hints("zh") == [] and ocr_hints(None) == []


def test_summary_sentences_keep_the_language_of_their_page() -> None:
    text = DocumentText(
        document_id="d",
        language="en",
        pages=[page(1, ENGLISH, "en"), page(2, FRENCH, "fr"), page(3, "Short but English.")],
    )
    parts = readable_parts(text, 60)
    assert [language for _, language in parts] == ["en", "fr", "en"]
    chosen = [FRENCH, ENGLISH, "Short but English.", "Written by a model."]
    languages = sentence_languages(chosen, parts, "en")
    assert languages == ["fr", "en", "en", "en"]  # a sentence not quoted: the summary's
    assert main_language(chosen[:2], ["fr", None]) == "fr"
    assert main_language(chosen, languages) == "en"


def test_translation_runs_follow_the_sentences_languages() -> None:
    summary = Summary(
        document_id="d",
        language="en",
        method=SummaryMethod.EXTRACTIVE,
        engine="lexrank",
        text="a b c d",
        sentences=["a.", "b.", "c.", "d."],
        sentence_languages=["en", "en", "fr", None],
        source_sentences=4,
    )
    assert language_runs(summary, "en") == [("en", ["a.", "b."]), ("fr", ["c."]), ("en", ["d."])]
    single = summary.model_copy(update={"sentence_languages": []})
    assert language_runs(single, "en") == [("en", ["a.", "b.", "c.", "d."])]


def test_chinese_words_are_character_pairs() -> None:
    assert words_of("本集团的收入") == ["本集", "集团", "团的", "的收", "收入"]
    assert words_of("Revenue 收入 grew") == ["Revenue", "收入", "grew"]
