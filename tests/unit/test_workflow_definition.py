"""The state machine definitions and the template agree, and the definitions are sound.

The structural checks run on every definition in statemachine/ (the pipeline and the backfill);
the rest are the pipeline's. tests/unit/test_backfill_definition.py has the backfill's own."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scriba.errors import ERROR_TYPES, RETRYABLE_ERROR_NAMES
from scriba.local.template import load_stack, read_template

ROOT = Path(__file__).resolve().parents[2]
ASL_PATH = ROOT / "statemachine" / "pipeline.asl.json"
DEFINITIONS = sorted((ROOT / "statemachine").glob("*.asl.json"))

# AWS's recommended retrier for a Lambda task (Step Functions developer guide, "Handling
# transient Lambda service exceptions"): the errors of the invocation itself, not the function's.
LAMBDA_RETRIER = frozenset(
    {
        "Lambda.ServiceException",
        "Lambda.AWSLambdaException",
        "Lambda.SdkClientException",
        "Lambda.TooManyRequestsException",
        "Lambda.ClientExecutionTimeoutException",
    }
)


@pytest.fixture(scope="module")
def asl() -> dict[str, Any]:
    definition: dict[str, Any] = json.loads(ASL_PATH.read_text())
    return definition


@pytest.fixture(scope="module", params=DEFINITIONS, ids=[path.name for path in DEFINITIONS])
def any_asl(request: pytest.FixtureRequest) -> dict[str, Any]:
    definition: dict[str, Any] = json.loads(request.param.read_text())
    return definition


def test_both_definitions_are_checked() -> None:
    assert {path.name for path in DEFINITIONS} >= {"pipeline.asl.json", "backfill.asl.json"}


def state_sets(definition: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every {StartAt, States} block: the top level, Parallel branches, Map processors."""
    yield definition
    for state in definition["States"].values():
        for branch in state.get("Branches", []):
            yield from state_sets(branch)
        if "ItemProcessor" in state:
            yield from state_sets(state["ItemProcessor"])


