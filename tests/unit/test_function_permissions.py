"""Every AWS call the sweeper makes is allowed by its role in template.yaml.

moto allows every call, so a missing permission only shows on AWS; here each call the sweep
function makes (its three passes: a missed document, one whose every attempt ended without a
manifest, a failed one re-driven) is checked against the SweepRole, on resources named as the
template names them. The stage functions' calls are checked the same way in
tests/e2e/test_aws_topology.py, on the whole deployed topology.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from scriba import layout
from scriba.aws.clients import AwsClients
from scriba.config import SweepSettings, load_settings
from scriba.context import Context
from scriba.local.resources import create_resources
from scriba.local.template import REGION, LocalStack, load_stack
from scriba.models.document import Source
from scriba.models.manifest import Failure, Manifest, Stage, Status
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


@pytest.fixture
def swept(mocked_aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[SweptStack]:
    """The template's buckets, queues, bus and state machine on moto, and the sweep function's
    environment as the template sets it."""
    stack = load_stack(ROOT)
    session = boto3.session.Session(region_name=REGION)
    # Hooks first: a client copies its session's hooks when it is made.
    calls = CallRecorder()
    calls.install(session)
    clients = AwsClients(session)
    queue_urls = create_resources(stack, clients)
    for key, value in stack.functions["SweepFunction"].environment.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SCRIBA_START_QUEUE_URL", queue_urls["StartQueue"])
    monkeypatch.setenv("SCRIBA_ENGINES", "aws")
    yield SweptStack(stack, clients, calls)
    calls.uninstall(session)


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
        ("eventbridge", "PutEvents"),
    } <= operations
    assert refused(swept.stack, swept.calls.calls) == []
