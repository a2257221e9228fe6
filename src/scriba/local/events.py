"""The two EventBridge sources the local stack plays itself, since moto emits neither: Step
Functions' "Execution Status Change" events (for the functions whose rule listens to
``aws.states``, such as the admitter) and the template's ``Schedule`` events."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from scriba.local.queues import Invoke
from scriba.local.template import ACCOUNT, REGION, ExecutionListener, ScheduleSpec

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient
    from mypy_boto3_stepfunctions.type_defs import ExecutionListItemTypeDef

logger = logging.getLogger(__name__)

ENDED = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
# A failed delivery is tried again this often, so many times in all (the template's rule allows
# 20 attempts over an hour; a local run needs fewer).
RETRY_SECONDS = 2.0
RETRY_ATTEMPTS = 5


def status_change_event(execution: ExecutionListItemTypeDef) -> dict[str, Any]:
    """The event EventBridge delivers for an execution that ended, shaped as AWS documents it
    (https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html)."""
    stopped = execution.get("stopDate") or datetime.now(UTC)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "account": ACCOUNT,
        "time": stopped.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [execution["executionArn"]],
        "detail": {
            "executionArn": execution["executionArn"],
            "stateMachineArn": execution["stateMachineArn"],
            "name": execution["name"],
            "status": execution["status"],
            "startDate": int(execution["startDate"].timestamp() * 1000),
            "stopDate": int(stopped.timestamp() * 1000),
            "input": None,
            "output": None,
        },
    }


def matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    """EventBridge's matching for the patterns the template uses: every key of the pattern
    (nested for ``detail``) lists the values allowed."""
    for key, allowed in pattern.items():
        value = event.get(key)
        if isinstance(allowed, dict):
            if not isinstance(value, dict) or not matches(allowed, value):
                return False
        elif value not in allowed:
            return False
    return True


class ExecutionWatcher(threading.Thread):
    """Polls the state machines' executions and hands each one that ends, once, to every
    listener whose rule matches, as EventBridge does on AWS (a few seconds late there too)."""

    def __init__(
        self,
        listeners: list[ExecutionListener],
        state_machine_arns: list[str],
        sfn: SFNClient,
        invoke: Invoke,
        interval: float = 0.5,
    ) -> None:
        super().__init__(name="execution-events", daemon=True)
        self.listeners = listeners
        self.state_machine_arns = state_machine_arns
        self.sfn = sfn
        self.invoke = invoke
        self.interval = interval
        self._seen: set[str] = set()
        # Deliveries that failed, tried again later as EventBridge's retry policy does:
        # (when, attempts so far, listener, event).
        self._retries: list[tuple[float, int, ExecutionListener, dict[str, Any]]] = []
        self._stopped = threading.Event()
        self.delivered = 0

    def stop(self) -> None:
        self._stopped.set()
        self.join(timeout=10)

    def run(self) -> None:
        while not self._stopped.wait(self.interval):
            try:
                self.deliver_once()
            except Exception:  # keep watching, as EventBridge keeps delivering
                logger.exception("delivering execution status events failed")

    def deliver_once(self) -> int:
        delivered = self._retry_due()
        for arn in self.state_machine_arns:
            paginator = self.sfn.get_paginator("list_executions")
            for page in paginator.paginate(stateMachineArn=arn):
                for execution in page["executions"]:
                    if execution["status"] not in ENDED:
                        continue
                    if execution["executionArn"] in self._seen:
                        continue
                    self._seen.add(execution["executionArn"])
                    delivered += self._deliver(status_change_event(execution))
        self.delivered += delivered
        return delivered

    def _deliver(self, event: dict[str, Any]) -> int:
        count = 0
        for listener in self.listeners:
            if matches(listener.pattern, event):
                count += self._invoke(listener, event, attempts=0)
        return count

    def _invoke(self, listener: ExecutionListener, event: dict[str, Any], attempts: int) -> int:
        _, error = self.invoke(listener.function, json.dumps(event).encode("utf-8"))
        if not error:
            return 1
        if attempts + 1 < RETRY_ATTEMPTS:
            self._retries.append((time.monotonic() + RETRY_SECONDS, attempts + 1, listener, event))
        else:  # given up, as EventBridge does; the admitter's tick repairs what this missed
            logger.warning("%s failed on %s", listener.function, event["resources"])
        return 0

    def _retry_due(self) -> int:
        now = time.monotonic()
        due = [retry for retry in self._retries if retry[0] <= now]
        self._retries = [retry for retry in self._retries if retry[0] > now]
        return sum(self._invoke(listener, event, attempts) for _, attempts, listener, event in due)


class Scheduler(threading.Thread):
    """Invokes each scheduled function at its ``rate()``, or every ``cap_seconds`` when that is
    shorter (a local run cannot wait an hour for the sweeper). Cron schedules are not played."""

    def __init__(
        self, schedules: list[ScheduleSpec], invoke: Invoke, cap_seconds: float | None = None
    ) -> None:
        super().__init__(name="schedules", daemon=True)
        self.invoke = invoke
        self.periods = {
            schedule: min(seconds, cap_seconds or seconds)
            for schedule in schedules
            if (seconds := schedule.seconds) is not None
        }
        self._stopped = threading.Event()
        self.fired = 0

    def stop(self) -> None:
        self._stopped.set()
        self.join(timeout=10)

    def run(self) -> None:
        started = time.monotonic()
        due = {schedule: started + period for schedule, period in self.periods.items()}
        while due and not self._stopped.is_set():
            schedule = min(due, key=due.__getitem__)
            if self._stopped.wait(max(0.0, due[schedule] - time.monotonic())):
                return
            due[schedule] = time.monotonic() + self.periods[schedule]
            try:
                _, error = self.invoke(schedule.function, schedule.input.encode("utf-8"))
                if error:
                    logger.warning("scheduled %s failed", schedule.function)
                self.fired += 1
            except Exception:
                logger.exception("scheduled %s failed", schedule.function)
