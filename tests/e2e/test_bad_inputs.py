"""Every case of the bad-input corpus (``tests/badinputs``) through the whole local stack.

Files go in the way ``scriba run`` puts them; keys that no file can have (``..``, control
characters, 1,024 bytes) are put with a plain S3 client, as a user's script would, and so are
second copies of the ordinary key cases. Each document must end with one manifest: ``failed`` with
the promised reason, or ``succeeded`` (with the promised warning), never a retried permanent
error, never a changed source.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from scriba import layout
from scriba.aws.executions import execution_arn, execution_history
from scriba.aws.storage import Storage
from scriba.config import load_settings
from scriba.local.cloud import LocalCloud

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions.type_defs import (
        ExecutionListItemTypeDef,
        HistoryEventTypeDef,
    )
from scriba.local.run import DocumentRun, export_results, run_documents, summary_line
from scriba.local.template import REGION
from scriba.models.document import Source
from scriba.models.manifest import Manifest
from tests.badinputs.corpus import (
    CASES,
    ENVIRONMENT,
    PARAMETERS,
    TABLE_END,
    TABLE_START,
    Case,
    Route,
    case_message,
    materialise,
)
from tests.e2e.executions import wait_for_execution

pytestmark = [pytest.mark.local_engines, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 300


@dataclass
class Upload:
    """One object put into the input bucket, and what became of it."""

    case: Case
    route: Route
    key: str
    data: bytes
    version_id: str
    etag: str
    run: DocumentRun | None = None  # for files given to run_documents
    manifest: Manifest | None = None
    text: str | None = None
    history: list[HistoryEventTypeDef] = field(default_factory=list)

    @property
    def source(self) -> Source:
        return Source(
            bucket="scriba-input", key=self.key, version_id=self.version_id, etag=self.etag
        )


@dataclass
class BadRun:
    cloud: LocalCloud
    uploads: list[Upload]
    out: Path
    direct_out: Path
    manifests_in_bucket: list[str]
    output_keys: list[str]
    executions: list[ExecutionListItemTypeDef]
    dead_letters: int
    seconds: float


def _s3_event(bucket: str, key: str, upload: Upload) -> dict[str, Any]:
    """An EventBridge "Object Created" event as S3 sends it, with ``key`` as given."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": "2026-01-01T00:00:00Z",
        "region": REGION,
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": {
                "key": key,
                "size": len(upload.data),
                "etag": upload.etag,
                "version-id": upload.version_id,
                "sequencer": "0",
            },
            "request-id": "R",
            "requester": "123456789012",
            "source-ip-address": "127.0.0.1",
            "reason": "PutObject",
        },
    }


def _queue_drained(cloud: LocalCloud, queue: str) -> bool:
    sqs = cloud.clients.sqs
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        attributes = sqs.get_queue_attributes(
            QueueUrl=cloud.queue_urls[queue], AttributeNames=["All"]
        )["Attributes"]
        if (
            attributes["ApproximateNumberOfMessages"] == "0"
            and attributes["ApproximateNumberOfMessagesNotVisible"] == "0"
        ):
            return True
        time.sleep(0.25)
    return False


