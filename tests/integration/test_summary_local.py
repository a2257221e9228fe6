"""The local extractive summarizer (LexRank) on the sample documents and on made-up texts."""

from __future__ import annotations

import random

import pytest

from scriba.aws.clients import AwsClients
from scriba.config import Settings
from scriba.engines import Engines
from scriba.engines.local.lexrank import SECTION, ExtractiveSummarizer
from scriba.engines.ports import Summarizer, SummaryDraft
from scriba.media.sentences import split_sentences
from scriba.models.summary import SummaryMethod
from tests.pdf_text import pdf_text

pytestmark = pytest.mark.local_engines


@pytest.fixture(scope="module")
def summarizer() -> ExtractiveSummarizer:
    return ExtractiveSummarizer(Settings(engines="local"))


def assert_extract_in_order(sentences: list[str], draft: SummaryDraft, count: int) -> None:
    """Every summary sentence is a sentence of the document, in document order, none twice."""
    positions = [sentences.index(sentence) for sentence in draft.sentences]
    assert positions == sorted(positions)
    assert len(set(draft.sentences)) == len(draft.sentences) == count
    assert draft.text == " ".join(draft.sentences)
    assert draft.method is SummaryMethod.EXTRACTIVE
    assert draft.engine == "lexrank"


def test_the_factory_builds_it_and_it_is_a_summarizer():
    built = Engines(Settings(engines="local"), AwsClients()).summarizer
    assert isinstance(built, ExtractiveSummarizer)
    assert isinstance(built, Summarizer)
    assert built.name == "extractive"


@pytest.mark.parametrize(
    ("name", "language"),
    [
        ("pdflatex-4-pages.pdf", "en"),
        ("multicolumn.pdf", "en"),
        ("crazyones-pdfa.pdf", "en"),
        ("google-doc-document.pdf", "en"),
    ],
)
@pytest.mark.parametrize("count", [1, 3, 5])
def test_sample_documents(summarizer, corpus, name, language, count):
    sentences = split_sentences(pdf_text(corpus / name), language)
    draft = summarizer.summarize(sentences, language, count)
    assert_extract_in_order(sentences, draft, count)
    # Headings, dates and table cells are not summary sentences.
    assert all(sentence[-1] in ".!?" for sentence in draft.sentences)


def test_the_117_page_german_book(summarizer, corpus):
    sentences = split_sentences(pdf_text(corpus / "GeoTopo-komprimiert.pdf"), "de")
    assert len(sentences) > 3000
    draft = summarizer.summarize(sentences, "de", 5)
    assert_extract_in_order(sentences, draft, 5)
    for sentence in draft.sentences:
        assert 6 <= len(sentence.split()) <= 80
        assert ". . . ." not in sentence  # table of contents
        assert not any(symbol in sentence for symbol in "=∈⊆→")  # formulas
        assert not sentence.isupper()  # running headers
    # German sentences: the stop words of German are there.
    words = {
        word.lower().strip(".,;:!?„“") for sentence in draft.sentences for word in sentence.split()
    }
    assert words & {"die", "der", "und", "ist", "es", "von", "sind", "nicht"}


def test_same_input_same_summary(summarizer, corpus):
    sentences = split_sentences(pdf_text(corpus / "pdflatex-4-pages.pdf"), "en")
    first = summarizer.summarize(sentences, "en", 4)
    again = ExtractiveSummarizer(Settings(engines="local")).summarize(list(sentences), "en", 4)
    assert first == again


def test_fewer_sentences_than_asked_are_all_returned(summarizer):
    sentences = ["The Crazy Ones", "Here's to the crazy ones.", "The misfits.", "12"]
    draft = summarizer.summarize(sentences, "en", 5)
    # All of them but the page number, which has no letter.
    assert draft.sentences == ["The Crazy Ones", "Here's to the crazy ones.", "The misfits."]
    assert draft.text == "The Crazy Ones Here's to the crazy ones. The misfits."


def test_repeated_sentences_count_once(summarizer):
    sentences = [
        "Lorem ipsum dolor sit amet.",
        "At vero eos et accusam.",
        "Lorem ipsum dolor sit amet.",
    ] * 3
    draft = summarizer.summarize(sentences, "en", 5)
    assert draft.sentences == ["Lorem ipsum dolor sit amet.", "At vero eos et accusam."]


