"""What the transitions benchmark counts as billed state transitions."""

from __future__ import annotations

from typing import Any

from bench.transitions import transitions


def _events(*types: str) -> list[dict[str, Any]]:
    return [{"id": index, "type": kind} for index, kind in enumerate(types, start=1)]


def test_every_state_entered_counts_once_and_execution_events_do_not() -> None:
    history = _events(
        "ExecutionStarted",
        "TaskStateEntered",
        "LambdaFunctionScheduled",
        "LambdaFunctionSucceeded",
        "TaskStateExited",
        "ParallelStateEntered",
        "ChoiceStateEntered",
        "MapStateEntered",
        "MapIterationStarted",
        "PassStateEntered",
        "SucceedStateEntered",
        "ExecutionSucceeded",
    )
    total, retries, by_type = transitions(history)
    assert total == 6
    assert retries == 0
    assert by_type == {"Task": 1, "Parallel": 1, "Choice": 1, "Map": 1, "Pass": 1, "Succeed": 1}


def test_a_retried_task_adds_a_transition_per_attempt() -> None:
    history = _events(
        "TaskStateEntered",
        "LambdaFunctionScheduled",
        "LambdaFunctionFailed",
        "LambdaFunctionScheduled",
        "LambdaFunctionFailed",
        "LambdaFunctionScheduled",
        "LambdaFunctionSucceeded",
        "TaskStateExited",
    )
    total, retries, _ = transitions(history)
    assert retries == 2
    assert total == 3
