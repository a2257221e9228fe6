"""A document in two languages through the whole local stack: an English report with a French
part (made with fpdf2, as a user's tool would make it) gets each page's language, a summary
whose sentences keep their languages, and translations that take each part from its own
language: into Spanish, Spanish throughout (told by lingua over all its languages, not by
scriba's detector); into French, the French part as written."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fpdf import FPDF
from lingua import Language, LanguageDetectorBuilder

from scriba.local.cloud import LocalCloud
from scriba.local.run import DocumentRun, run_documents
from scriba.media.sentences import split_sentences
from scriba.models.manifest import Status
from scriba.models.summary import Summary
from scriba.models.text import DocumentText
from scriba.models.translation import Translation

pytestmark = [pytest.mark.local_engines]

ENGLISH = [
    "The city library opened two new reading rooms in the spring of this year.",
    "More than forty thousand visitors borrowed books, films and music from the collection.",
    "The children's department organised weekly story hours with local authors and teachers.",
    "Volunteers repaired old maps of the harbour and put them on display in the main hall.",
]
FRENCH = [
    "La bibliothèque municipale a ouvert deux nouvelles salles de lecture au printemps.",
    "Plus de quarante mille visiteurs ont emprunté des livres, des films et de la musique.",
    "Le service jeunesse a organisé chaque semaine des lectures avec des auteurs de la région.",
    "Des bénévoles ont restauré les anciennes cartes du port et les ont exposées dans le hall.",
]


def bilingual_pdf(path: Path) -> Path:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for title, sentences in (("Annual report", ENGLISH), ("Rapport annuel", FRENCH)):
        pdf.add_page()
        pdf.multi_cell(0, 8, title + "\n\n" + " ".join(sentences))
    pdf.output(str(path))
    return path


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocumentRun]:
    inbox = tmp_path_factory.mktemp("inbox")
    bilingual_pdf(inbox / "report.pdf")
    out = tmp_path_factory.mktemp("out")
    with LocalCloud(workers=2, parameters={"TargetLanguages": "es,fr"}) as cloud:
        (result,) = run_documents([inbox], out, cloud=cloud)
    yield result


def _read(run: DocumentRun, name: str) -> bytes:
    assert run.output is not None
    return (run.output / name).read_bytes()


def test_each_page_has_its_language(run: DocumentRun) -> None:
    assert run.status is Status.SUCCEEDED, run.manifest
    text = DocumentText.model_validate_json(_read(run, "text.json"))
    assert [page.language for page in text.pages] == ["en", "fr"]
    assert sorted(share.language for share in text.languages) == ["en", "fr"]


def test_the_summary_keeps_each_sentence_in_its_language(run: DocumentRun) -> None:
    summary = Summary.model_validate_json(_read(run, "summary.json"))
    # Five sentences out of eight: both parts are quoted.
    assert set(summary.sentence_languages) == {"en", "fr"}
    for sentence, language in zip(summary.sentences, summary.sentence_languages, strict=True):
        assert sentence in (ENGLISH if language == "en" else FRENCH)


def test_into_spanish_every_sentence_is_spanish(run: DocumentRun) -> None:
    translation = Translation.model_validate(json.loads(_read(run, "translations/es.json")))
    assert set(translation.source_languages) == {"en", "fr"}
    detector = LanguageDetectorBuilder.from_all_languages().build()
    sentences = split_sentences(translation.text, "es")
    assert len(sentences) >= 4
    told = [detector.detect_language_of(sentence) for sentence in sentences]
    assert told == [Language.SPANISH] * len(sentences), list(zip(sentences, told, strict=True))


def test_into_french_the_french_part_is_kept_as_written(run: DocumentRun) -> None:
    summary = Summary.model_validate_json(_read(run, "summary.json"))
    translation = Translation.model_validate(json.loads(_read(run, "translations/fr.json")))
    french = [
        s
        for s, lang in zip(summary.sentences, summary.sentence_languages, strict=True)
        if lang == "fr"
    ]
    assert french and all(sentence in translation.text for sentence in french)
    # The English part was translated: only what was sent is counted.
    english = [
        s
        for s, lang in zip(summary.sentences, summary.sentence_languages, strict=True)
        if lang == "en"
    ]
    assert translation.characters == sum(len(s) for s in english) + len(english) - 1
