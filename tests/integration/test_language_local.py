"""Language identification with lingua, on the sample documents and on short texts."""

from __future__ import annotations

import pytest

from scriba.aws.clients import AwsClients
from scriba.config import Settings
from scriba.engines import Engines
from scriba.engines.local.lingua import SAMPLE_CHARACTERS, LinguaDetector, sample
from scriba.engines.ports import LanguageDetector
from tests.pdf_text import pdf_text

pytestmark = pytest.mark.local_engines


@pytest.fixture(scope="module")
def detector() -> LinguaDetector:
    return LinguaDetector(Settings(engines="local"))


def test_the_factory_builds_it_and_it_is_a_language_detector():
    built = Engines(Settings(engines="local"), AwsClients()).language
    assert isinstance(built, LinguaDetector)
    assert isinstance(built, LanguageDetector)


def test_one_lingua_detector_per_process():
    first = LinguaDetector(Settings(engines="local"))
    second = LinguaDetector(Settings(engines="local", languages="de"))
    assert first._detector is second._detector


@pytest.mark.parametrize(
    ("name", "language"),
    [
        ("GeoTopo-komprimiert.pdf", "de"),  # German lecture notes
        ("habibi.pdf", "ar"),  # one Arabic word, with its Latin transliteration
        ("pdflatex-4-pages.pdf", "en"),  # English blind text ("Hello, here is some text…")
        ("crazyones-pdfa.pdf", "en"),
        ("google-doc-document.pdf", "en"),  # the Zen of Python and a table
        # Pseudo-Latin placeholder text: no language scriba supports.
        ("minimal-document.pdf", None),
        ("002-trivial-libre-office-writer.pdf", None),
        ("pdflatex-image.pdf", None),
        ("multicolumn.pdf", None),
        # Image-only scans: no text layer at all.
        ("cmyk-image.pdf", None),
        ("grayscale-image.pdf", None),
    ],
)
def test_sample_documents(detector, corpus, name, language):
    assert detector.detect(pdf_text(corpus / name)) == language


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Where is the nearest train station?"),
        ("de", "Sie öffnete das Fenster und sah in den Garten."),
        ("fr", "Il fait beau aujourd'hui, allons nous promener."),
        ("fr", "Où est la gare la plus proche ?"),
        ("es", "¿Dónde está la estación de tren más cercana?"),
        ("es", "Necesitamos más tiempo para terminar el proyecto."),
        ("it", "Abbiamo bisogno di più tempo per finire il progetto."),
        ("pt", "Precisamos de mais tempo para terminar o projeto."),
        ("ca", "Necessitem més temps per acabar el projecte."),
        ("nl", "Ze opende het raam en keek naar de tuin."),
        ("ro", "Avem nevoie de mai mult timp pentru a termina proiectul."),
        ("ar", "نحتاج إلى مزيد من الوقت لإنهاء المشروع."),
    ],
)
def test_short_texts_in_every_supported_language(detector, language, text):
    assert detector.detect(text) == language


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\f ",
        "1234 5678 90",
        "ok",  # too short to tell
        "Hola",  # Spanish, Catalan or Portuguese: too close to call
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.",
    ],
)
def test_unsure_or_unsupported_is_none(detector, text):
    assert detector.detect(text) is None


def test_a_long_document_is_sampled_through_its_pages(corpus):
    text = pdf_text(corpus / "GeoTopo-komprimiert.pdf")
    chosen = sample(text)
    assert len(text) > 50 * SAMPLE_CHARACTERS
    assert len(chosen) <= SAMPLE_CHARACTERS + 8  # the spaces joining the pages
    assert chosen.startswith("Einführung in die Geometrie und Topologie")  # the first page
    assert "Krümmung" in chosen  # and pages from the last chapter


def test_pages_through_the_document_decide_not_only_the_first(detector):
    """An English front matter longer than the whole sample, then a German body."""
    front = [
        "This volume collects the lecture notes of a course on geometry and topology. It was "
        "written for students in their second year, and it assumes a first course in analysis "
        "and in linear algebra. The notes below are in German, as the lectures were. " * 10
    ] * 3
    body = [
        "Ein topologischer Raum ist ein Paar aus einer Menge und einer Topologie. Die Elemente der "
        "Topologie heißen offene Mengen, ihre Komplemente heißen abgeschlossen."
    ] * 20
    assert len(front[0]) > SAMPLE_CHARACTERS
    assert detector.detect("\f".join(front + body)) == "de"
    assert detector.detect("\f".join(front)) == "en"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (
            "二零二三年，本集团的收入增长了百分之十二，达到历史新高。我们在亚洲开设了三家新工厂。",
            "zh",
        ),
        (
            "今年の売上高は前年に比べて一割増え、過去最高となりました。新しい工場を三つ開きました。",
            "ja",
        ),
        ("Выручка компании выросла на двенадцать процентов и достигла рекордного уровня.", "ru"),
        ("Τα έσοδα της εταιρείας αυξήθηκαν κατά δώδεκα τοις εκατό φέτος.", "el"),
    ],
)
def test_languages_the_engines_do_not_cover_are_named(detector, text, language):
    # Named, so that the stages can say plainly what they cannot do with them.
    assert detector.detect(text) == language
