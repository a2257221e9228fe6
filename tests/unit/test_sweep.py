"""The sweeper: missed documents are re-sent once, failures re-run on request, nothing for ever."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.parser.models import S3EventNotificationEventBridgeModel
from moto import mock_aws
from pydantic import ValidationError

from scriba import layout
from scriba.aws.clients import AwsClients
from scriba.aws.storage import Storage
from scriba.config import Settings
from scriba.context import Context
from scriba.layout import attempt_of
from scriba.models.document import S3Location, Source
from scriba.models.manifest import Failure, Manifest, Stage, Status
from scriba.stages.start import request_from_message, source_from_s3_event
from scriba.stages.sweep import GAVE_UP, SweepRequest, sweep

REGION = "us-east-1"
DEFINITION = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
LATER = timedelta(hours=2)  # "now" for the sweeper: every upload is past the grace period


@dataclass
class Stack:
    s3: Any
    sqs: Any
    sfn: Any
    events: Any
    settings: Settings
    queue_url: str
    event_queue_url: str

    def upload(self, key: str, body: bytes = b"%PDF-1.7 test") -> Source:
        response = self.s3.put_object(Bucket="in-bucket", Key=key, Body=body)
        return Source(
            bucket="in-bucket",
            key=key,
            version_id=response["VersionId"],
            etag=response["ETag"].strip('"'),
            size=len(body),
        )

    def write_manifest(
        self,
        source: Source,
        status: Status = Status.SUCCEEDED,
        reason: str | None = None,
        attempt: int = 0,
    ) -> None:
        name = layout.execution_name(source, attempt)
        failure = (
            Failure(stage=Stage.EXTRACT, reason=reason, message="it broke", error_type="X")
            if reason
            else None
        )
        manifest = Manifest(
            document_id=layout.document_id(source),
            name=source.key,
            source=source,
            output=f"s3://out-bucket/documents/{source.key}/",
            status=status,
            engines="aws",
            failure=failure,
            languages=["es"],
            execution=f"arn:aws:states:{REGION}:123456789012:execution:pipeline:{name}",
            finished_at=datetime.now(UTC),
        )
        location = layout.output_prefix(self.settings, source).child(layout.MANIFEST)
        Storage(self.s3).write_model(location, manifest)
        # Results sit beside the manifest: the listing must pick the manifest out of them.
        Storage(self.s3).write_text(
            layout.output_prefix(self.settings, source).child("text.txt"), "words", "text/plain"
        )

    def start(self, source: Source, attempt: int = 0) -> str:
        arn: str = self.sfn.start_execution(
            stateMachineArn=self.settings.state_machine_arn,
            name=layout.execution_name(source, attempt),
            input="{}",
        )["executionArn"]
        return arn

    def queued(self) -> list[dict[str, Any]]:
        bodies: list[dict[str, Any]] = []
        while True:
            messages = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10
            ).get("Messages", [])
            if not messages:
                return bodies
            for message in messages:
                bodies.append(json.loads(message["Body"]))
                self.sqs.delete_message(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )

    def context(self, **changes: Any) -> Context[Settings]:
        """The sweeper's context: these settings, clients on moto (the region of the stack)."""
        settings = self.settings.model_copy(update=changes)
        return Context.of(settings, AwsClients(boto3.session.Session(region_name=REGION)))

    def sweep(self, request: SweepRequest | None = None, **changes: Any) -> Any:
        return sweep(request or SweepRequest(), self.context(**changes), datetime.now(UTC) + LATER)


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    for name, value in {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        for bucket in ("in-bucket", "out-bucket"):
            s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket="in-bucket", VersioningConfiguration={"Status": "Enabled"})
        sqs = boto3.client("sqs", region_name=REGION)
        queue_url = sqs.create_queue(QueueName="start")["QueueUrl"]
        event_queue_url = sqs.create_queue(QueueName="events")["QueueUrl"]
        event_queue_arn = sqs.get_queue_attributes(
            QueueUrl=event_queue_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        events = boto3.client("events", region_name=REGION)
        events.create_event_bus(Name="scriba-events")
        events.put_rule(
            Name="all", EventBusName="scriba-events", EventPattern='{"source": ["scriba"]}'
        )
        events.put_targets(
            Rule="all", EventBusName="scriba-events", Targets=[{"Id": "q", "Arn": event_queue_arn}]
        )
        sfn = boto3.client("stepfunctions", region_name=REGION)
        machine = sfn.create_state_machine(
            name="pipeline", definition=DEFINITION, roleArn="arn:aws:iam::123456789012:role/x"
        )["stateMachineArn"]
        settings = Settings(
            engines="aws",
            input_bucket="in-bucket",
            output_bucket="out-bucket",
            start_queue_url=queue_url,
            state_machine_arn=machine,
            event_bus="scriba-events",
            sweep_grace_minutes=30,
            sweep_max_messages=100,
            sweep_max_attempts=3,
        )
        yield Stack(s3, sqs, sfn, events, settings, queue_url, event_queue_url)


def upload_event(source: Source) -> str:
    """The EventBridge ``Object Created`` event S3 sends for ``source``."""
    return json.dumps(
        {
            "version": "0",
            "id": "1",
            "detail-type": "Object Created",
            "source": "aws.s3",
            "account": "123456789012",
            "time": "2026-01-01T00:00:00Z",
            "region": REGION,
            "resources": [f"arn:aws:s3:::{source.bucket}"],
            "detail": {
                "version": "0",
                "bucket": {"name": source.bucket},
                "object": {
                    "key": source.key,
                    "size": source.size,
                    "etag": source.etag,
                    "version-id": source.version_id,
                    "sequencer": "1",
                },
                "request-id": "r",
                "requester": "123456789012",
                "reason": "PutObject",
            },
        }
    )


def test_inputs_without_a_manifest_are_sent_with_the_name_their_upload_event_has(
    stack: Stack,
) -> None:
    missed = stack.upload("inbox/a report.pdf")
    done = stack.upload("inbox/done.pdf")
    stack.write_manifest(done)

    report = stack.sweep()

    assert [(item.key, item.attempt, item.why) for item in report.sent] == [
        ("inbox/a report.pdf", 0, "missed")
    ]
    assert (report.inputs, report.done) == (2, 1)
    (body,) = stack.queued()
    # The starter reads the message as a re-drive request...
    source, options = request_from_message(json.dumps(body), Storage(stack.s3))
    assert (source.key, source.version_id, options.attempt) == (missed.key, missed.version_id, 0)
    # ...and names the execution as it would have for the upload event: no second run.
    event = S3EventNotificationEventBridgeModel.model_validate_json(upload_event(missed))
    from_event = source_from_s3_event(event, Storage(stack.s3))
    assert layout.execution_name(source) == layout.execution_name(from_event)


def test_young_inputs_are_left_to_the_upload_path(stack: Stack) -> None:
    stack.upload("fresh.pdf")
    report = sweep(SweepRequest(), stack.context())
    assert report.recent == 1
    assert report.sent == []
    assert stack.queued() == []


def test_while_documents_wait_for_admission_missed_ones_are_left_for_later(
    stack: Stack,
) -> None:
    # A burst: documents without a manifest wait in the waiting queue for a slot; the sweeper
    # cannot tell them from missed ones, and re-sending them would only queue copies.
    stack.upload("inbox/waiting.pdf")
    waiting = stack.sqs.create_queue(QueueName="waiting")["QueueUrl"]
    stack.sqs.send_message(QueueUrl=waiting, MessageBody="{}")

    held = stack.sweep(waiting_queue_url=waiting)

    assert (held.queued, held.sent) == (1, [])
    assert stack.queued() == []
    # Once the queue has drained, the document is missed indeed and sent.
    stack.sqs.purge_queue(QueueUrl=waiting)
    swept = stack.sweep(waiting_queue_url=waiting)
    assert [(item.key, item.why) for item in swept.sent] == [("inbox/waiting.pdf", "missed")]


def test_only_keys_the_upload_rule_would_take_are_swept(stack: Stack) -> None:
    for key in ("inbox/a.pdf", "inbox/notes.txt", "other/b.pdf", "inbox/sub/c.pdf"):
        stack.upload(key)
    stack.s3.put_object(Bucket="in-bucket", Key="inbox/folder/", Body=b"")

    report = stack.sweep(input_prefix="inbox/", input_suffix=".pdf")

    assert sorted(item.key for item in report.sent) == ["inbox/a.pdf", "inbox/sub/c.pdf"]


def test_only_the_current_version_of_a_key_is_swept(stack: Stack) -> None:
    stack.upload("r.pdf", b"%PDF old")
    current = stack.upload("r.pdf", b"%PDF new")

    report = stack.sweep()

    assert len(report.sent) == 1
    (body,) = stack.queued()
    assert body["source"]["version_id"] == current.version_id


def test_a_document_whose_execution_runs_is_not_sent_again(stack: Stack) -> None:
    source = stack.upload("slow.pdf")
    stack.start(source)

    report = stack.sweep()

    assert report.running == 1
    assert report.sent == []


def test_an_execution_that_ended_without_a_record_is_followed_by_the_next_attempt(
    stack: Stack,
) -> None:
    source = stack.upload("aborted.pdf")
    stack.sfn.stop_execution(executionArn=stack.start(source))

    report = stack.sweep()

    assert [(item.attempt, item.why) for item in report.sent] == [(1, "ended_without_manifest")]
    (body,) = stack.queued()
    assert body["options"]["attempt"] == 1


def test_after_the_last_attempt_the_sweeper_writes_the_failure_record_and_stops(
    stack: Stack,
) -> None:
    source = stack.upload("doomed.pdf")
    for attempt in range(4):  # attempt 0 and the three re-runs all ended without a manifest
        stack.sfn.stop_execution(executionArn=stack.start(source, attempt))

    report = stack.sweep()

    assert report.gave_up == 1
    assert report.sent == []
    location = layout.output_prefix(stack.settings, source).child(layout.MANIFEST)
    manifest = Storage(stack.s3).read_model(location, Manifest)
    assert manifest.status is Status.FAILED
    assert manifest.failure is not None
    assert manifest.failure.error_type == GAVE_UP
    assert "doomed.pdf" in manifest.failure.message
    messages = stack.sqs.receive_message(QueueUrl=stack.event_queue_url).get("Messages", [])
    assert [json.loads(m["Body"])["detail-type"] for m in messages] == ["Document Failed"]
    # The record makes the document done: later sweeps leave it, and a re-drive of failures
    # leaves it too, even with "all", because its attempts are used up.
    assert stack.sweep(SweepRequest(redrive_failed=True)).not_transient == 1
    again = stack.sweep(SweepRequest(redrive_failed=True, all=True))
    assert again.sent == []
    assert (again.done, again.exhausted) == (1, 1)
    # With a higher limit, "all" re-runs it as the next attempt.
    more = stack.sweep(SweepRequest(redrive_failed=True, all=True), sweep_max_attempts=4)
    assert [(item.attempt, item.why) for item in more.sent] == [(4, "failed")]


def test_redrive_resends_transient_failures_with_the_next_attempt(stack: Stack) -> None:
    throttled = stack.upload("throttled.pdf")
    stack.write_manifest(throttled, Status.FAILED, "throttled", attempt=1)
    encrypted = stack.upload("encrypted.pdf")
    stack.write_manifest(encrypted, Status.FAILED, "encrypted_document")
    worn_out = stack.upload("worn-out.pdf")
    stack.write_manifest(worn_out, Status.FAILED, "service_unavailable", attempt=3)
    partial = stack.upload("partial.pdf")
    stack.write_manifest(partial, Status.PARTIAL)

    assert stack.sweep().sent == []  # failures are re-run only on request

    report = stack.sweep(SweepRequest(redrive_failed=True))
    assert [(item.key, item.attempt, item.why) for item in report.sent] == [
        ("throttled.pdf", 2, "failed")
    ]
    assert (report.failed, report.not_transient, report.exhausted) == (3, 1, 1)
    (body,) = stack.queued()
    assert body["options"] == {"languages": ["es"], "force": False, "attempt": 2}

    everything = stack.sweep(SweepRequest(redrive_failed=True, all=True))
    assert sorted(item.key for item in everything.sent) == ["encrypted.pdf", "throttled.pdf"]


def test_the_failure_of_an_older_version_is_not_rerun_over_the_new_one(stack: Stack) -> None:
    old = stack.upload("r.pdf", b"%PDF old")
    stack.write_manifest(old, Status.FAILED, "throttled")
    stack.upload("r.pdf", b"%PDF new")

    report = stack.sweep(SweepRequest(redrive_failed=True))

    assert report.superseded == 1
    assert report.sent == []


def test_a_sweep_sends_at_most_its_budget_and_says_where_to_resume(stack: Stack) -> None:
    keys = [f"doc-{n}.pdf" for n in range(5)]
    for key in keys:
        stack.upload(key)

    first = stack.sweep(SweepRequest(max_messages=2))
    assert [item.key for item in first.sent] == keys[:2]
    assert first.truncated
    assert first.resume_after == keys[1]

    second = stack.sweep(SweepRequest(max_messages=2, start_after=first.resume_after))
    assert [item.key for item in second.sent] == keys[2:4]
    assert len(stack.queued()) == 4


def test_a_dry_run_reports_and_sends_nothing(stack: Stack) -> None:
    stack.upload("a.pdf")
    report = stack.sweep(SweepRequest(dry_run=True))
    assert [item.key for item in report.sent] == ["a.pdf"]
    assert stack.queued() == []


def test_without_a_queue_the_sweeper_says_so(stack: Stack) -> None:
    with pytest.raises(ValueError, match="SCRIBA_START_QUEUE_URL"):
        stack.sweep(start_queue_url=None)


def test_a_misspelt_request_is_refused() -> None:
    with pytest.raises(ValidationError):
        SweepRequest.model_validate({"redrive_fail": True})


@pytest.mark.parametrize(
    ("execution", "attempt"),
    [
        (None, 0),
        ("arn:aws:states:us-east-1:1:execution:pipeline:report-abc", 0),
        ("arn:aws:states:us-east-1:1:execution:pipeline:report-abc-r2", 2),
        ("report-abc-r11", 11),
    ],
)
def test_the_attempt_is_read_back_from_the_execution_name(
    execution: str | None, attempt: int
) -> None:
    assert attempt_of(execution) == attempt
    if execution and attempt:
        source = Source(bucket="b" * 3, key="report.pdf", version_id="v")
        assert attempt_of(layout.execution_name(source, attempt)) == attempt


def test_the_manifest_location_matches_the_layout() -> None:
    settings = Settings(output_bucket="out-bucket")
    source = Source(bucket="in-bucket", key="a/../b c.pdf")
    location = layout.output_prefix(settings, source).child(layout.MANIFEST)
    # A key that had to be cleaned gets a hash of the original: it never shares a folder with
    # the key it now resembles ("a/b c.pdf").
    assert location == S3Location(
        bucket="out-bucket", key="documents/a/b c.pdf~44e0a2fe03cb/manifest.json"
    )