def _history(cloud: LocalCloud, arn: str) -> list[HistoryEventTypeDef]:
    return execution_history(cloud.sfn, arn)


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BadRun]:
    inbox = tmp_path_factory.mktemp("inbox")
    files = materialise(inbox)
    out = tmp_path_factory.mktemp("out")
    direct_out = tmp_path_factory.mktemp("direct-out")
    started = time.monotonic()
    with LocalCloud(workers=2, parameters=PARAMETERS, environment=ENVIRONMENT) as cloud:
        bucket = cloud.stack.input_bucket
        # 1. Files, the way `scriba run` puts them: through the trigger path.
        runs = {run.key: run for run in run_documents([inbox], out, cloud=cloud)}
        uploads: list[Upload] = []
        for case in CASES:
            for route, key in case.uploads():
                if route is Route.FILE:
                    run = runs[key]
                    assert run.source is not None and run.source.version_id is not None
                    uploads.append(
                        Upload(
                            case,
                            route,
                            key,
                            files[case.name].read_bytes(),
                            run.source.version_id,
                            run.source.etag or "",
                            run=run,
                            manifest=run.manifest,
                        )
                    )
        # 2. Keys no file can have, and second copies: a plain S3 client, as a user's script.
        s3 = boto3.client("s3", endpoint_url=cloud.endpoint, region_name=REGION)
        direct: list[Upload] = []
        for case in CASES:
            for route, key in case.uploads():
                if route is Route.DIRECT:
                    data = case.data(Route.DIRECT)
                    put = s3.put_object(Bucket=bucket, Key=key, Body=data)
                    direct.append(
                        Upload(case, route, key, data, put["VersionId"], put["ETag"].strip('"'))
                    )
        # S3 notifications URL-encode keys: send those events too, as S3 would. A key whose
        # encoded form is another real key must still start its own object, once.
        sqs = cloud.clients.sqs
        for upload in direct:
            if upload.case.event_key is not None:
                event = _s3_event(bucket, upload.case.event_key, upload)
                sqs.send_message(
                    QueueUrl=cloud.queue_urls["StartQueue"], MessageBody=json.dumps(event)
                )
        settings = load_settings()
        storage = Storage(cloud.clients.s3)
        for upload in direct:
            arn = execution_arn(cloud.state_machine_arn, layout.execution_name(upload.source))
            wait_for_execution(cloud, arn, WAIT_SECONDS)
            prefix = layout.output_prefix(settings, upload.source)
            upload.manifest = storage.read_model(prefix.child(layout.MANIFEST), Manifest)
            export_results(
                storage, prefix, direct_out / layout.results_folder(settings, upload.source)
            )
        uploads += direct
        assert _queue_drained(cloud, "StartQueue"), "start queue still holds messages"
        for upload in uploads:
            arn = execution_arn(cloud.state_machine_arn, layout.execution_name(upload.source))
            upload.history = _history(cloud, arn)
            text_key = layout.output_prefix(settings, upload.source).child(layout.PLAIN_TEXT)
            if storage.exists(text_key):
                upload.text = storage.read_text(text_key)
        output_keys = [
            item["Key"]
            for page in s3.get_paginator("list_objects_v2").paginate(
                Bucket=cloud.stack.output_bucket, Prefix=settings.results_prefix + "/"
            )
            for item in page.get("Contents", [])
        ]
        dead = cloud.clients.sqs.get_queue_attributes(
            QueueUrl=cloud.queue_urls["StartDeadLetterQueue"],
            AttributeNames=["ApproximateNumberOfMessages"],
        )["Attributes"]["ApproximateNumberOfMessages"]
        yield BadRun(
            cloud=cloud,
            uploads=uploads,
            out=out,
            direct_out=direct_out,
            manifests_in_bucket=[k for k in output_keys if k.endswith("/" + layout.MANIFEST)],
            output_keys=output_keys,
            executions=cloud.sfn.list_executions(stateMachineArn=cloud.state_machine_arn)[
                "executions"
            ],
            dead_letters=int(dead),
            seconds=time.monotonic() - started,
        )


def _uploads(bad_run: BadRun, case: Case) -> list[Upload]:
    found = [upload for upload in bad_run.uploads if upload.case is case]
    assert found, case.name
    return found


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_each_case_ends_as_promised(bad_run: BadRun, case: Case) -> None:
    expected = case.expected
    for upload in _uploads(bad_run, case):
        manifest = upload.manifest
        assert manifest is not None, upload.key
        assert manifest.status.value == expected.status, (upload.key, manifest.failure)
        assert manifest.name == upload.key
        if expected.status == "failed":
            failure = manifest.failure
            assert failure is not None
            assert failure.reason == expected.reason, failure
            assert failure.stage.value == expected.stage, failure
            # The message names the document and the problem, in words.
            assert upload.key in failure.message, failure.message
            assert expected.problem is not None
            assert expected.problem.lower() in failure.message.lower(), failure.message
            assert "Traceback" not in failure.message
        else:
            assert manifest.failure is None
            assert manifest.kind is not None and manifest.kind.value == expected.kind
            assert upload.text is not None, f"{upload.key}: no text.txt"
        if expected.warning:
            assert any(expected.warning in warning for warning in manifest.warnings), (
                manifest.warnings
            )
        if expected.text:
            assert upload.text is not None and expected.text in upload.text.lower(), upload.text
        if expected.absent:
            assert upload.text is not None and expected.absent not in upload.text.lower()
        if case.build.__name__ == "_marked_pdf":
            # The right object was read: its own marker word, not another key's.
            assert upload.text is not None and case.marker(upload.route) in upload.text


def _task_attempts(history: Sequence[Mapping[str, Any]]) -> dict[str, tuple[int, int]]:
    """Per task state: (times entered, Lambda invocations scheduled). More invocations than
    entries means Retry ran the task again."""
    by_id = {event["id"]: event for event in history}
    entered: Counter[str] = Counter()
    scheduled: Counter[str] = Counter()
    for event in history:
        if event["type"] == "TaskStateEntered":
            entered[event["stateEnteredEventDetails"]["name"]] += 1
        elif event["type"] == "LambdaFunctionScheduled":
            previous = by_id.get(event.get("previousEventId", -1))
            # Walk back to the state this invocation belongs to.
            while previous is not None and previous["type"] != "TaskStateEntered":
                previous = by_id.get(previous.get("previousEventId", -1))
            assert previous is not None, event
            scheduled[previous["stateEnteredEventDetails"]["name"]] += 1
    return {name: (entered[name], scheduled[name]) for name in entered}


