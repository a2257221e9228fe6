"""`scriba serve` and `scriba watch`, driven from outside as a user would: a plain S3 client,
a plain folder, Ctrl-C."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from scriba.models.manifest import Manifest, Status

pytestmark = [pytest.mark.local_engines]

SCRIBA = [sys.executable, "-m", "scriba.cli"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(arguments: list[str], log: Path) -> subprocess.Popen[bytes]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))}
    with log.open("wb") as sink:
        return subprocess.Popen(
            [*SCRIBA, *arguments],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=environment,
            start_new_session=True,
        )


def wait_for(condition: object, seconds: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}; log:\n{log.read_text()}")


def interrupt(process: subprocess.Popen[bytes], log: Path) -> None:
    # Ctrl-C on a terminal signals the whole process group.
    os.killpg(process.pid, signal.SIGINT)
    assert process.wait(timeout=60) == 0, log.read_text()
    assert "Traceback" not in log.read_text(), log.read_text()


def s3_client(port: int) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="anything",
        aws_secret_access_key="anything",
    )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[int, subprocess.Popen[bytes], Path]]:
    port = free_port()
    log = tmp_path / "serve.log"
    process = start(
        [
            "serve",
            "--port",
            str(port),
            "--languages",
            "es",
            "--workers",
            "2",
            "--mirror",
            str(tmp_path / "mirror"),
            "--state",
            str(tmp_path / "state"),
        ],
        log,
    )
    wait_for(lambda: "Ctrl-C to stop" in log.read_text(), 60, "the endpoint", log)
    yield port, process, log
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)


def test_an_s3_client_drops_documents_and_reads_results(
    served: tuple[int, subprocess.Popen[bytes], Path], corpus: Path, tmp_path: Path
) -> None:
    port, process, log = served
    s3 = s3_client(port)
    s3.upload_file(str(corpus / "crazyones-pdfa.pdf"), "scriba-input", "inbox/the crazy ones.pdf")
    s3.put_object(
        Bucket="scriba-input",
        Key="inbox/locked.pdf",
        Body=(corpus / "libreoffice-writer-password.pdf").read_bytes(),
    )
    manifests = {
        "inbox/the crazy ones.pdf": "documents/inbox/the crazy ones.pdf/manifest.json",
        "inbox/locked.pdf": "documents/inbox/locked.pdf/manifest.json",
    }

    def listed() -> set[str]:
        found = s3.list_objects_v2(Bucket="scriba-output", Prefix="documents/").get("Contents", [])
        return {item["Key"] for item in found}

    wait_for(lambda: set(manifests.values()) <= listed(), 120, "both manifests", log)
    ok = Manifest.model_validate_json(
        s3.get_object(Bucket="scriba-output", Key=manifests["inbox/the crazy ones.pdf"])[
            "Body"
        ].read()
    )
    assert ok.status is Status.SUCCEEDED
    keys = listed()
    for relative in ("text.txt", "summary.json", "translations/es.json", "audio/es.mp3"):
        assert f"documents/inbox/the crazy ones.pdf/{relative}" in keys
    text = s3.get_object(Bucket="scriba-output", Key="documents/inbox/the crazy ones.pdf/text.txt")
    assert "The misfits" in text["Body"].read().decode()
    failed = Manifest.model_validate_json(
        s3.get_object(Bucket="scriba-output", Key=manifests["inbox/locked.pdf"])["Body"].read()
    )
    assert failed.status is Status.FAILED and failed.failure is not None
    assert failed.failure.reason == "encrypted_document"
    # The mirror folder and its results pages follow.
    mirror = tmp_path / "mirror"
    for name in ("locked.pdf", "the crazy ones.pdf"):
        wait_for((mirror / "inbox" / name / "manifest.json").is_file, 30, "the mirror", log)
    assert (mirror / "inbox/the crazy ones.pdf/audio/es.mp3").stat().st_size > 1000
    wait_for((mirror / "index.html").is_file, 30, "the results pages", log)
    # A failure is announced as scriba run prints it: document, stage, reason, record.
    assert "failed    inbox/locked.pdf  inspect: encrypted_document: " in log.read_text()
    interrupt(process, log)
    saved = json.loads((tmp_path / "state/scriba-input.json").read_text())["objects"]
    assert {"inbox/the crazy ones.pdf", "inbox/locked.pdf"} <= set(saved)

    # Restarted with the same state: everything is there, nothing is processed again.
    port = free_port()
    log2 = tmp_path / "serve2.log"
    again = start(["serve", "--port", str(port), "--state", str(tmp_path / "state")], log2)
    try:
        wait_for(lambda: "Ctrl-C to stop" in log2.read_text(), 60, "the restart", log2)
        s3 = s3_client(port)
        assert set(manifests.values()) <= {
            item["Key"] for item in s3.list_objects_v2(Bucket="scriba-output").get("Contents", [])
        }
        time.sleep(3)
        sfn = boto3.client(
            "stepfunctions",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="us-east-1",
            aws_access_key_id="anything",
            aws_secret_access_key="anything",
        )
        machine = sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"]
        assert sfn.list_executions(stateMachineArn=machine)["executions"] == []
        # ... and what arrives after the restart is processed as before.
        s3.upload_file(str(corpus / "minimal-document.pdf"), "scriba-input", "after/restart.pdf")
        record = "documents/after/restart.pdf/manifest.json"
        wait_for(
            lambda: "Contents" in s3.list_objects_v2(Bucket="scriba-output", Prefix=record),
            120,
            "a document uploaded after the restart",
            log2,
        )
        interrupt(again, log2)
    finally:
        if again.poll() is None:
            os.killpg(again.pid, signal.SIGKILL)


def test_watch_a_folder(corpus: Path, tmp_path: Path) -> None:
    folder = tmp_path / "desk"
    log = tmp_path / "watch.log"
    process = start(["watch", str(folder), "--languages", "fr", "--workers", "1"], log)
    try:
        wait_for(lambda: "Ctrl-C to stop" in log.read_text(), 60, "the watcher", log)
        shutil.copy(corpus / "google-doc-document.pdf", folder / "in" / "zen.pdf")
        manifest = folder / "out" / "zen.pdf" / "manifest.json"
        wait_for(manifest.is_file, 120, "the results", log)
        result = Manifest.model_validate_json(manifest.read_bytes())
        assert result.status is Status.SUCCEEDED
        assert (
            json.loads((folder / "out/zen.pdf/translations/fr.json").read_text())["target_language"]
            == "fr"
        )
        wait_for((folder / "out" / "index.html").is_file, 30, "the results pages", log)
        assert "zen.pdf" in log.read_text()
        interrupt(process, log)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
