"""AWS's limits in the local stack: the 256 KiB state limit where moto lacks it, terminal as on
AWS, and the measurements of a run (scriba.local.limits)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from scriba.local.limits import (
    STATE_PAYLOAD_BYTES,
    FunctionUse,
    LimitsMeter,
    LimitsReport,
    Measured,
    StateLimits,
    StatePayload,
    measured,
    payload_size,
)
from scriba.local.server import ProcessChanges

ROLE = "arn:aws:iam::123456789012:role/pipeline"
ITEM_BYTES = 4000


def _map_definition(items: int, *, caught: bool) -> dict[str, Any]:
    """A Map whose iterations each return their whole input (a 4 KB blob), its result thrown
    away by ``ResultPath: null``: the shape of a Map that grows with the square of a document."""
    fan_out: dict[str, Any] = {
        "Type": "Map",
        "ItemsPath": "$.items",
        "ItemSelector": {"blob.$": "$.blob", "item.$": "$$.Map.Item.Value"},
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "INLINE"},
            "StartAt": "Work",
            "States": {"Work": {"Type": "Pass", "End": True}},
        },
        "ResultPath": None,
        "Next": "Done",
    }
    if caught:
        fan_out["Catch"] = [
            {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Recovered"}
        ]
    return {
        "StartAt": "FanOut",
        "States": {
            "FanOut": fan_out,
            "Recovered": {"Type": "Pass", "End": True},
            "Done": {"Type": "Succeed"},
        },
    }


@pytest.fixture
def interpreter(mocked_aws: None) -> Iterator[LimitsMeter]:
    """moto's interpreter running executions, with the limits installed."""
    changes = ProcessChanges()
    changes.execute_state_machines()
    meter = LimitsMeter({})
    limits = StateLimits(meter)
    limits.install()
    try:
        yield meter
    finally:
        limits.uninstall()
        changes.undo()


def _execute(definition: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    arn = sfn.create_state_machine(
        name=f"limits-{time.monotonic_ns()}", definition=json.dumps(definition), roleArn=ROLE
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps(payload))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        if described["status"] != "RUNNING":
            return dict(described)
        time.sleep(0.05)
    raise AssertionError("the execution did not end")


def _payload(items: int) -> dict[str, Any]:
    return {"items": list(range(items)), "blob": "x" * ITEM_BYTES}


def test_a_map_result_over_256_kib_fails_the_execution_even_when_thrown_away(
    interpreter: LimitsMeter,
) -> None:
    # 80 iterations of ~4 KB: ~320 KB of Map result, though ResultPath null discards it.
    described = _execute(_map_definition(80, caught=False), _payload(80))
    assert described["status"] == "FAILED"
    assert described["error"] == "States.DataLimitExceeded"
    report = interpreter.report()
    assert any("FanOut: Map result" in crossing for crossing in report.exceeded)
    (result,) = [s for s in report.states if s.state == "FanOut" and s.what == "Map result"]
    assert result.largest_bytes > STATE_PAYLOAD_BYTES


def test_states_all_does_not_catch_the_data_limit(interpreter: LimitsMeter) -> None:
    described = _execute(_map_definition(80, caught=True), _payload(80))
    assert described["status"] == "FAILED"  # not "Recovered": the error is terminal on AWS
    assert described["error"] == "States.DataLimitExceeded"


def test_a_map_result_under_the_limit_goes_through_and_is_measured(
    interpreter: LimitsMeter,
) -> None:
    described = _execute(_map_definition(20, caught=False), _payload(20))
    assert described["status"] == "SUCCEEDED"
    report = interpreter.report()
    assert report.exceeded == []
    (result,) = [s for s in report.states if s.state == "FanOut" and s.what == "Map result"]
    assert 20 * ITEM_BYTES < result.largest_bytes < 21 * (ITEM_BYTES + 100)


def test_uninstall_puts_moto_back(mocked_aws: None) -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_map import state_map

    before = state_map.StateMap.__dict__["_eval_execution"]
    limits = StateLimits(LimitsMeter({}))
    limits.install()
    assert state_map.StateMap.__dict__["_eval_execution"] is not before
    limits.uninstall()
    assert state_map.StateMap.__dict__["_eval_execution"] is before


def test_payload_size_counts_utf8_json_bytes() -> None:
    assert payload_size({"a": "é"}) == len('{"a":"é"}'.encode())
    assert payload_size("ü") == 2


def test_measured_sees_the_memory_a_block_needs() -> None:
    with measured(per_process=True) as seen:
        block = bytearray(150 * 1024 * 1024)
        block[::4096] = b"x" * len(block[::4096])  # touch every page: resident, not reserved
    del block
    (found,) = seen
    assert found.peak_mb is not None and found.peak_mb > 150
    with measured(per_process=True) as again:
        pass
    assert again[0].peak_mb is not None and again[0].peak_mb < found.peak_mb - 100
    with measured(per_process=False) as threads:
        pass
    assert threads[0].peak_mb is None  # threads of one process cannot tell their own


def test_the_report_names_what_passed_half_a_limit() -> None:
    meter = LimitsMeter({"Summarize": (600, 1024), "Tag": (600, 2048)})
    meter.invocation("Summarize", Measured(seconds=420.0, peak_mb=300.0), 2_000, 900)
    meter.invocation("Summarize", Measured(seconds=12.0, peak_mb=700.0), 2_000, 900)
    meter.invocation("Tag", Measured(seconds=5.0, peak_mb=None), 2_000, 900)
    meter.state("Analyze", "Parallel result", 200 * 1024)
    report = meter.report()
    summarize = next(u for u in report.functions if u.function == "Summarize")
    assert (summarize.invocations, summarize.longest_seconds, summarize.peak_mb) == (2, 420, 700)
    assert report.uncomfortable() == [
        "Summarize took 70% of its timeout",
        "Summarize needed 68% of its memory",
        "state Analyze (Parallel result) reached 78% of 256 KiB",
    ]
    assert any("Tag: 1 call(s)" in line and "not measured" in line for line in report.margins())


def test_the_report_is_json_for_scripts() -> None:
    report = LimitsReport(
        functions=[FunctionUse(function="Tag", timeout_seconds=600, memory_mb=2048)],
        states=[StatePayload(state="Inspect", what="output", largest_bytes=10)],
    )
    assert LimitsReport.model_validate_json(report.model_dump_json()) == report
