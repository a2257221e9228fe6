"""The backfill state machine: a Distributed Map whose shape, limits, retries and permissions are
the ones the design says, read from statemachine/backfill.asl.json and template.yaml.

moto's ASL interpreter cannot run it (its parser knows no ItemBatcher and no MANIFEST reader), so
it is checked here structurally, and independently by asl-validator in scripts/check-iac.sh; the
generic checks (every Next, every path ends, retries bounded with jitter, known error names) run
on it in tests/unit/test_workflow_definition.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scriba import layout
from scriba.local.template import load_stack, read_template
from scriba.stages.backfill import BackfillBatch, BatchInput
from tests.iam import Permission, Role
from tests.unit.test_workflow_definition import LAMBDA_RETRIER, all_states

ROOT = Path(__file__).resolve().parents[2]
MAPS = ("BackfillListing", "BackfillInventory")


@pytest.fixture(scope="module")
def asl() -> dict[str, Any]:
    definition: dict[str, Any] = json.loads(
        (ROOT / "statemachine" / "backfill.asl.json").read_text()
    )
    return definition


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return read_template(ROOT / "template.yaml")


def test_the_input_chooses_a_listing_or_an_inventory_manifest(asl: dict[str, Any]) -> None:
    states = asl["States"]
    assert states[asl["StartAt"]]["Next"] == "Reader"
    reader = states["Reader"]
    assert reader["Type"] == "Choice"
    assert reader["Choices"] == [
        {"Variable": "$.inventory", "IsPresent": True, "Next": "BackfillInventory"}
    ]
    assert reader["Default"] == "BackfillListing"
    listing = states["BackfillListing"]["ItemReader"]
    assert listing["Resource"] == "arn:aws:states:::s3:listObjectsV2"
    assert listing["Parameters"] == {"Bucket.$": "$.bucket", "Prefix.$": "$.prefix"}
    assert "ReaderConfig" not in listing
    inventory = states["BackfillInventory"]["ItemReader"]
    assert inventory["Resource"] == "arn:aws:states:::s3:getObject"
    assert inventory["ReaderConfig"] == {"InputType": "MANIFEST"}
    assert inventory["Parameters"] == {
        "Bucket.$": "$.inventory.bucket",
        "Key.$": "$.inventory.key",
    }


@pytest.mark.parametrize("name", MAPS)
def test_each_map_is_distributed_batched_bounded_and_writes_its_results(
    asl: dict[str, Any], name: str
) -> None:
    state = asl["States"][name]
    assert state["Type"] == "Map"
    assert state["ItemProcessor"]["ProcessorConfig"] == {
        "Mode": "DISTRIBUTED",
        "ExecutionType": "EXPRESS",
    }
    batcher = state["ItemBatcher"]
    assert 1 <= batcher["MaxItemsPerBatch"] <= 100
    # A batch is the function's payload and an Express child's input: 256 KiB at most.
    assert batcher["MaxInputBytesPerBatch"] <= 256 * 1024
    # What the function reads of the batch input is exactly what the state machine adds.
    batch_input = {k.removesuffix(".$"): v for k, v in batcher["BatchInput"].items()}
    assert set(batch_input) <= set(BatchInput.model_fields)
    assert batch_input["reader"] == ("listing" if name == "BackfillListing" else "inventory")
    assert state["MaxConcurrencyPath"] == "$.limits.max_concurrency"
    assert state["ToleratedFailurePercentagePath"] == "$.limits.tolerated_failure_percentage"
    writer = state["ResultWriter"]
    assert writer["Resource"] == "arn:aws:states:::s3:putObject"
    assert writer["Parameters"] == {
        "Bucket": "${OutputBucketName}",
        "Prefix": layout.BACKFILL_PREFIX,
    }
    # The Map's own output is the ResultWriter's small summary, kept beside the input.
    assert state["ResultPath"] == "$.map_run" and state["End"] is True


def test_both_maps_process_batches_the_same_way(asl: dict[str, Any]) -> None:
    listing, inventory = (asl["States"][name] for name in MAPS)
    # State names are unique in a whole definition: the two tasks differ in name only.
    assert listing["ItemProcessor"]["StartAt"] == "QueueListedBatch"
    assert inventory["ItemProcessor"]["StartAt"] == "QueueInventoriedBatch"
    assert json.dumps(listing["ItemProcessor"]).replace("QueueListedBatch", "Q") == json.dumps(
        inventory["ItemProcessor"]
    ).replace("QueueInventoriedBatch", "Q")
    differs = {"ItemReader", "ItemBatcher", "ItemProcessor", "Comment"}
    assert {k: v for k, v in listing.items() if k not in differs} == {
        k: v for k, v in inventory.items() if k not in differs
    }


def test_limits_come_from_the_template_parameters_through_definition_substitutions(
    asl: dict[str, Any], template: dict[str, Any]
) -> None:
    limits = asl["States"]["Limits"]
    assert limits["Type"] == "Pass" and limits["ResultPath"] == "$.limits"
    tolerated_path = "States.StringToJson('${BackfillToleratedFailurePercent}')"
    assert limits["Parameters"] == {
        "max_concurrency.$": "States.StringToJson('${BackfillConcurrency}')",
        "tolerated_failure_percentage.$": tolerated_path,
    }
    machine = template["Resources"]["BackfillStateMachine"]["Properties"]
    substitutions = machine["DefinitionSubstitutions"]
    assert substitutions["BackfillConcurrency"] == {"Ref": "BackfillConcurrency"}
    assert substitutions["BackfillToleratedFailurePercent"] == {
        "Ref": "BackfillToleratedFailurePercent"
    }
    assert substitutions["OutputBucketName"] == {"Ref": "OutputBucket"}
    assert substitutions["BackfillFunctionArn"] == {"Fn::GetAtt": ["BackfillFunction", "Arn"]}
    parameters = template["Parameters"]
    concurrency = parameters["BackfillConcurrency"]
    assert concurrency["Type"] == "Number" and concurrency["MinValue"] >= 1
    assert concurrency["MinValue"] <= concurrency["Default"] <= concurrency["MaxValue"] <= 10_000
    tolerated = parameters["BackfillToleratedFailurePercent"]
    assert (tolerated["MinValue"], tolerated["MaxValue"]) == (0, 100)
    # Resolved, as SAM substitutes them: JSON numbers for the Map to read by path.
    resolved = json.loads(load_stack(ROOT).state_machines["BackfillStateMachine"].definition)
    assert resolved["States"]["Limits"]["Parameters"] == {
        "max_concurrency.$": f"States.StringToJson('{concurrency['Default']}')",
        "tolerated_failure_percentage.$": f"States.StringToJson('{tolerated['Default']}')",
    }
    overridden = load_stack(ROOT, {"BackfillConcurrency": 40}).state_machines[
        "BackfillStateMachine"
    ]
    assert "States.StringToJson('40')" in overridden.definition


def pipeline_retries() -> list[dict[str, Any]]:
    pipeline = json.loads((ROOT / "statemachine" / "pipeline.asl.json").read_text())
    return [dict(all_states(pipeline))["Inspect"]["Retry"]][0]  # type: ignore[no-any-return]


def test_the_batch_task_retries_as_the_pipelines_tasks_do(asl: dict[str, Any]) -> None:
    tasks = [(name, state) for name, state in all_states(asl) if state["Type"] == "Task"]
    assert [name for name, _ in tasks] == ["QueueListedBatch", "QueueInventoriedBatch"]
    standard = pipeline_retries()
    for _, task in tasks:
        assert task["Resource"] == "arn:aws:states:::lambda:invoke"
        assert task["Parameters"] == {"FunctionName": "${BackfillFunctionArn}", "Payload.$": "$"}
        # The same errors in the same groups, with full jitter, as the pipeline's stage tasks.
        assert [r["ErrorEquals"] for r in task["Retry"]] == [r["ErrorEquals"] for r in standard]
        retried = {error for retry in task["Retry"] for error in retry["ErrorEquals"]}
        assert retried >= LAMBDA_RETRIER and {"Throttled", "TransientServiceError"} <= retried
        assert all(r["JitterStrategy"] == "FULL" for r in task["Retry"])
        # The Express child must finish within its 5 minutes: the function's timeout, the
        # state's, and every retry's waits together stay well inside.
        stack = load_stack(ROOT)
        timeout = stack.functions["BackfillFunction"].timeout
        assert timeout <= task["TimeoutSeconds"] <= timeout + 120
        assert sum(r["MaxDelaySeconds"] for r in task["Retry"]) <= 120
        # Counts only leave the child: the Map Run's results stay small.
        assert task["ResultSelector"] == {"summary.$": "$.Payload"}
        assert task["OutputPath"] == "$.summary"


def test_the_function_reads_the_batches_the_maps_make(asl: dict[str, Any]) -> None:
    for name in MAPS:
        batcher = asl["States"][name]["ItemBatcher"]
        batch_input = {k.removesuffix(".$"): v for k, v in batcher["BatchInput"].items()}
        batch_input["execution"] = "arn:aws:states:us-east-1:123456789012:execution:b:1"
        batch = BackfillBatch.model_validate({"Items": [{"Key": "k"}], "BatchInput": batch_input})
        assert batch.items[0].key == "k"


def test_the_backfill_role_allows_what_the_map_does_and_no_more() -> None:
    stack = load_stack(ROOT, {"BackfillInventoryBucket": "inventories"})
    machine = stack.state_machines["BackfillStateMachine"]
    role_id = stack.resources["BackfillStateMachine"]["Properties"]["Role"]["Fn::GetAtt"][0]
    policies = stack.resolve(stack.resources[role_id]["Properties"]["Policies"])
    role = Role(role_id, [s for p in policies for s in p["PolicyDocument"]["Statement"]])
    executions = machine.arn.replace(":stateMachine:", ":execution:")
    function = stack.functions["BackfillFunction"].arn
    output, source = stack.output_bucket, stack.input_bucket
    allowed = [
        Permission("s3:ListBucket", f"arn:aws:s3:::{source}", {"s3:prefix": "inbox/"}),
        Permission(
            "s3:GetObject", "arn:aws:s3:::inventories/in/config/2026-12-01T01-00Z/manifest.json"
        ),
        Permission("states:StartExecution", machine.arn),
        Permission("states:DescribeExecution", f"{executions}/backfill:0b6c6c4e"),
        Permission("states:StopExecution", f"{executions}/backfill:0b6c6c4e"),
        Permission("lambda:InvokeFunction", function),
        Permission("s3:PutObject", f"arn:aws:s3:::{output}/backfill/0b6c/manifest.json"),
        Permission(
            "s3:AbortMultipartUpload", f"arn:aws:s3:::{output}/backfill/0b6c/SUCCEEDED_0.json"
        ),
    ]
    for permission in allowed:
        assert role.allows(permission), permission
    pipeline = stack.state_machine.arn
    refused = [
        Permission("s3:GetObject", f"arn:aws:s3:::{source}/inbox/a.pdf"),
        Permission("s3:PutObject", f"arn:aws:s3:::{output}/documents/a.pdf/manifest.json"),
        Permission("states:StartExecution", pipeline),
        Permission(
            "states:StopExecution", pipeline.replace(":stateMachine:", ":execution:") + ":x"
        ),
        Permission("lambda:InvokeFunction", stack.functions["ExtractFunction"].arn),
        Permission(
            "sqs:SendMessage",
            f"arn:aws:sqs:us-east-1:123456789012:{stack.queues['StartQueue'].name}",
        ),
    ]
    for permission in refused:
        assert not role.allows(permission), permission
    # Without an inventory bucket the role reads no inventory.
    plain = load_stack(ROOT)
    policies = plain.resolve(plain.resources[role_id]["Properties"]["Policies"])
    assert not any(
        s.get("Sid") == "ReadInventoryReports"
        for p in policies
        for s in p["PolicyDocument"]["Statement"]
    )


def test_the_backfill_state_machine_is_named_for_its_role_standard_logged_and_traced(
    template: dict[str, Any],
) -> None:
    resources = template["Resources"]
    machine = resources["BackfillStateMachine"]["Properties"]
    assert machine["Type"] == "STANDARD"  # a Distributed Map's parent (its children: Express)
    assert machine["Tracing"] == {"Enabled": True}
    assert machine["Logging"]["IncludeExecutionData"] is False
    (destination,) = machine["Logging"]["Destinations"]
    group = destination["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0]
    assert group != "PipelineLogGroup"
    assert resources[group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert machine["Name"]["Fn::Sub"][0] == "backfill-${StackUuid}"
    outputs = template["Outputs"]
    assert outputs["BackfillStateMachineArn"]["Value"] == {"Ref": "BackfillStateMachine"}