def test_nothing_to_summarize_gives_an_empty_draft(summarizer):
    draft = summarizer.summarize(["1", "2", "", "  "], "en", 5)
    assert draft.method is SummaryMethod.NONE
    assert draft.text == ""
    assert draft.sentences == []


def test_junk_is_never_chosen(summarizer):
    prose = [
        "The river flooded the old town after three days of heavy rain.",
        "Many families in the old town lost their homes to the flood.",
        "The town council promised new dams along the river before next winter.",
        "Engineers say the river dams will protect the town from future floods.",
        "Volunteers from the region helped the families clean their flooded homes.",
        "The rain stopped on Sunday and the river slowly went back to its bed.",
        "Insurance companies expect the flood to be the costliest in the town's history.",
    ]
    junk = [
        "1.1 The river and the town . . . . . . . . . . . . . . . . . . . 3",  # contents
        "See https://example.org/river/town/flood for the river flood maps of the town.",
        "THE RIVER TOWN FLOOD REPORT OF THE TOWN COUNCIL ON THE RIVER",  # running header
        "River town flood 12 34 56 78 90 12 34 56 78 90 12 34 56 78",  # table row
        "The flood level h of the river is h = 2 m above the town level.",  # formula
        "the river flooded the town and the families of the town left",  # fragment
        "Flood report of the river town",
    ]
    sentences = [item for pair in zip(prose, junk, strict=True) for item in pair]
    sentences += ["Flood report of the river town"] * 3  # a page header on every page
    draft = summarizer.summarize(sentences, "en", 5)
    assert len(draft.sentences) == 5
    assert set(draft.sentences) <= set(prose)


def test_near_duplicates_are_not_both_chosen(summarizer):
    sentences = [
        "The new bridge over the river opened to traffic on Monday morning.",
        "The new bridge over the river opened to traffic on Monday.",
        "The new bridge over the river was opened to traffic on Monday morning.",
        "Engineers spent four years building the bridge over the river.",
        "Cyclists can cross the river on a separate lane of the bridge.",
        "The old ferry across the river will stop running next month.",
        "The bridge cost the city more than forty million euros.",
    ]
    draft = summarizer.summarize(sentences, "en", 3)
    openings = [sentence for sentence in draft.sentences if "opened to traffic" in sentence]
    assert len(openings) <= 1


def test_a_long_document_is_ranked_in_sections_and_still_finds_its_topic(summarizer):
    """Thousands of unrelated sentences and a few dozen about one topic spread through them: the
    topic is what the document is about, and the summary says so."""
    rng = random.Random(20161231)
    syllables = ["ka", "lo", "mi", "ru", "te", "sa", "po", "ne", "di", "fu", "ga", "bo", "ze", "hu"]
    filler_words = [a + b + c for a in syllables for b in syllables for c in syllables]  # 2,744
    sentences = [
        " ".join(
            [
                rng.choice(filler_words).capitalize(),
                *rng.choices(filler_words, k=rng.randint(7, 14)),
            ]
        )
        + "."
        for _ in range(3000)
    ]
    topic_words = ["lava", "eruption", "village", "ash", "crater", "magma", "evacuation", "island"]
    topic = [
        " ".join(["The", "volcano", *rng.sample(topic_words, 3), *rng.choices(filler_words, k=5)])
        + "."
        for _ in range(40)
    ]
    for index, sentence in enumerate(topic):
        sentences.insert(index * 75, sentence)
    assert len(sentences) > 10 * SECTION
    draft = summarizer.summarize(sentences, "en", 5)
    assert_extract_in_order(sentences, draft, 5)
    assert all("volcano" in sentence for sentence in draft.sentences)


