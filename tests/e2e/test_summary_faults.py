"""A chunk of a long document's summary that fails for good: the Map fails, its Catch makes the
summary a failure of the document's Summarize stage (the document is partial, as before), and the
failure record names the chunk. (A module of its own: one local stack per module and process.)"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import pytest

import scriba.engines.local.lexrank
from scriba.aws.clients import AwsClients
from scriba.config import Settings
from scriba.context import forget_contexts
from scriba.engines import BACKENDS
from scriba.engines.ports import Summarizer, SummaryDraft, SummaryStep
from scriba.errors import EngineFailed
from scriba.local.cloud import LocalCloud
from scriba.local.run import run_documents
from scriba.models.manifest import ArtifactKind, Status

LOCAL = BACKENDS["local"]


class RefusingParts:
    """The local summarizer, whose every chunk (map step) is refused: a permanent error, so
    the state machine does not retry it."""

    def __init__(self, real: Summarizer) -> None:
        self.real = real
        self.name = real.name

    def summarize(self, sentences: Sequence[str], language: str | None, n: int) -> SummaryDraft:
        return self.real.summarize(sentences, language, n)

    def chunks(self, sentences: Sequence[str], language: str | None, n: int) -> list[list[str]]:
        return self.real.chunks(sentences, language, n)

    def summarize_step(
        self, sentences: Sequence[str], language: str | None, n: int, step: SummaryStep
    ) -> SummaryDraft:
        if step is SummaryStep.PART:
            raise EngineFailed("the model refused this part")
        return self.real.summarize_step(sentences, language, n, step)


def failing_summarizer(settings: Settings, clients: AwsClients) -> Summarizer:
    return RefusingParts(LOCAL.summarizer(settings, clients))


@pytest.fixture(scope="module")
def failing_cloud() -> Iterator[LocalCloud]:
    # workers=0: the handlers run in this process, with the failing summarizer and chunks of 40
    # sentences (the 4-page paper makes several).
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(BACKENDS, "local", replace(LOCAL, summarizer=failing_summarizer))
        patch.setattr(scriba.engines.local.lexrank, "CHUNK_SENTENCES", 40)
        forget_contexts()
        with LocalCloud(workers=0, parameters={"TargetLanguages": "es"}) as cloud:
            yield cloud
    forget_contexts()


@pytest.mark.local_engines
def test_a_failed_chunk_fails_the_summary_and_names_the_chunk(
    failing_cloud: LocalCloud, corpus: Path, tmp_path: Path
) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    shutil.copy(corpus / "pdflatex-4-pages.pdf", inbox / "paper.pdf")
    (run,) = run_documents([inbox], tmp_path / "out", cloud=failing_cloud)
    assert run.manifest is not None and run.output is not None
    assert run.status is Status.PARTIAL
    summary = run.manifest.artifact(ArtifactKind.SUMMARY)
    assert summary is not None and summary.status is Status.FAILED
    assert summary.failure is not None
    assert summary.failure.reason == "engine_failed"
    assert re.search(
        r"paper\.pdf: summary chunk \d+ of \d+: the model refused this part",
        summary.failure.message,
    ), summary.failure.message
    assert not (run.output / "summary.json").exists()
    assert run.manifest.artifact(ArtifactKind.TEXT) is not None
