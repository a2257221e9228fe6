"""The 117-page German book, end to end: large documents are split, never timed out."""

from __future__ import annotations

from pathlib import Path

import pytest

from scriba.local.cloud import LocalCloud
from scriba.local.run import run_documents
from scriba.media.sentences import split_sentences
from scriba.models.manifest import ArtifactKind, Status
from scriba.models.summary import Summary
from scriba.models.text import DocumentText

pytestmark = [pytest.mark.local_engines, pytest.mark.slow]


def test_the_book(corpus: Path, tmp_path: Path) -> None:
    with LocalCloud(workers=2, parameters={"TargetLanguages": "es"}) as cloud:
        (run,) = run_documents([corpus / "GeoTopo-komprimiert.pdf"], tmp_path, cloud=cloud)
    assert run.manifest is not None and run.output is not None
    manifest = run.manifest
    assert manifest.pages == 117
    assert manifest.language == "de"
    text = DocumentText.model_validate_json((run.output / "text.json").read_bytes())
    assert [page.number for page in text.pages] == list(range(1, 118))
    assert text.word_count > 25_000
    assert "Topologie" in text.pages[0].text
    summary = Summary.model_validate_json((run.output / "summary.json").read_bytes())
    sentences = set(split_sentences(text.plain_text, "de"))
    assert summary.language == "de"
    assert summary.sentences and all(sentence in sentences for sentence in summary.sentences)
    # About 3,100 readable sentences: one chunk, summarized in the Summarize task itself (no Map).
    entry = manifest.artifact(ArtifactKind.SUMMARY)
    assert entry is not None and "chunks" not in entry.details
    # No German pair is installed for Apertium: the translation fails with a reason that names
    # what is supported, and everything else is delivered.
    assert manifest.status is Status.PARTIAL
    translation = manifest.artifact(ArtifactKind.TRANSLATION, "es")
    assert translation is not None and translation.failure is not None
    assert translation.failure.reason == "unsupported_language_pair"
    assert "German" in translation.failure.message and "en" in translation.failure.message
    assert manifest.artifact(ArtifactKind.TAGS) is not None