@pytest.mark.parametrize(
    ("language", "sentences"),
    [
        (
            "fr",
            [
                "La ville a construit un nouveau pont sur la rivière.",
                "Le pont relie les deux quartiers de la ville.",
                "Les habitants attendaient ce pont depuis dix ans.",
                "Le maire a inauguré le pont lundi matin.",
                "Les cyclistes ont une voie réservée sur le pont.",
                "Le vieux bac sur la rivière va disparaître.",
            ],
        ),
        (
            "ca",
            [
                "La ciutat ha construït un pont nou sobre el riu.",
                "El pont uneix els dos barris de la ciutat.",
                "Els veïns esperaven aquest pont des de fa deu anys.",
                "L'alcalde va inaugurar el pont dilluns al matí.",
                "Els ciclistes tenen un carril propi al pont.",
                "L'antic transbordador del riu desapareixerà.",
            ],
        ),
        (
            "ar",
            [
                "بنت المدينة جسرا جديدا فوق النهر.",
                "يربط الجسر بين حيين في المدينة.",
                "انتظر السكان هذا الجسر عشر سنوات.",
                "افتتح العمدة الجسر صباح يوم الاثنين.",
                "للدراجات مسار خاص على الجسر.",
                "ستتوقف العبارة القديمة عن العمل.",
            ],
        ),
        (
            None,
            ["One sentence about the bridge and the river here."]
            + [f"Sentence number {n} about the bridge." for n in "abcde"],
        ),
    ],
)
def test_every_language_and_no_language(summarizer, language, sentences):
    draft = summarizer.summarize(sentences, language, 2)
    assert_extract_in_order(sentences, draft, 2)


def test_at_least_one_sentence_must_be_asked_for(summarizer):
    with pytest.raises(ValueError, match="max_sentences"):
        summarizer.summarize(["One sentence."], "en", 0)


CHINESE_LETTER = (
    "致股东的信\n"
    "二零二三年，本集团的收入增长了百分之十二，达到历史新高。"
    "我们在亚洲开设了三家新工厂，员工人数增加到一万二千人！"
    "本集团的利润增长主要来自亚洲市场的收入。"
    "明年我们将继续投资于研发和绿色能源。"
    "董事会建议派发末期股息每股零点八元。"
    "我们感谢全体员工和股东的支持。"
    "本集团将在亚洲市场继续扩大收入和利润。"
)


def test_a_chinese_letter_is_split_on_its_stops_and_summarized(summarizer):
    sentences = split_sentences(CHINESE_LETTER, "zh")
    assert len(sentences) == 8 and sentences[1].endswith("。")
    draft = summarizer.summarize(sentences, "zh", 3)
    assert_extract_in_order(sentences, draft, 3)
    # Ranked by shared words (character pairs): the sentences about revenue in Asia lead.
    assert any("收入" in sentence for sentence in draft.sentences)


def test_a_long_document_is_summarized_chunk_by_chunk(summarizer, corpus):
    """The book three times over: chunks of at most CHUNK_SENTENCES, each giving its best
    sentences, and a final ranking over those winners, as the state machine's map-reduce runs."""
    from scriba.engines.local.lexrank import CHUNK_SENTENCES, FINALISTS_PER_CHUNK
    from scriba.engines.ports import SummaryStep

    book = split_sentences(pdf_text(corpus / "GeoTopo-komprimiert.pdf"), "de")
    sentences = book * 3
    chunks = summarizer.chunks(sentences, "de", 5)
    assert len(chunks) == -(-len(sentences) // CHUNK_SENTENCES) >= 3
    assert [s for chunk in chunks for s in chunk] == [s for s in sentences if s.strip()]
    winners: list[str] = []
    for chunk in chunks:
        part = summarizer.summarize_step(chunk, "de", 5, SummaryStep.PART)
        # At most that many (near duplicates of a chosen sentence are left out), and never fewer
        # than the summary needs.
        assert 5 <= len(part.sentences) <= FINALISTS_PER_CHUNK
        assert part.units() == part.sentences  # extractive: the next step chooses among them
        assert_extract_in_order(chunk, part, len(part.sentences))
        assert part.usage is not None and part.usage_estimated
        winners += part.units()
    final = summarizer.summarize_step(winners, "de", 5, SummaryStep.COMBINE)
    assert len(final.sentences) == 5 and set(final.sentences) <= set(book)
    assert all(6 <= len(sentence.split()) <= 80 for sentence in final.sentences)


def test_a_document_of_one_chunk_is_summarized_as_before(summarizer, corpus):
    sentences = split_sentences(pdf_text(corpus / "pdflatex-4-pages.pdf"), "en")
    assert len(summarizer.chunks(sentences, "en", 5)) == 1
    assert summarizer.summarize(sentences, "en", 5) == summarizer._extract(sentences, "en", 5)
