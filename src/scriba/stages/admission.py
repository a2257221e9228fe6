"""The admitter: frees the slots of ended executions and starts waiting documents in their place.

It runs on each "Step Functions Execution Status Change" event of an ended execution (EventBridge
delivers it within seconds, at least once) and once a minute (the tick). Either way it gives back
what has ended, then fills the free slots from the waiting queue, oldest messages first as SQS
hands them out. Nothing waits for ever:

* a release is idempotent (the lease is deleted once), so a duplicate event changes nothing;
* an end event that never came is made good by the tick: a lease older than ``CHECK_AFTER`` whose
  execution is no longer running (or never started) is freed, and a lease past its expiry is
  freed whatever the execution says;
* a waiting message that cannot be started (a permanent error) is received again and, after the
  queue's ``maxReceiveCount``, dead-lettered with the starter's other failures.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, ConfigDict, Field

from scriba.aws.admission import Slots
from scriba.aws.errors import service_errors
from scriba.aws.executions import execution_arn, execution_status
from scriba.config import AdmitSettings
from scriba.context import Context
from scriba.errors import ScribaError
from scriba.models.base import Model
from scriba.stages.start import Parked, Started, start_from_message

logger = logging.getLogger(__name__)

ENDED = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})
# A younger lease may belong to a start still in progress (the slot is taken just before the
# execution is started), so the tick does not ask about it yet.
CHECK_AFTER = timedelta(minutes=2)
# A slot taken for an execution that never started (its starter died in between) is freed this
# long after: the message comes back to the starter after the queue's visibility timeout (6 min).
NEVER_STARTED_AFTER = timedelta(minutes=10)
# DescribeExecution calls per tick, at most: the oldest leases first, the rest next minute.
CHECKS_PER_TICK = 200
# Held back from the function's timeout for the last start and the answer.
RESERVE_SECONDS = 10.0
RECEIVE = 10  # SQS's most messages a receive
VISIBILITY_SECONDS = 60


class ExecutionDetail(BaseModel):
    """The fields used of the event's detail (it also carries input, output, dates...)."""

    model_config = ConfigDict(extra="ignore")

    execution_arn: str = Field(alias="executionArn")
    state_machine_arn: str = Field(alias="stateMachineArn")
    name: str
    status: str


class ExecutionEnded(EventBridgeModel):
    """EventBridge's "Step Functions Execution Status Change" event."""

    source: Literal["aws.states"]
    detail_type: Literal["Step Functions Execution Status Change"] = Field(alias="detail-type")
    detail: ExecutionDetail


class Tick(Model):
    """The schedule's event (``{"tick": true}``)."""

    tick: Literal[True] = True


class Admission(Model):
    """What one run of the admitter did."""

    released: list[str] = Field(default_factory=list, description="Slots given back")
    started: int = Field(default=0, description="Waiting documents started")
    dropped: int = Field(default=0, description="Waiting messages that named no document")
    failed: int = Field(default=0, description="Waiting messages that could not be started")
    in_flight: int = Field(default=0, description="Slots taken when it finished")


def parse_event(event: dict[str, Any]) -> ExecutionEnded | Tick:
    if event.get("source") == "aws.states":
        return ExecutionEnded.model_validate(event)
    return Tick.model_validate(event)


def admit(
    request: ExecutionEnded | Tick,
    ctx: Context[AdmitSettings],
    remaining_seconds: Callable[[], float] | None = None,
    now: datetime | None = None,
) -> Admission:
    """Gives back what has ended, then starts waiting documents while slots are free."""
    settings = ctx.settings
    slots = Slots(ctx.clients.dynamodb, settings.admission_table)
    result = Admission()
    if isinstance(request, ExecutionEnded):
        detail = request.detail
        ours = detail.state_machine_arn == settings.state_machine_arn
        if ours and detail.status in ENDED and slots.release(detail.name):
            result.released.append(detail.name)
    else:
        result.released.extend(reclaim(slots, ctx, now or datetime.now(UTC)))
    deadline = time.monotonic() + (remaining_seconds() if remaining_seconds else 50.0)
    start_waiting(slots, ctx, result, deadline - RESERVE_SECONDS)
    result.in_flight = slots.in_flight()
    logger.info(
        "admission: %d released, %d started, %d in flight",
        len(result.released),
        result.started,
        result.in_flight,
    )
    return result


def reclaim(slots: Slots, ctx: Context[AdmitSettings], now: datetime) -> list[str]:
    """Frees the leases of executions that ended unannounced, and those past their expiry."""
    freed = []
    checked = 0
    for lease in sorted(slots.leases(), key=lambda lease: lease.taken):
        age = now - lease.taken
        if lease.expires > now:
            if age < CHECK_AFTER or checked >= CHECKS_PER_TICK:
                continue
            checked += 1
            arn = execution_arn(ctx.settings.state_machine_arn, lease.name)
            status = execution_status(ctx.clients.stepfunctions, arn, lease.name)
            if status == "RUNNING" or (status is None and age < NEVER_STARTED_AFTER):
                continue
        if slots.release(lease.name):
            logger.warning("freed the slot of %s (no end event came)", lease.name)
            freed.append(lease.name)
    return freed


def start_waiting(
    slots: Slots, ctx: Context[AdmitSettings], result: Admission, deadline: float
) -> None:
    """Starts waiting documents, as many as there are free slots, until ``deadline``."""
    settings = ctx.settings
    sqs = ctx.clients.sqs
    queue = settings.waiting_queue_url
    while time.monotonic() < deadline:
        free = settings.max_documents_in_flight - slots.in_flight()
        if free <= 0:
            return
        with service_errors("sqs"):
            # A second of long polling: a short poll samples only some of SQS's servers and can
            # answer "empty" while messages wait.
            messages = sqs.receive_message(
                QueueUrl=queue,
                MaxNumberOfMessages=min(RECEIVE, free),
                VisibilityTimeout=VISIBILITY_SECONDS,
                WaitTimeSeconds=1,
            ).get("Messages", [])
        if not messages:
            return
        for index, message in enumerate(messages):
            handle = message["ReceiptHandle"]
            try:
                outcome = start_from_message(message["Body"], ctx, waiting=True)
            except ScribaError as error:
                # Left in the queue: received again later, dead-lettered after maxReceiveCount.
                logger.error("a waiting document could not be started: %s", error)
                result.failed += 1
                continue
            if isinstance(outcome, Parked):
                # The slots filled up meanwhile: this message and the rest wait on.
                with service_errors("sqs"):
                    for rest in messages[index:]:
                        sqs.change_message_visibility(
                            QueueUrl=queue,
                            ReceiptHandle=rest["ReceiptHandle"],
                            VisibilityTimeout=0,
                        )
                return
            with service_errors("sqs"):
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=handle)
            if isinstance(outcome, Started):
                result.started += 1
            else:
                result.dropped += 1
