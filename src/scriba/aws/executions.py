"""Step Functions executions: start one (once per name), ask how one is doing, read its history.

Every call goes through ``service_errors``: throttling stays ``Throttled``, a missing execution
or a refused call becomes a typed error that callers can decide about (finalize turns an
unreadable history into a warning, never into a lost manifest).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scriba.aws.errors import service_errors

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient
    from mypy_boto3_stepfunctions.type_defs import HistoryEventTypeDef

SERVICE = "stepfunctions"
# GetExecutionHistory returns at most 1,000 events a call; asking for that many keeps the calls
# (and the throttling bucket they draw on) few for a long execution.
HISTORY_PAGE_SIZE = 1000


def execution_arn(state_machine_arn: str, name: str) -> str:
    """The ARN an execution called ``name`` of the state machine has (or would have)."""
    return state_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{name}"


def start_execution(
    sfn: SFNClient, state_machine_arn: str, name: str, payload: str, document: str | None = None
) -> tuple[str, bool]:
    """Starts the execution ``name`` with ``payload``; returns its ARN and whether it is new.

    A name is unique for 90 days: Step Functions answers a second start of the same name with
    the running execution (same input) or refuses it with ``ExecutionAlreadyExists``, which is
    the "already started" of an idempotent start, not an error.
    """
    with service_errors(SERVICE, document):
        try:
            response = sfn.start_execution(
                stateMachineArn=state_machine_arn, name=name, input=payload
            )
        except sfn.exceptions.ExecutionAlreadyExists:
            return execution_arn(state_machine_arn, name), False
    return response["executionArn"], True


def execution_status(sfn: SFNClient, arn: str, document: str | None = None) -> str | None:
    """RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED...; None when there is no such execution."""
    with service_errors(SERVICE, document):
        try:
            described = sfn.describe_execution(executionArn=arn)
        except sfn.exceptions.ExecutionDoesNotExist:
            return None
    return str(described["status"])


def execution_history(
    sfn: SFNClient, arn: str, document: str | None = None
) -> list[HistoryEventTypeDef]:
    """Every event of an execution so far, oldest first, without the states' data."""
    events: list[HistoryEventTypeDef] = []
    paginator = sfn.get_paginator("get_execution_history")
    with service_errors(SERVICE, document):
        for page in paginator.paginate(
            executionArn=arn,
            includeExecutionData=False,
            PaginationConfig={"PageSize": HISTORY_PAGE_SIZE},
        ):
            events.extend(page["events"])
    return events
