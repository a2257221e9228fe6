"""Admission control: at most N documents in flight, the rest wait in a queue, nothing for ever."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from scriba.aws.admission import Slots, Take
from scriba.aws.clients import AwsClients
from scriba.config import AdmitSettings
from scriba.context import Context
from scriba.stages import admission
from scriba.stages.start import LEASE_SECONDS, Parked, Started, start_from_message

# A state machine that waits until it is stopped: an execution stays RUNNING for the test.
RUNNING = json.dumps(
    {"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 3600, "End": True}}}
)
PIPELINE = json.loads(
    (Path(__file__).parents[2] / "statemachine" / "pipeline.asl.json").read_text(encoding="utf-8")
)
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.fixture
def aws(mocked_aws: None) -> Iterator[dict[str, Any]]:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="in-bucket")
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    arn = sfn.create_state_machine(
        name="pipeline", definition=RUNNING, roleArn="arn:aws:iam::123456789012:role/x"
    )["stateMachineArn"]
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    dynamodb.create_table(
        TableName="admission",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    sqs = boto3.client("sqs", region_name="us-east-1")
    queue = sqs.create_queue(QueueName="waiting")["QueueUrl"]
    yield {"s3": s3, "sfn": sfn, "arn": arn, "dynamodb": dynamodb, "sqs": sqs, "queue": queue}


def context(aws: dict[str, Any], limit: int) -> Context[AdmitSettings]:
    settings = AdmitSettings(
        state_machine_arn=aws["arn"],
        admission_table="admission",
        waiting_queue_url=aws["queue"],
        max_documents_in_flight=limit,
    )
    return Context.of(settings, AwsClients(boto3.session.Session(region_name="us-east-1")))


def upload(aws: dict[str, Any], key: str) -> str:
    """A document in the input bucket and the re-drive request that names it."""
    aws["s3"].put_object(Bucket="in-bucket", Key=key, Body=b"%PDF-1.4")
    return json.dumps({"source": {"bucket": "in-bucket", "key": key}})


def waiting(aws: dict[str, Any]) -> list[str]:
    """The keys in the waiting queue (received and made visible again at once)."""
    keys = []
    while True:
        got = (
            aws["sqs"]
            .receive_message(QueueUrl=aws["queue"], MaxNumberOfMessages=10, VisibilityTimeout=30)
            .get("Messages", [])
        )
        if not got:
            break
        keys += [json.loads(m["Body"])["source"]["key"] for m in got]
    return sorted(keys)


def running(aws: dict[str, Any]) -> list[dict[str, Any]]:
    listed = aws["sfn"].list_executions(stateMachineArn=aws["arn"], statusFilter="RUNNING")
    return list(listed["executions"])


def ended(aws: dict[str, Any], execution: dict[str, Any]) -> dict[str, Any]:
    """Stops an execution and makes the event EventBridge would deliver for it."""
    aws["sfn"].stop_execution(executionArn=execution["executionArn"])
    return {
        "version": "0",
        "id": "315c1398-40ff-a850-213b-158f73e60175",
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "account": "123456789012",
        "time": "2026-12-07T12:00:00Z",
        "region": "us-east-1",
        "resources": [execution["executionArn"]],
        "detail": {
            "executionArn": execution["executionArn"],
            "stateMachineArn": aws["arn"],
            "name": execution["name"],
            "status": "ABORTED",
            "startDate": 1765108800000,
            "stopDate": 1765108860000,
            "input": "{}",
            "output": None,
        },
    }


def test_a_slot_is_taken_once_and_given_back_once(aws: dict[str, Any]) -> None:
    slots = Slots(aws["dynamodb"], "admission")
    assert slots.take("a", 2, NOW, 60) is Take.TAKEN
    assert slots.take("a", 2, NOW, 60) is Take.HELD  # a re-delivered message
    assert slots.take("b", 2, NOW, 60) is Take.TAKEN
    assert slots.take("c", 2, NOW, 60) is Take.FULL
    assert slots.take("a", 2, NOW, 60) is Take.HELD  # full, but "a" has its slot already
    assert slots.in_flight() == 2
    assert slots.release("a") and not slots.release("a")  # a duplicate end event
    assert slots.in_flight() == 1
    assert slots.take("c", 2, NOW, 60) is Take.TAKEN
    assert sorted(lease.name for lease in slots.leases()) == ["b", "c"]


def test_a_burst_starts_the_limit_and_parks_the_rest(aws: dict[str, Any]) -> None:
    ctx = context(aws, limit=3)
    outcomes = [start_from_message(upload(aws, f"doc-{i}.pdf"), ctx) for i in range(8)]

    assert sum(isinstance(o, Started) for o in outcomes) == 3
    assert sum(isinstance(o, Parked) for o in outcomes) == 5
    assert len(running(aws)) == 3
    assert waiting(aws) == [f"doc-{i}.pdf" for i in range(3, 8)]


def test_an_ended_execution_lets_a_waiting_document_in(aws: dict[str, Any]) -> None:
    ctx = context(aws, limit=2)
    for i in range(5):
        start_from_message(upload(aws, f"doc-{i}.pdf"), ctx)
    first = running(aws)[0]
    event = ended(aws, first)

    result = admission.admit(admission.parse_event(event), ctx)

    assert result.released == [first["name"]] and result.started == 1
    assert len(running(aws)) == 2 and result.in_flight == 2
    assert len(waiting(aws)) == 2
    # EventBridge delivers at least once: the same event again frees nothing more.
    again = admission.admit(admission.parse_event(event), ctx)
    assert again.released == [] and again.started == 0 and again.in_flight == 2


def test_every_document_runs_once_however_the_slots_turn_over(aws: dict[str, Any]) -> None:
    ctx = context(aws, limit=3)
    keys = [f"doc-{i:02}.pdf" for i in range(12)]
    for key in keys:
        start_from_message(upload(aws, key), ctx)
    peak = 0
    while running(aws):
        peak = max(peak, len(running(aws)))
        admission.admit(admission.parse_event(ended(aws, running(aws)[0])), ctx)
    executions = aws["sfn"].list_executions(stateMachineArn=aws["arn"])["executions"]
    assert len(executions) == len(keys) and peak == 3
    assert waiting(aws) == []
    assert Slots(aws["dynamodb"], "admission").in_flight() == 0


def test_a_duplicate_of_a_finished_document_gives_its_slot_back(aws: dict[str, Any]) -> None:
    ctx = context(aws, limit=2)
    body = upload(aws, "once.pdf")
    start_from_message(body, ctx)
    admission.admit(admission.parse_event(ended(aws, running(aws)[0])), ctx)

    again = start_from_message(body, ctx)  # the upload event, re-delivered a day later

    assert isinstance(again, Started) and not again.created
    assert Slots(aws["dynamodb"], "admission").in_flight() == 0


def test_a_start_that_fails_gives_its_slot_back(aws: dict[str, Any]) -> None:
    ctx = context(aws, limit=2)
    body = upload(aws, "r.pdf")
    aws["sfn"].delete_state_machine(stateMachineArn=aws["arn"])
    with pytest.raises(Exception, match=r"r\.pdf|StateMachineDoesNotExist"):
        start_from_message(body, ctx)
    assert Slots(aws["dynamodb"], "admission").in_flight() == 0


def test_the_tick_frees_slots_whose_end_event_never_came(aws: dict[str, Any]) -> None:
    ctx = context(aws, limit=2)
    for i in range(4):
        start_from_message(upload(aws, f"doc-{i}.pdf"), ctx)
    slots = Slots(aws["dynamodb"], "admission")
    lost = running(aws)[0]
    aws["sfn"].stop_execution(executionArn=lost["executionArn"])  # and no event
    # A slot taken for an execution whose starter died before starting it.
    slots.release(running(aws)[0]["name"])
    assert slots.take("never-started", 2, datetime.now(UTC), LEASE_SECONDS) is Take.TAKEN

    soon = admission.admit(admission.Tick(), ctx, now=datetime.now(UTC) + timedelta(minutes=1))
    assert soon.released == []  # too young to ask about: a start may be in progress

    later = admission.admit(admission.Tick(), ctx, now=datetime.now(UTC) + timedelta(minutes=15))
    assert sorted(later.released) == sorted([lost["name"], "never-started"])
    assert later.started == 2 and later.in_flight == 2


def test_a_lease_past_its_expiry_is_freed_whatever_the_execution_says(
    aws: dict[str, Any],
) -> None:
    ctx = context(aws, limit=1)
    start_from_message(upload(aws, "stuck.pdf"), ctx)
    name = running(aws)[0]["name"]
    late = datetime.now(UTC) + timedelta(seconds=LEASE_SECONDS + 1)
    result = admission.admit(admission.Tick(), ctx, now=late)
    assert result.released == [name]


def test_the_lease_outlives_the_longest_execution() -> None:
    assert PIPELINE["TimeoutSeconds"] < LEASE_SECONDS


def test_another_state_machine_s_events_are_ignored(aws: dict[str, Any]) -> None:
    ctx = context(aws, limit=1)
    start_from_message(upload(aws, "mine.pdf"), ctx)
    event = ended(aws, running(aws)[0])
    event["detail"]["stateMachineArn"] = aws["arn"].replace("pipeline", "other")
    assert admission.admit(admission.parse_event(event), ctx).released == []


def test_without_a_table_every_document_starts_at_once(aws: dict[str, Any]) -> None:
    ctx = context(aws, limit=1)
    settings = ctx.settings.model_copy(update={"admission_table": None})
    ctx = Context.of(settings, ctx.clients)
    outcomes = [start_from_message(upload(aws, f"d{i}.pdf"), ctx) for i in range(3)]
    assert all(isinstance(o, Started) for o in outcomes) and len(running(aws)) == 3
