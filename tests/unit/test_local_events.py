"""The events the local stack plays itself: execution status changes and schedules."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from scriba.local import events
from scriba.local.events import ExecutionWatcher, Scheduler, matches, status_change_event
from scriba.local.template import ExecutionListener, ScheduleSpec, load_stack
from scriba.stages import admission

ROOT = Path(__file__).resolve().parents[2]
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:pipeline"


def execution(name: str, status: str) -> dict[str, Any]:
    return {
        "executionArn": f"{MACHINE.replace(':stateMachine:', ':execution:')}:{name}",
        "stateMachineArn": MACHINE,
        "name": name,
        "status": status,
        "startDate": datetime(2026, 12, 7, 12, 0, tzinfo=UTC),
        "stopDate": datetime(2026, 12, 7, 12, 5, tzinfo=UTC),
    }


class Executions:
    """list_executions of a state machine, as the paginator hands them out."""

    def __init__(self) -> None:
        self.listed: list[dict[str, Any]] = []

    def get_paginator(self, name: str) -> Executions:
        assert name == "list_executions"
        return self

    def paginate(self, stateMachineArn: str) -> list[dict[str, Any]]:  # noqa: N803 - boto3's
        assert stateMachineArn == MACHINE
        return [{"executions": list(self.listed)}]


class Invocations:
    def __init__(self, failures: int = 0) -> None:
        self.calls: list[tuple[str, bytes]] = []
        self.failures = failures

    def __call__(self, function: str, payload: bytes) -> tuple[bytes, str | None]:
        self.calls.append((function, payload))
        if self.failures:
            self.failures -= 1
            return b"{}", "Unhandled"
        return b"{}", None


def test_the_admitter_s_rule_is_read_from_the_template_and_matches_an_ended_execution() -> None:
    stack = load_stack(ROOT)
    (listener,) = stack.execution_listeners
    event = status_change_event(execution("a", "FAILED"))  # type: ignore[arg-type]
    event["detail"]["stateMachineArn"] = stack.state_machine.arn
    assert listener.function == "AdmitFunction"
    assert matches(listener.pattern, event)
    event["detail"]["status"] = "RUNNING"
    assert not matches(listener.pattern, event)
    event["detail"] |= {"status": "SUCCEEDED", "stateMachineArn": MACHINE + "-other"}
    assert not matches(listener.pattern, event)


def test_the_event_is_what_the_admitter_parses() -> None:
    event = status_change_event(execution("doc-1", "ABORTED"))  # type: ignore[arg-type]
    parsed = admission.parse_event(event)
    assert isinstance(parsed, admission.ExecutionEnded)
    assert (parsed.detail.name, parsed.detail.status) == ("doc-1", "ABORTED")
    assert parsed.detail.state_machine_arn == MACHINE


def test_each_ended_execution_is_delivered_once() -> None:
    listener = ExecutionListener("AdmitFunction", {"source": ["aws.states"]})
    sfn, invoke = Executions(), Invocations()
    watcher = ExecutionWatcher([listener], [MACHINE], sfn, invoke)  # type: ignore[arg-type]
    sfn.listed = [execution("a", "RUNNING"), execution("b", "SUCCEEDED")]
    assert watcher.deliver_once() == 1
    sfn.listed = [execution("a", "FAILED"), execution("b", "SUCCEEDED")]
    assert watcher.deliver_once() == 1
    assert watcher.deliver_once() == 0
    names = [call[1] for call in invoke.calls]
    assert [b'"name": "b"' in names[0], b'"name": "a"' in names[1]] == [True, True]


def test_a_failed_delivery_is_tried_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events, "RETRY_SECONDS", 0.0)
    listener = ExecutionListener("AdmitFunction", {"source": ["aws.states"]})
    sfn, invoke = Executions(), Invocations(failures=2)
    watcher = ExecutionWatcher([listener], [MACHINE], sfn, invoke)  # type: ignore[arg-type]
    sfn.listed = [execution("a", "SUCCEEDED")]
    assert watcher.deliver_once() == 0
    assert watcher.deliver_once() == 0
    assert watcher.deliver_once() == 1
    assert len(invoke.calls) == 3
    assert watcher.deliver_once() == 0


def test_schedules_run_at_their_rate_or_the_local_cap() -> None:
    stack = load_stack(ROOT)
    by_function = {schedule.function: schedule for schedule in stack.schedules}
    assert by_function["AdmitFunction"].seconds == 60
    assert by_function["AdmitFunction"].input == '{"tick": true}'
    assert by_function["SweepFunction"].seconds == 3600
    capped = Scheduler(stack.schedules, Invocations(), cap_seconds=5)
    assert sorted(capped.periods.values()) == [5, 5]
    uncapped = Scheduler(stack.schedules, Invocations())
    assert sorted(uncapped.periods.values()) == [60, 3600]
    assert ScheduleSpec("F", "cron(0 12 * * ? *)", "{}").seconds is None
