"""``scriba backfill``: starts the stack's backfill from its CloudFormation outputs (moto), and
shows its progress from the Map Run and the queues.

moto records executions but cannot run the backfill's Distributed Map (its interpreter has no
ItemBatcher), so it has no Map Run to describe: ``ListMapRuns``/``DescribeMapRun`` are answered
by a botocore Stubber, which checks each request against the Step Functions service model."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from click.testing import CliRunner

from scriba import cli
from scriba.aws import backfills

REGION = "us-east-1"
ACCOUNT = "123456789012"
MACHINE = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:backfill-4f1e2b30"
EXECUTION = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:backfill-4f1e2b30:backfill-inbox-1"
MAP_RUN = f"arn:aws:states:{REGION}:{ACCOUNT}:mapRun:backfill-4f1e2b30/backfill:0b6c6c4e"
DEFINITION = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})


def stack_template(machine: str) -> str:
    """A stack with the outputs of template.yaml that the command reads."""
    return json.dumps(
        {
            "Resources": {
                "StartQueue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "start"}},
                "WaitingQueue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "wait"}},
            },
            "Outputs": {
                "BackfillStateMachineArn": {"Value": machine},
                "InputBucketName": {"Value": "scriba-input"},
                "StartQueueUrl": {"Value": {"Ref": "StartQueue"}},
                "WaitingQueueUrl": {"Value": {"Ref": "WaitingQueue"}},
                "EventBusName": {"Value": "not-a-queue"},
            },
        }
    )


@pytest.fixture
def deployed(mocked_aws: None) -> Iterator[str]:
    """A deployed stack "scriba" on moto; yields its backfill state machine's ARN."""
    session = boto3.session.Session(region_name=REGION)
    machine = session.client("stepfunctions").create_state_machine(
        name="backfill-4f1e2b30", definition=DEFINITION, roleArn=f"arn:aws:iam::{ACCOUNT}:role/b"
    )["stateMachineArn"]
    session.client("cloudformation").create_stack(
        StackName="scriba", TemplateBody=stack_template(machine)
    )
    yield machine


def run(*args: str) -> Any:
    return CliRunner().invoke(cli.main, ["backfill", *args], catch_exceptions=False)


def execution_input(machine: str) -> dict[str, Any]:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    (execution,) = sfn.list_executions(stateMachineArn=machine)["executions"]
    described = sfn.describe_execution(executionArn=execution["executionArn"])
    return json.loads(described["input"])  # type: ignore[no-any-return]


def test_start_from_the_stack_outputs_prints_the_execution_and_its_console_page(
    deployed: str,
) -> None:
    result = run("s3://scriba-input/inbox/2024/", "--stack", "scriba")

    assert result.exit_code == 0, result.output
    assert execution_input(deployed) == {"bucket": "scriba-input", "prefix": "inbox/2024/"}
    lines = result.output.splitlines()
    arn = lines[0].removeprefix("started ")
    assert arn.startswith(deployed.replace(":stateMachine:", ":execution:") + ":backfill-")
    assert lines[1].split()[1] == backfills.console_url(arn)
    assert "region=us-east-1" in lines[1] and "%3Aexecution%3A" in lines[1]
    assert f"scriba backfill --status {arn}" in lines[2]


def test_an_inventory_backfill_names_its_manifest(deployed: str) -> None:
    manifest = "s3://inventories/scriba-input/all/2026-12-01T01-00Z/manifest.json"
    result = run("--inventory", manifest, "--state-machine-arn", deployed, "--json")

    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed["console_url"] == backfills.console_url(printed["execution_arn"])
    assert execution_input(deployed) == {
        "prefix": "",
        "inventory": {
            "bucket": "inventories",
            "key": "scriba-input/all/2026-12-01T01-00Z/manifest.json",
        },
    }


@pytest.mark.usefixtures("deployed")
def test_only_the_stacks_input_bucket_is_backfilled_and_one_source_is_named() -> None:
    elsewhere = run("s3://someone-elses/inbox/", "--stack", "scriba")
    assert elsewhere.exit_code != 0
    assert "input bucket scriba-input only" in elsewhere.output
    both = run("s3://scriba-input/", "--inventory", "s3://i/manifest.json", "--stack", "scriba")
    assert both.exit_code != 0
    neither = run("--stack", "scriba")
    assert neither.exit_code != 0
    nowhere = run("s3://scriba-input/")
    assert nowhere.exit_code != 0 and "--stack NAME" in nowhere.output
    assert run("http://scriba-input/x", "--stack", "scriba").exit_code != 0