def all_states(definition: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for block in state_sets(definition):
        yield from block["States"].items()


def test_every_next_names_a_state_and_every_state_is_reachable(any_asl: dict[str, Any]) -> None:
    # moto accepts a Next that names a missing state, so check it here.
    for block in state_sets(any_asl):
        states = block["States"]
        targets: dict[str, set[str]] = {}
        for name, state in states.items():
            nexts = {state["Next"]} if "Next" in state else set()
            nexts |= {choice["Next"] for choice in state.get("Choices", [])}
            if "Default" in state:
                nexts.add(state["Default"])
            nexts |= {catch["Next"] for catch in state.get("Catch", [])}
            missing = nexts - set(states)
            assert not missing, f"{name} goes to missing states {missing}"
            targets[name] = nexts
        seen, todo = set(), [block["StartAt"]]
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo.extend(targets[name])
        assert seen == set(states), f"unreachable: {set(states) - seen}"


def test_every_path_ends(any_asl: dict[str, Any]) -> None:
    for name, state in all_states(any_asl):
        terminal = state["Type"] in ("Succeed", "Fail") or state.get("End") is True
        assert terminal or "Next" in state or state["Type"] == "Choice", name


def test_every_task_retries_throttling_and_catches_or_is_inside_a_caught_block(
    any_asl: dict[str, Any],
) -> None:
    for name, state in all_states(any_asl):
        if state["Type"] != "Task":
            continue
        retried = {error for retry in state.get("Retry", []) for error in retry["ErrorEquals"]}
        assert set(RETRYABLE_ERROR_NAMES) <= retried, (
            f"{name} does not retry {RETRYABLE_ERROR_NAMES}"
        )
        for retry in state["Retry"]:
            assert retry["MaxAttempts"] <= 10, f"{name}: unbounded retries"
            assert retry.get("JitterStrategy") == "FULL", f"{name}: retries without jitter"
            assert "MaxDelaySeconds" in retry
        assert 0 < state["TimeoutSeconds"] <= 960, f"{name}: every wait has a timeout"


def invokes_lambda(state: dict[str, Any]) -> bool:
    resource = str(state.get("Resource", ""))
    return (
        resource.endswith("FunctionArn}")
        or ":lambda:" in resource
        or resource.startswith("arn:aws:states:::lambda:invoke")
    )


def test_every_lambda_task_retries_the_whole_recommended_lambda_retrier(
    asl: dict[str, Any],
) -> None:
    lambda_tasks = [
        (name, state)
        for name, state in all_states(asl)
        if state["Type"] == "Task" and invokes_lambda(state)
    ]
    assert len(lambda_tasks) >= 10  # every stage task of the workflow, nested ones included
    for name, state in lambda_tasks:
        retried = {error for retry in state.get("Retry", []) for error in retry["ErrorEquals"]}
        missing = set() if "States.ALL" in retried else LAMBDA_RETRIER - retried
        assert not missing, f"{name} does not retry {sorted(missing)}"


def test_retry_and_catch_names_are_real_error_types(any_asl: dict[str, Any]) -> None:
    for name, state in all_states(any_asl):
        for rule in state.get("Retry", []) + state.get("Catch", []):
            for error in rule["ErrorEquals"]:
                known = error in ERROR_TYPES or error.startswith(("States.", "Lambda."))
                assert known, f"{name} matches unknown error {error}"


def test_the_execution_has_a_timeout(asl: dict[str, Any]) -> None:
    assert 0 < asl["TimeoutSeconds"] <= 24 * 3600


def test_the_ocr_job_wait_loop_is_bounded_by_a_failing_poll(asl: dict[str, Any]) -> None:
    states = dict(all_states(asl))
    from scriba.stages.extract.actions import OcrJob

    assert states["WaitForOcrJob"]["Next"] == "CheckOcrJob"
    # Each poll says how long to wait before the next; the start's answer says the first.
    assert states["WaitForOcrJob"]["SecondsPath"] == "$.job.wait_seconds"
    assert states["StartOcrJob"]["ResultPath"] == states["CheckOcrJob"]["ResultPath"] == "$.job"
    assert "wait_seconds" in OcrJob.model_fields
    # check_job raises OcrJobTimedOut once the job's wait budget is spent
    # (tests/unit/test_ocr_job_wait.py).


def test_the_ocr_job_start_gets_the_attempt_its_token_is_made_of(asl: dict[str, Any]) -> None:
    # The token must change with a redrive ($$.Execution.RedriveCount, absent from moto's
    # context object: the whole $$.Execution is passed and RedriveCount read from it if there)
    # and must not change with the state's own retries ($$.State.RetryCount is not passed).
    from scriba.stages.extract.actions import StartOcrJobRequest

    parameters = dict(all_states(asl))["StartOcrJob"]["Parameters"]
    assert parameters["execution_context.$"] == "$$.Execution"
    assert "$$.State.RetryCount" not in json.dumps(parameters)
    fields = {name.removesuffix(".$") for name in parameters}
    assert fields <= set(StartOcrJobRequest.model_fields)


def test_definition_parses_with_the_interpreter_that_runs_it_locally() -> None:
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    stack = load_stack(ROOT)
    program, _ = AmazonStateLanguageParser.parse(stack.state_machine.definition)
    assert program is not None


def test_every_substitution_is_defined_by_the_template() -> None:
    template = read_template(ROOT / "template.yaml")
    machines = {
        r["Properties"]["DefinitionUri"]: r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Serverless::StateMachine"
    }
    assert set(machines) == {f"statemachine/{path.name}" for path in DEFINITIONS}
    for uri, machine in machines.items():
        placeholders = set(re.findall(r"\$\{(\w+)\}", (ROOT / uri).read_text()))
        assert placeholders == set(machine["DefinitionSubstitutions"]), uri
    stack = load_stack(ROOT)
    assert stack.state_machine.logical_id == "PipelineStateMachine"  # the one the starter starts
    for spec in stack.state_machines.values():
        assert "${" not in spec.definition, spec.logical_id


def test_task_timeouts_are_not_shorter_than_the_functions(asl: dict[str, Any]) -> None:
    stack = load_stack(ROOT)
    for name, state in all_states(asl):
        if state["Type"] != "Task":
            continue
        logical_id = state["Resource"].removeprefix("${").removesuffix("Arn}")
        function = stack.functions[logical_id]
        # The function times out first, with its own error; the state's timeout is the backstop.
        assert function.timeout <= state["TimeoutSeconds"] <= function.timeout + 120, name
        assert function.timeout <= 900, f"{logical_id}: Lambda allows at most 900 s"


def test_every_function_has_a_handler_file() -> None:
    stack = load_stack(ROOT)
    for function in stack.functions.values():
        module, _ = function.handler.rsplit(".", 1)
        assert (function.code_uri / f"{module}.py").is_file(), function.logical_id


def test_functions_share_one_environment_locally() -> None:
    from scriba.local.cloud import LocalCloud

    environment = LocalCloud(ROOT, workers=0).function_environment()
    assert environment["SCRIBA_ENGINES"] == "local"
    assert environment["SCRIBA_OUTPUT_BUCKET"] == "scriba-output"
