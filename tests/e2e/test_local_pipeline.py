"""End-to-end runs of the whole workflow on real documents, with the local engines.

Each document goes in as a user's would: into the input bucket, through the template's trigger
path, through the state machine run by moto's interpreter, and out to a folder.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from scriba.local.cloud import LocalCloud
from scriba.local.run import DocumentRun, run_documents
from scriba.media.sentences import split_sentences
from scriba.models.manifest import ArtifactKind, Manifest, Status
from scriba.models.summary import Summary
from scriba.models.tags import Tags
from scriba.models.text import DocumentText
from scriba.models.translation import Translation
from scriba.stages.speak import mp3_duration

pytestmark = [pytest.mark.local_engines]

DOCUMENTS = [
    "pdflatex-4-pages.pdf",  # born-digital prose, English
    "crazyones-pdfa.pdf",  # PDF/A, English
    "multicolumn.pdf",  # two columns
    "pdflatex-image.pdf",  # text and an embedded photo
    "cmyk-image.pdf",  # image only, no text layer: OCR, then the photo's labels
    "grayscale-image.pdf",  # image only, and no label is confident enough: nothing to say
    "libreoffice-writer-password.pdf",  # must fail cleanly
]


@pytest.fixture(scope="module")
def runs(
    corpus: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, DocumentRun]]:
    inbox = tmp_path_factory.mktemp("inbox")
    for name in DOCUMENTS:
        shutil.copy(corpus / name, inbox / name)
    # A scanned page: a text PDF rendered to pixels, so OCR has something to read.
    from tests.scans import image_only_pdf, scan_page

    image_only_pdf(
        [scan_page(corpus / "crazyones-pdfa.pdf", 1, 200, angle=0.7)], inbox / "scanned.pdf", 200
    )
    out = tmp_path_factory.mktemp("out")
    with LocalCloud(workers=2, parameters={"TargetLanguages": "es,fr"}) as cloud:
        results = run_documents([inbox], out, cloud=cloud)
    yield {run.key: run for run in results}


def load(run: DocumentRun, relative: str) -> bytes:
    assert run.output is not None
    return (run.output / relative).read_bytes()


def text_of(run: DocumentRun) -> DocumentText:
    return DocumentText.model_validate_json(load(run, "text.json"))


def test_every_document_ends_with_a_manifest(runs: dict[str, DocumentRun]) -> None:
    assert set(runs) == {*DOCUMENTS, "scanned.pdf"}
    for run in runs.values():
        assert run.manifest is not None, run.key
        Manifest.model_validate_json(load(run, "manifest.json"))


def test_password_protected_pdf_fails_with_a_reason(runs: dict[str, DocumentRun]) -> None:
    run = runs["libreoffice-writer-password.pdf"]
    assert run.status is Status.FAILED
    assert run.failure is not None
    assert run.failure.reason == "encrypted_document"
    assert run.failure.stage.value == "inspect"
    assert "libreoffice-writer-password.pdf" in run.failure.message


@pytest.mark.parametrize("name", ["pdflatex-4-pages.pdf", "crazyones-pdfa.pdf", "scanned.pdf"])
def test_english_documents_get_every_artifact(runs: dict[str, DocumentRun], name: str) -> None:
    run = runs[name]
    assert run.status is Status.SUCCEEDED, run.manifest
    assert run.manifest is not None
    for language in ("es", "fr"):
        translation = run.manifest.artifact(ArtifactKind.TRANSLATION, language)
        audio = run.manifest.artifact(ArtifactKind.AUDIO, language)
        assert translation is not None and translation.status is Status.SUCCEEDED
        assert audio is not None and audio.status is Status.SUCCEEDED


def test_text_contains_the_documents_words(runs: dict[str, DocumentRun]) -> None:
    text = text_of(runs["crazyones-pdfa.pdf"]).plain_text
    assert (
        "Here's to the crazy ones" in text.replace("\u2019", "'")
        or "Heres to the crazy ones" in text
    )
    assert "The misfits. The rebels. The troublemakers." in text
    multi = text_of(runs["multicolumn.pdf"])
    assert len(multi.pages) == 3
    assert "Two-Column Document with Lorem Ipsum" in multi.plain_text
    assert (runs["multicolumn.pdf"].output / "text.txt").read_text() == multi.plain_text  # type: ignore[operator]


def test_words_have_boxes_on_their_page(runs: dict[str, DocumentRun]) -> None:
    page = text_of(runs["pdflatex-4-pages.pdf"]).pages[0]
    words = [word for line in page.lines for word in line.words]
    assert len(words) > 100
    first = words[0]
    assert first.text == "Hello,"
    assert 0 < first.box.left < 0.5 and 0 < first.box.top < 0.5 and first.box.width > 0


def test_scanned_page_is_read_by_ocr(runs: dict[str, DocumentRun]) -> None:
    text = text_of(runs["scanned.pdf"])
    assert text.pages[0].source.value == "ocr"
    assert text.pages[0].engine == "tesseract"
    plain = text.plain_text
    for phrase in ("The Crazy Ones", "misfits", "troublemakers", "square holes"):
        assert phrase in plain, phrase
    confidences = [w.confidence for line in text.pages[0].lines for w in line.words]
    assert sum(confidences) / len(confidences) > 70


def test_summary_is_made_of_the_documents_sentences_in_order(runs: dict[str, DocumentRun]) -> None:
    run = runs["crazyones-pdfa.pdf"]
    summary = Summary.model_validate_json(load(run, "summary.json"))
    document_sentences = split_sentences(text_of(run).plain_text, "en")
    assert summary.method.value == "extractive"
    assert 1 <= len(summary.sentences) <= 5
    positions = [document_sentences.index(sentence) for sentence in summary.sentences]
    assert positions == sorted(positions)


def test_translations_are_in_the_target_language(runs: dict[str, DocumentRun]) -> None:
    from scriba.config import Settings
    from scriba.engines.local.lingua import LinguaDetector

    detector = LinguaDetector(Settings(engines="local"))
    for name in ("crazyones-pdfa.pdf", "pdflatex-4-pages.pdf"):
        for language in ("es", "fr"):
            translation = Translation.model_validate_json(
                load(runs[name], f"translations/{language}.json")
            )
            assert translation.target_language == language
            assert translation.source_language == "en"
            assert detector.detect(translation.text) == language, translation.text
    french = Translation.model_validate_json(
        load(runs["crazyones-pdfa.pdf"], "translations/fr.json")
    )
    assert french.route[0] == "en" and french.route[-1] == "fr" and len(french.route) == 3


def test_narrations_decode_and_last_as_long_as_the_text(runs: dict[str, DocumentRun]) -> None:
    durations = {}
    for name in ("crazyones-pdfa.pdf", "pdflatex-4-pages.pdf"):
        for language in ("es", "fr"):
            mp3 = load(runs[name], f"audio/{language}.mp3")
            translation = Translation.model_validate_json(
                load(runs[name], f"translations/{language}.json")
            )
            seconds = mp3_duration(mp3)
            words = len(translation.text.split())
            # People speak 2 to 4 words a second; synthetic voices stay in that band.
            assert words / 5 < seconds < words / 1.2, (name, language, seconds, words)
            durations[(name, language)] = seconds
    manifest = runs["crazyones-pdfa.pdf"].manifest
    assert manifest is not None
    audio = manifest.artifact(ArtifactKind.AUDIO, "es")
    assert audio is not None
    assert audio.details["duration_seconds"] == pytest.approx(
        durations[("crazyones-pdfa.pdf", "es")], abs=0.1
    )


def test_embedded_photo_is_tagged(runs: dict[str, DocumentRun]) -> None:
    run = runs["pdflatex-image.pdf"]
    tags = Tags.model_validate_json(load(run, "tags.json"))
    assert len(tags.images) >= 1
    image = tags.images[0]
    assert image.page == 1
    assert image.labels, "the photo got no label"
    assert (run.output / image.path).is_file()  # type: ignore[operator]


def test_a_picture_without_text_is_described_by_its_labels(runs: dict[str, DocumentRun]) -> None:
    run = runs["cmyk-image.pdf"]
    assert run.status is Status.SUCCEEDED
    tags = Tags.model_validate_json(load(run, "tags.json"))
    summary = Summary.model_validate_json(load(run, "summary.json"))
    assert summary.method.value == "labels"
    assert any(label.name == "Airplane Wing" for label in tags.labels)
    assert "airplane wing" in summary.text  # the photo seen from a small plane's window
    spanish = Translation.model_validate_json(load(run, "translations/es.json"))
    assert spanish.text and spanish.text != summary.text


def test_nothing_readable_and_nothing_recognised_is_said_plainly(
    runs: dict[str, DocumentRun],
) -> None:
    run = runs["grayscale-image.pdf"]
    assert run.status is Status.SUCCEEDED and run.manifest is not None
    summary = Summary.model_validate_json(load(run, "summary.json"))
    assert (summary.method.value, summary.text) == ("none", "")
    assert "no readable text and no picture label: nothing to summarize" in run.manifest.warnings
    # Nothing to translate or narrate: recorded as skipped, with why; no silent MP3s.
    for language in ("es", "fr"):
        audio = run.manifest.artifact(ArtifactKind.AUDIO, language)
        assert audio is not None and audio.status is Status.SKIPPED and audio.path is None
        assert audio.details["why"] == "no text to narrate"
    assert not (run.output / "audio").exists()  # type: ignore[operator]


def test_results_are_only_written_under_their_documents_folder(
    runs: dict[str, DocumentRun],
) -> None:
    run = runs["pdflatex-4-pages.pdf"]
    assert run.output is not None
    files = sorted(
        p.relative_to(run.output).as_posix() for p in run.output.rglob("*") if p.is_file()
    )
    assert files == [
        "audio/es.mp3",
        "audio/fr.mp3",
        "manifest.json",
        "summary.json",
        "tags.json",
        "text.json",
        "text.txt",
        "translations/es.json",
        "translations/fr.json",
    ]
    manifest = json.loads(load(run, "manifest.json"))
    listed = {a["path"] for a in manifest["artifacts"] if a["path"]}
    assert listed == set(files) - {"manifest.json"}


def test_cost_ledger_prices_what_the_document_used(runs: dict[str, DocumentRun]) -> None:
    run = runs["pdflatex-4-pages.pdf"]
    assert run.manifest is not None and run.manifest.cost is not None
    cost = run.manifest.cost
    assert cost.estimated is True and cost.prices
    # Four pages with a text layer: no OCR spend, and the ledger says what that saved.
    assert not any(line.service == "textract" for line in cost.lines)
    (saved,) = [line for line in cost.savings if line.service == "textract"]
    assert saved.quantity == 4 and saved.usd == pytest.approx(4 * saved.unit_price_usd)
    for language in ("es", "fr"):
        translation = Translation.model_validate_json(load(run, f"translations/{language}.json"))
        assert translation.characters > 0
    translate_lines = [line for line in cost.lines if line.service == "translate"]
    assert sum(line.quantity for line in translate_lines) == sum(
        Translation.model_validate_json(load(run, f"translations/{code}.json")).characters
        for code in ("es", "fr")
    )
    assert any(line.service == "polly" and line.item == "neural character" for line in cost.lines)
    transitions = next(line for line in cost.lines if line.service == "stepfunctions")
    assert 10 <= transitions.quantity <= 40
    assert cost.total_usd == pytest.approx(sum(line.usd for line in cost.lines), abs=1e-7)
    scanned = runs["scanned.pdf"].manifest
    assert scanned is not None and scanned.cost is not None
    ocr = [line for line in scanned.cost.lines if line.service == "textract"]
    assert [line.quantity for line in ocr] == [1]