def test_execution_names_are_valid_step_functions_names() -> None:
    now = datetime(2026, 12, 7, 10, 30, tzinfo=UTC)
    long = backfills.BackfillInput(bucket="b" * 63, prefix="ü/" + "x" * 900)
    for request in (long, backfills.BackfillInput(bucket="bkt")):
        name = backfills.execution_name(request, now)
        assert len(name) <= 80 and name.endswith("-20261207T103000Z"), name
        assert all(c.isascii() and (c.isalnum() or c in "-_") for c in name), name
    with pytest.raises(ValueError, match="one of the two"):
        backfills.BackfillInput()


def map_run_counts(**counts: int) -> dict[str, int]:
    keys = ("pending", "running", "succeeded", "failed", "timedOut", "aborted", "total")
    full = {key: counts.get(key, 0) for key in keys}
    return {**full, "resultsWritten": 0, "failuresNotRedrivable": 0, "pendingRedrive": 0}


class StubbedStepFunctions:
    """A session whose Step Functions client answers from a Stubber; the rest is moto."""

    def __init__(self) -> None:
        self.session = boto3.session.Session(region_name=REGION)
        self.sfn = self.session.client("stepfunctions")
        self.stubber = Stubber(self.sfn)

    def client(self, service: str, **kwargs: Any) -> Any:
        if service == "stepfunctions":
            return self.sfn
        return self.session.client(service, **kwargs)  # type: ignore[call-overload]

    def expect_progress(self, with_tags: bool) -> None:
        stub = self.stubber
        if with_tags:
            stub.add_response(
                "list_tags_for_resource",
                {"tags": [{"key": "aws:cloudformation:stack-name", "value": "scriba"}]},
                {"resourceArn": MACHINE},
            )
        started = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
        stub.add_response(
            "describe_execution",
            {
                "executionArn": EXECUTION,
                "stateMachineArn": MACHINE,
                "status": "RUNNING",
                "startDate": started,
            },
            {"executionArn": EXECUTION},
        )
        stub.add_response(
            "list_map_runs",
            {
                "mapRuns": [
                    {
                        "executionArn": EXECUTION,
                        "mapRunArn": MAP_RUN,
                        "stateMachineArn": MACHINE,
                        "startDate": started,
                    }
                ]
            },
            {"executionArn": EXECUTION},
        )
        stub.add_response(
            "describe_map_run",
            {
                "mapRunArn": MAP_RUN,
                "executionArn": EXECUTION,
                "status": "RUNNING",
                "startDate": started,
                "maxConcurrency": 10,
                "toleratedFailurePercentage": 1.0,
                "toleratedFailureCount": 0,
                "itemCounts": map_run_counts(
                    pending=600, running=100, succeeded=290, failed=10, total=1000
                ),
                "executionCounts": map_run_counts(pending=6, running=1, succeeded=3, total=10),
            },
            {"mapRunArn": MAP_RUN},
        )


@pytest.mark.parametrize("name_the_stack", [True, False])
def test_status_shows_the_map_run_and_the_queues_of_the_stack(
    deployed: str, monkeypatch: pytest.MonkeyPatch, name_the_stack: bool
) -> None:
    aws = StubbedStepFunctions()
    aws.expect_progress(with_tags=not name_the_stack)
    monkeypatch.setattr(cli, "_aws_session", lambda region: aws)
    sqs = aws.session.client("sqs")
    for _ in range(3):
        sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName="wait")["QueueUrl"], MessageBody="{}")
    sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName="start")["QueueUrl"], MessageBody="{}")

    with aws.stubber:
        stack = ["--stack", "scriba"] if name_the_stack else []
        result = run("--status", EXECUTION, *stack)
    aws.stubber.assert_no_pending_responses()

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"backfill RUNNING  {EXECUTION}"
    assert lines[1] == (
        "  map run RUNNING: 1000 items, 30 % done "
        "(290 succeeded, 10 failed, 100 running, 600 pending)"
    )
    assert lines[2] == "  batches 10: 3 succeeded, 0 failed, 1 running, 6 pending"
    # Every queue the stack names, the upload queue and the one admission parks documents in.
    assert lines[3:] == [
        "  StartQueue: 1 waiting, 0 in flight",
        "  WaitingQueue: 3 waiting, 0 in flight",
    ]


def test_status_as_json(deployed: str, monkeypatch: pytest.MonkeyPatch) -> None:
    aws = StubbedStepFunctions()
    aws.expect_progress(with_tags=False)
    monkeypatch.setattr(cli, "_aws_session", lambda region: aws)
    with aws.stubber:
        result = run("--status", EXECUTION, "--stack", "scriba", "--json")
    status = backfills.BackfillStatus.model_validate_json(result.output)
    (map_run,) = status.map_runs
    assert (map_run.items.total, map_run.items.succeeded, map_run.batches.total) == (1000, 290, 10)
    assert {queue.name for queue in status.queues} == {"StartQueue", "WaitingQueue"}
