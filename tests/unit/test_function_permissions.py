"""Every AWS call the sweeper, the starter, the admitter and the backfill function make is
allowed by their roles in template.yaml.

moto allows every call, so a missing permission only shows on AWS; here each call the sweep
function makes (its three passes: a missed document, one whose every attempt ended without a
manifest, a failed one re-driven) is checked against the SweepRole, and each call the start
function makes (twin keys told apart by version id and by ETag included) against the StartRole,
on resources named as the template names them. The stage functions' calls are checked the same
way in tests/e2e/test_aws_topology.py, on the whole deployed topology.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from scriba import layout
from scriba.aws.clients import AwsClients
from scriba.config import (
    AdmitSettings,
    BackfillSettings,
    StartSettings,
    SweepSettings,
    load_settings,
)
from scriba.context import Context
from scriba.local.events import status_change_event
from scriba.local.resources import create_resources
from scriba.local.template import REGION, LocalStack, load_stack
from scriba.models.document import Source
from scriba.models.manifest import Failure, Manifest, Stage, Status
from scriba.stages import admission
from scriba.stages.backfill import BackfillBatch, backfill
from scriba.stages.start import Parked, Started, start_from_message
from scriba.stages.sweep import SweepRequest, sweep
from tests.iam import CallRecorder, refused

ROOT = Path(__file__).resolve().parents[2]
LATER = timedelta(hours=2)


@dataclass
class SweptStack:
    stack: LocalStack
    clients: AwsClients
    calls: CallRecorder

    def upload(self, key: str) -> Source:
        put = self.clients.s3.put_object(Bucket=self.stack.input_bucket, Key=key, Body=b"%PDF")
        return Source(
            bucket=self.stack.input_bucket,
            key=key,
            version_id=put["VersionId"],
            etag=put["ETag"].strip('"'),
            size=4,
        )

    def context(self) -> Context[SweepSettings]:
        return Context.of(load_settings(SweepSettings), self.clients)


def deployed(function: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[SweptStack]:
    """The template's buckets, queues, bus and state machine on moto, and ``function``'s
    environment as the template sets it."""
    stack = load_stack(ROOT)
    session = boto3.session.Session(region_name=REGION)
    # Hooks first: a client copies its session's hooks when it is made.
    calls = CallRecorder()
    calls.install(session)
    clients = AwsClients(session)
    queue_urls = create_resources(stack, clients)
    for key, value in stack.functions[function].environment.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SCRIBA_START_QUEUE_URL", queue_urls["StartQueue"])
    if "SCRIBA_WAITING_QUEUE_URL" in stack.functions[function].environment:
        monkeypatch.setenv("SCRIBA_WAITING_QUEUE_URL", queue_urls["WaitingQueue"])
    monkeypatch.setenv("SCRIBA_ENGINES", "aws")
    yield SweptStack(stack, clients, calls)
    calls.uninstall(session)


@pytest.fixture
def swept(mocked_aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[SweptStack]:
    yield from deployed("SweepFunction", monkeypatch)


@pytest.fixture
def backfiller(mocked_aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[SweptStack]:
    yield from deployed("BackfillFunction", monkeypatch)


@pytest.fixture
def admitter(mocked_aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[SweptStack]:
    yield from deployed("AdmitFunction", monkeypatch)


@pytest.fixture
def starter(mocked_aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[SweptStack]:
    yield from deployed("StartFunction", monkeypatch)


def test_every_call_of_the_sweeper_is_allowed_by_its_role(swept: SweptStack) -> None:
    settings = load_settings(SweepSettings)
    sfn, machine = swept.clients.stepfunctions, swept.stack.state_machine.arn
    swept.upload("inbox/missed.pdf")
    # Every attempt of this one ended without a manifest: the sweeper gives up and records it.
    abandoned = swept.upload("inbox/abandoned.pdf")
    for attempt in range(settings.sweep_max_attempts + 1):
        name = layout.execution_name(abandoned, attempt)
        arn = sfn.start_execution(stateMachineArn=machine, name=name, input="{}")["executionArn"]
        sfn.stop_execution(executionArn=arn)
    # This one failed for a reason worth another try: re-driven on request.
    failed = swept.upload("inbox/failed.pdf")
    output = layout.output_prefix(settings, failed)
    Context.of(settings, swept.clients).storage.write_model(
        output.child(layout.MANIFEST),
        Manifest(
            document_id=layout.document_id(failed),
            name=failed.key,
            source=failed,
            output=f"s3://{output.bucket}/{output.key}/",
            status=Status.FAILED,
            engines="aws",
            failure=Failure(stage=Stage.EXTRACT, reason="throttled", message="slow down"),
            execution=f"{machine}:{layout.execution_name(failed)}",
            finished_at=datetime.now(UTC),
        ),
    )
    swept.calls.default = "SweepFunction"  # from here on: the sweeper's calls

    report = sweep(SweepRequest(redrive_failed=True), swept.context(), datetime.now(UTC) + LATER)

    assert (report.gave_up, len(report.sent)) == (1, 2)
    operations = {(call.service, call.operation) for call in swept.calls.calls}
    assert {
        ("s3", "ListObjectVersions"),
        ("s3", "ListObjectsV2"),
        ("s3", "GetObject"),
        ("s3", "PutObject"),
        ("sfn", "DescribeExecution"),
        ("sfn", "GetExecutionHistory"),
        ("sqs", "SendMessageBatch"),
        ("sqs", "GetQueueAttributes"),
        ("eventbridge", "PutEvents"),
    } <= operations
    assert refused(swept.stack, swept.calls.calls) == []


def upload_event(bucket: str, key: str, version_id: str | None, etag: str) -> str:
    """An EventBridge ``Object Created`` event, the key URL-encoded as S3 sends it."""
    obj: dict[str, object] = {"key": key, "size": 4, "etag": etag, "sequencer": "0A"}
    if version_id:
        obj["version-id"] = version_id
    return json.dumps(
        {
            "version": "0",
            "id": "17793124-05d4-b198-2fde-7ededc63b103",
            "detail-type": "Object Created",
            "source": "aws.s3",
            "account": "123456789012",
            "time": "2026-12-07T00:00:00Z",
            "region": "us-east-1",
            "resources": [f"arn:aws:s3:::{bucket}"],
            "detail": {
                "version": "0",
                "bucket": {"name": bucket},
                "object": obj,
                "request-id": "N4N7GDK58NMKJ12R",
                "requester": "123456789012",
                "source-ip-address": "1.2.3.4",
                "reason": "PutObject",
            },
        }
    )


def test_every_call_of_the_starter_is_allowed_by_its_role(starter: SweptStack) -> None:
    # "a b.pdf" arrives as "a+b.pdf", and "a+b.pdf" exists too: the event's version id (or,
    # without one, its ETag) tells which object it is about, with a HEAD of that version.
    spaced = starter.upload("a b.pdf")
    plus = starter.upload("a+b.pdf")
    settings = load_settings(StartSettings)
    ctx = Context.of(settings, starter.clients)
    starter.calls.default = "StartFunction"  # from here on: the starter's calls

    by_version = start_from_message(
        upload_event(spaced.bucket, "a+b.pdf", spaced.version_id, spaced.etag or ""), ctx
    )
    by_etag = start_from_message(upload_event(plus.bucket, "a+b.pdf", None, plus.etag or ""), ctx)

    assert isinstance(by_version, Started) and isinstance(by_etag, Started)
    heads = [call for call in starter.calls.calls if call.operation == "HeadObject"]
    assert any(call.params.get("VersionId") for call in heads)
    assert any(not call.params.get("VersionId") for call in heads)
    operations = {(call.service, call.operation) for call in starter.calls.calls}
    assert {
        ("s3", "ListObjectsV2"),
        ("s3", "HeadObject"),
        ("sfn", "StartExecution"),
        ("dynamodb", "TransactWriteItems"),
    } <= operations
    assert refused(starter.stack, starter.calls.calls) == []


def test_every_call_of_admission_control_is_allowed_by_the_roles(
    admitter: SweptStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One slot: the second upload is parked by the starter, then started by the admitter when
    # the first execution ends; a tick later checks the remaining lease's execution.
    monkeypatch.setenv("SCRIBA_MAX_DOCUMENTS_IN_FLIGHT", "1")
    first, second = admitter.upload("first.pdf"), admitter.upload("second.pdf")
    ctx = Context.of(load_settings(AdmitSettings), admitter.clients)
    sfn = admitter.clients.stepfunctions
    admitter.calls.default = "StartFunction"
    started = start_from_message(
        upload_event(first.bucket, first.key, first.version_id, first.etag or ""), ctx
    )
    parked = start_from_message(
        upload_event(second.bucket, second.key, second.version_id, second.etag or ""), ctx
    )
    assert isinstance(started, Started) and isinstance(parked, Parked)
    admitter.calls.default = None  # the test's own calls: the first execution ends
    sfn.stop_execution(executionArn=started.execution_arn)
    (ended,) = [
        execution
        for execution in sfn.list_executions(stateMachineArn=admitter.stack.state_machine.arn)[
            "executions"
        ]
        if execution["status"] == "ABORTED"
    ]
    admitter.calls.default = "AdmitFunction"

    on_end = admission.admit(admission.parse_event(status_change_event(ended)), ctx)
    on_tick = admission.admit(admission.Tick(), ctx, now=datetime.now(UTC) + LATER)

    assert (on_end.released, on_end.started, on_tick.in_flight) == ([started.name], 1, 1)
    operations = {(call.service, call.operation) for call in admitter.calls.calls}
    assert {
        ("dynamodb", "TransactWriteItems"),
        ("dynamodb", "GetItem"),
        ("dynamodb", "Scan"),
        ("sqs", "SendMessage"),
        ("sqs", "ReceiveMessage"),
        ("sqs", "DeleteMessage"),
        ("sfn", "StartExecution"),
        ("sfn", "DescribeExecution"),
    } <= operations
    assert refused(admitter.stack, admitter.calls.calls) == []


def test_every_call_of_the_backfill_function_is_allowed_by_its_role(
    backfiller: SweptStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scriba.stages import backfill as backfill_module

    # Pages of one key: the listing of results stops early and manifests are HEADed too.
    monkeypatch.setattr(backfill_module, "LIST_PAGE", 1)
    monkeypatch.setattr(backfill_module, "MAX_RESULT_PAGES", 1)
    settings = load_settings(BackfillSettings)
    ctx = Context.of(settings, backfiller.clients)
    sources = [backfiller.upload(key) for key in ("a b.pdf", "a+b.pdf", "c.pdf", "z.pdf")]
    done = sources[2]
    output = layout.output_prefix(settings, done)
    ctx.storage.write_text(output.child(layout.MANIFEST), "{}", "application/json")
    ctx.storage.write_text(output.child(layout.TEXT), "{}", "application/json")
    backfiller.calls.default = "BackfillFunction"  # from here on: the function's calls

    listed = backfill(
        BackfillBatch.model_validate(
            {
                "Items": [{"Key": s.key, "Size": 4, "Etag": s.etag} for s in sources],
                "BatchInput": {"reader": "listing"},
            }
        ),
        ctx,
    )
    # An inventory row's key is URL-encoded: "a+b.pdf" names "a b.pdf" or itself.
    inventoried = backfill(
        BackfillBatch.model_validate(
            {
                "Items": [{"Bucket": sources[0].bucket, "Key": "a+b.pdf", "IsLatest": "true"}],
                "BatchInput": {"reader": "inventory"},
            }
        ),
        ctx,
    )

    assert (listed.queued, listed.skipped_done, inventoried.queued) == (3, 1, 1)
    operations = {(call.service, call.operation) for call in backfiller.calls.calls}
    assert {
        ("s3", "ListObjectsV2"),
        ("s3", "HeadObject"),
        ("sqs", "SendMessageBatch"),
    } <= operations
    buckets = {
        (call.operation, call.params.get("Bucket"))
        for call in backfiller.calls.calls
        if call.service == "s3"
    }
    stack = backfiller.stack
    assert ("ListObjectsV2", stack.output_bucket) in buckets  # the results listing
    assert ("HeadObject", stack.output_bucket) in buckets  # manifests past it
    assert ("ListObjectsV2", stack.input_bucket) in buckets  # resolving an inventory key
    assert refused(stack, backfiller.calls.calls) == []