def test_no_task_was_retried(bad_run: BadRun) -> None:
    """Bad input is a permanent error: never retried. (Nothing transient happens locally, so a
    retry anywhere would be a permanent error mistaken for a retryable one.)"""
    for upload in bad_run.uploads:
        attempts = _task_attempts(upload.history)
        assert attempts, upload.key
        for state, (entered, scheduled) in attempts.items():
            assert scheduled == entered, (upload.key, state, entered, scheduled)
        if upload.case.expected.status == "failed":
            assert attempts["Inspect"] == (1, 1), (upload.key, attempts)


def test_sources_are_never_changed(bad_run: BadRun) -> None:
    s3 = bad_run.cloud.clients.s3
    bucket = bad_run.cloud.stack.input_bucket
    for upload in bad_run.uploads:
        # The version put is still the latest (nothing wrote, copied over or deleted it) ...
        latest = s3.head_object(Bucket=bucket, Key=upload.key)
        assert latest["VersionId"] == upload.version_id, upload.key
        # ... and holds the bytes put.
        body = s3.get_object(Bucket=bucket, Key=upload.key, VersionId=upload.version_id)["Body"]
        assert hashlib.sha256(body.read()).digest() == hashlib.sha256(upload.data).digest()
    # No other object appeared in the input bucket.
    listed = s3.list_objects_v2(Bucket=bucket)
    assert listed["KeyCount"] == len(bad_run.uploads)


def test_every_input_has_exactly_one_manifest(bad_run: BadRun) -> None:
    settings = load_settings()
    expected = sorted(
        layout.output_prefix(settings, upload.source).child(layout.MANIFEST).key
        for upload in bad_run.uploads
    )
    assert sorted(bad_run.manifests_in_bucket) == expected
    assert len(set(expected)) == len(bad_run.uploads), "two inputs share a results folder"
    names = Counter(
        (upload.manifest.source.key, upload.manifest.source.version_id)
        for upload in bad_run.uploads
        if upload.manifest is not None
    )
    assert names == Counter((upload.key, upload.version_id) for upload in bad_run.uploads)


def test_one_execution_per_input_even_with_url_encoded_events(bad_run: BadRun) -> None:
    names = sorted(str(execution["name"]) for execution in bad_run.executions)
    assert names == sorted(layout.execution_name(upload.source) for upload in bad_run.uploads)
    assert bad_run.dead_letters == 0


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def test_outputs_stay_inside_their_folders(bad_run: BadRun) -> None:
    for key in bad_run.output_keys:
        names = key.split("/")
        assert ".." not in names and "." not in names and "" not in names, key
        assert not _UNSAFE_NAME.search(key), key
        assert len(key.encode()) <= layout.MAX_KEY_BYTES
        assert all(len(name.encode()) <= layout.MAX_NAME_BYTES for name in names), key
    for folder in (bad_run.out, bad_run.direct_out):
        root = folder.resolve()
        written = [path for path in folder.rglob("*") if path.is_file()]
        assert written
        for path in written:
            assert path.resolve().is_relative_to(root), path
            assert not path.is_symlink()
    # Every document of the direct route, hostile keys included, was exported with a manifest.
    direct = [upload for upload in bad_run.uploads if upload.route is Route.DIRECT]
    manifests = list(bad_run.direct_out.rglob(layout.MANIFEST))
    assert len(manifests) == len(direct)


def test_scriba_run_prints_one_clean_line_per_document(bad_run: BadRun) -> None:
    for upload in bad_run.uploads:
        if upload.run is None:
            continue
        line = summary_line(upload.run)
        assert "\n" not in line and line.isprintable(), line
        assert line.startswith(upload.case.expected.status)
        assert upload.key in line
        if upload.case.expected.reason:
            assert f"inspect: {upload.case.expected.reason}: " in line
        assert "Traceback" not in line


def test_the_docs_table_shows_the_real_messages(bad_run: BadRun) -> None:
    """docs/bad-inputs.md quotes each case's message from a run: it must still be true
    (regenerate: python -m tests.badinputs.corpus)."""
    document = (ROOT / "docs" / "bad-inputs.md").read_text(encoding="utf-8")
    table = document[document.index(TABLE_START) : document.index(TABLE_END)]
    rows = {
        cells[1].strip(): cells[5].strip().replace("\\|", "|")
        for line in table.splitlines()
        if line.startswith("| ") and len(cells := re.split(r"(?<!\\)\|", line)) >= 7
    }
    for upload in bad_run.uploads:
        if upload.route is not Route.FILE or upload.manifest is None:
            continue
        actual = case_message(upload.case, upload.manifest)
        if actual is not None:
            assert rows.get(upload.case.name) == actual.replace("\n", " "), upload.case.name
