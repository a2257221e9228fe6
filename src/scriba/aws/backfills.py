"""Backfills of a deployed stack, from the command line: start one, and see how far it is.

A backfill is one execution of the stack's backfill state machine (statemachine/backfill.asl.json)
with a listing (bucket and prefix) or an S3 Inventory manifest as its input. Its progress is the
Distributed Map's Map Run (``ListMapRuns``, ``DescribeMapRun``: items and child executions
pending, running, succeeded, failed) and, downstream, the depth of the stack's queues: the
documents sent wait there for the starter to admit them.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlparse

from pydantic import Field, model_validator

from scriba.aws.errors import service_errors
from scriba.models.base import Model

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_stepfunctions import SFNClient

STATE_MACHINE_OUTPUT = "BackfillStateMachineArn"
INPUT_BUCKET_OUTPUT = "InputBucketName"
STACK_NAME_TAG = "aws:cloudformation:stack-name"  # CloudFormation tags the resources it makes


class InventoryLocation(Model):
    bucket: str = Field(min_length=3)
    key: str = Field(min_length=1, description="The inventory report's manifest.json")


class BackfillInput(Model):
    """The backfill execution's input: a listing of ``bucket`` under ``prefix``, or the S3
    Inventory report whose manifest ``inventory`` names."""

    bucket: str | None = Field(default=None, min_length=3)
    prefix: str = ""
    inventory: InventoryLocation | None = None

    @model_validator(mode="after")
    def _one_reader(self) -> BackfillInput:
        if (self.bucket is None) == (self.inventory is None):
            raise ValueError("a backfill lists a bucket or reads an inventory: one of the two")
        return self


def s3_url(url: str) -> tuple[str, str]:
    """Bucket and key (or prefix) of ``s3://bucket/key``."""
    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"not an s3://bucket/key URL: {url}")
    return parsed.netloc, parsed.path.removeprefix("/")


def stack_outputs(cfn: Any, stack: str) -> dict[str, str]:
    """The outputs of a CloudFormation stack (``cfn``: a boto3 cloudformation client)."""
    with service_errors("cloudformation"):
        (described,) = cfn.describe_stacks(StackName=stack)["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}


def execution_name(request: BackfillInput, now: datetime) -> str:
    """``backfill-<what>-<when>``: readable in the console, 80 characters of [A-Za-z0-9_-]."""
    what = request.inventory.key if request.inventory else f"{request.bucket}/{request.prefix}"
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", what).strip("-")[:48] or "all"
    return f"backfill-{slug}-{now:%Y%m%dT%H%M%SZ}"


def start_backfill(
    sfn: SFNClient, state_machine_arn: str, request: BackfillInput, now: datetime
) -> str:
    """Starts the backfill; returns its execution ARN."""
    with service_errors("stepfunctions"):
        response = sfn.start_execution(
            stateMachineArn=state_machine_arn,
            name=execution_name(request, now),
            input=request.model_dump_json(exclude_none=True),
        )
    return response["executionArn"]


def console_url(execution_arn: str) -> str:
    region = execution_arn.split(":")[3]
    return (
        f"https://{region}.console.aws.amazon.com/states/home?region={region}"
        f"#/v2/executions/details/{quote(execution_arn, safe='')}"
    )


class Counts(Model):
    pending: int = 0
    running: int = 0
    succeeded: int = 0
    failed: int = 0
    timed_out: int = 0
    aborted: int = 0
    total: int = 0

    @classmethod
    def of(cls, counts: Any) -> Counts:
        return cls(
            pending=counts.get("pending", 0),
            running=counts.get("running", 0),
            succeeded=counts.get("succeeded", 0),
            failed=counts.get("failed", 0),
            timed_out=counts.get("timedOut", 0),
            aborted=counts.get("aborted", 0),
            total=counts.get("total", 0),
        )

    @property
    def done_percent(self) -> float:
        finished = self.succeeded + self.failed + self.timed_out + self.aborted
        return 100.0 * finished / self.total if self.total else 0.0


class MapRunStatus(Model):
    arn: str
    status: str
    items: Counts = Field(description="Listed items (objects or inventory rows)")
    batches: Counts = Field(description="Child executions, one per batch")


class QueueDepth(Model):
    name: str = Field(description="The stack output naming the queue")
    waiting: int = Field(description="ApproximateNumberOfMessages")
    in_flight: int = Field(description="ApproximateNumberOfMessagesNotVisible")


class BackfillStatus(Model):
    execution_arn: str
    status: str
    started: datetime | None = None
    stopped: datetime | None = None
    map_runs: list[MapRunStatus] = Field(default_factory=list)
    queues: list[QueueDepth] = Field(default_factory=list)


def stack_of(sfn: SFNClient, execution_arn: str) -> str | None:
    """The stack that made the backfill's state machine (CloudFormation's tag), if it says."""
    state_machine = execution_arn.replace(":execution:", ":stateMachine:", 1).rsplit(":", 1)[0]
    with service_errors("stepfunctions"):
        tags = sfn.list_tags_for_resource(resourceArn=state_machine).get("tags", [])
    return next((tag["value"] for tag in tags if tag.get("key") == STACK_NAME_TAG), None)


def queue_depths(sqs: SQSClient, outputs: dict[str, str]) -> list[QueueDepth]:
    """Messages in every queue the stack names in its outputs (``...QueueUrl``): the upload
    queue, and whatever queues admission keeps documents waiting in."""
    depths = []
    for name, url in sorted(outputs.items()):
        if not name.endswith("QueueUrl"):
            continue
        with service_errors("sqs"):
            attributes = sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )["Attributes"]
        depths.append(
            QueueDepth(
                name=name.removesuffix("Url"),
                waiting=int(attributes.get("ApproximateNumberOfMessages", 0)),
                in_flight=int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
            )
        )
    return depths


def backfill_status(
    sfn: SFNClient, execution_arn: str, sqs: SQSClient | None, outputs: dict[str, str]
) -> BackfillStatus:
    """The backfill execution, its Map Run(s) and the depth of the stack's queues."""
    with service_errors("stepfunctions"):
        execution = sfn.describe_execution(executionArn=execution_arn)
        runs = []
        for page in sfn.get_paginator("list_map_runs").paginate(executionArn=execution_arn):
            for listed in page["mapRuns"]:
                run = sfn.describe_map_run(mapRunArn=listed["mapRunArn"])
                runs.append(
                    MapRunStatus(
                        arn=run["mapRunArn"],
                        status=run["status"],
                        items=Counts.of(run["itemCounts"]),
                        batches=Counts.of(run["executionCounts"]),
                    )
                )
    return BackfillStatus(
        execution_arn=execution_arn,
        status=execution["status"],
        started=execution.get("startDate"),
        stopped=execution.get("stopDate"),
        map_runs=runs,
        queues=queue_depths(sqs, outputs) if sqs is not None else [],
    )
