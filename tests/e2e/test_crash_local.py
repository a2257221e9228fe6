"""A crash in the middle of a stage leaves no half-made artifact behind, and the other languages
are delivered. (Apart from test_faults.py: one local stack per module and process.)"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from scriba.aws.clients import AwsClients
from scriba.config import Settings
from scriba.context import forget_contexts
from scriba.engines import BACKENDS
from scriba.engines.ports import SpeechClip, SpeechSynthesizer
from scriba.local.cloud import LocalCloud
from scriba.local.run import run_documents
from scriba.models.manifest import ArtifactKind, Status


class CrashingSpeech:
    """The local speech engine, crashing (a bug, not a service error) for one language."""

    def __init__(self, real: SpeechSynthesizer, language: str) -> None:
        self.real = real
        self.language = language
        self.name = real.name
        self.max_characters = real.max_characters

    def synthesize(self, text: str, language: str) -> SpeechClip:
        if language == self.language:
            raise RuntimeError("the speech engine crashed half way")
        return self.real.synthesize(text, language)


LOCAL = BACKENDS["local"]  # the real one, before the fixture replaces it


def crashing_speech(settings: Settings, clients: AwsClients) -> SpeechSynthesizer:
    return CrashingSpeech(LOCAL.speech(settings, clients), "fr")


@pytest.fixture(scope="module")
def crashing_cloud() -> Iterator[LocalCloud]:
    # workers=0: the handlers run in this process, whose local backend builds the crashing
    # speech engine (the contexts built before are dropped, and again afterwards).
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(BACKENDS, "local", replace(LOCAL, speech=crashing_speech))
        forget_contexts()
        with LocalCloud(workers=0, parameters={"TargetLanguages": "es,fr"}) as cloud:
            yield cloud
    forget_contexts()


@pytest.mark.local_engines
def test_a_crash_mid_stage_leaves_no_half_written_artifact(
    crashing_cloud: LocalCloud, corpus: Path, tmp_path: Path
) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    shutil.copy(corpus / "crazyones-pdfa.pdf", inbox / "crash.pdf")
    (run,) = run_documents([inbox], tmp_path / "out", cloud=crashing_cloud)
    assert run.manifest is not None and run.output is not None
    assert run.status is Status.PARTIAL
    french = run.manifest.artifact(ArtifactKind.AUDIO, "fr")
    assert french is not None and french.status is Status.FAILED
    assert french.failure is not None and french.failure.reason == "internal_error"
    assert "crashed half way" in french.failure.message
    assert not (run.output / "audio/fr.mp3").exists()
    assert (run.output / "audio/es.mp3").stat().st_size > 0
    listed = {a.path for a in run.manifest.artifacts if a.path}
    on_disk = {p.relative_to(run.output).as_posix() for p in run.output.rglob("*") if p.is_file()}
    assert on_disk - {"manifest.json", "index.html"} == listed
