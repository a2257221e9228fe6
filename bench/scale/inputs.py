"""The simulation's inputs, read from the definitions that are deployed: nothing is copied here.

``statemachine/pipeline.asl.json`` (through ``scriba.local.template.load_stack``, which applies
the template's ``DefinitionSubstitutions``) gives every state: its type, each Task's function,
``Retry`` policies, ``Catch`` targets and ``TimeoutSeconds``, the Maps' ``MaxConcurrency``, the
Wait of the Textract poll loop and the execution's own ``TimeoutSeconds``. ``template.yaml``
gives the parameters with their defaults (or ``--param`` overrides), the starter's SQS event
source (``BatchSize``, ``MaximumConcurrency``), the admitter's schedule and reserved concurrency,
and every function's ``MemorySize``, ``Timeout`` and reserved concurrency. The Textract poll
schedule is the extract stage's own (``scriba.stages.extract.ocr.next_wait``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scriba.local.template import LocalStack, load_stack

ROOT = Path(__file__).resolve().parents[2]

# The parameters the model reads (each is a template parameter; a test checks they exist).
PARAMETERS = (
    "StartConcurrency",
    "MaxDocumentsInFlight",
    "TextractConcurrency",
    "RekognitionConcurrency",
    "BedrockConcurrency",
    "TranslateConcurrency",
    "PollyConcurrency",
    "BackfillConcurrency",
    "TargetLanguages",
    "MaxImages",
    "SummarySentences",
    "BedrockModelId",
)
# Which function's reserved concurrency each concurrency parameter sets (read from the template:
# the function whose ReservedConcurrentExecutions refers to the parameter).
CONCURRENCY_PARAMETERS = (
    "TextractConcurrency",
    "RekognitionConcurrency",
    "BedrockConcurrency",
    "TranslateConcurrency",
    "PollyConcurrency",
)


@dataclass(frozen=True)
class Retrier:
    """One ``Retry`` entry of a Task."""

    errors: tuple[str, ...]
    interval: float
    max_attempts: int
    backoff: float
    max_delay: float | None
    jitter: str  # "FULL" or "NONE"

    def matches(self, error: str) -> bool:
        return error in self.errors or "States.ALL" in self.errors

    def delay(self, retry: int, uniform: float) -> float:
        """Seconds before retry number ``retry`` (1-based); ``uniform`` in [0, 1) for jitter."""
        base = self.interval * self.backoff ** (retry - 1)
        if self.max_delay is not None:
            base = min(base, self.max_delay)
        return base * uniform if self.jitter == "FULL" else base


@dataclass(frozen=True)
class TaskSpec:
    name: str
    function: str  # logical id of the Lambda function
    action: str | None  # the "action" parameter, for the extract and summarize functions
    timeout: float | None
    retry: tuple[Retrier, ...]
    catch: tuple[tuple[tuple[str, ...], str], ...]  # (ErrorEquals, Next)

    def retrier(self, error: str) -> Retrier | None:
        return next((r for r in self.retry if r.matches(error)), None)

    def caught(self, error: str) -> str | None:
        for errors, target in self.catch:
            if error in errors or "States.ALL" in errors:
                return target
        return None


@dataclass(frozen=True)
class FunctionSpec:
    memory_mb: int
    timeout: float
    reserved: int | None  # reserved concurrency, None when unreserved


@dataclass
class ModelInputs:
    """Everything the simulation takes from the definitions."""

    tasks: dict[str, TaskSpec]
    states: dict[str, dict[str, Any]]  # every state by name (nested ones too), as in the ASL
    map_concurrency: dict[str, int]
    catches: dict[str, tuple[tuple[tuple[str, ...], str], ...]]  # every state with a Catch
    execution_timeout: float
    poll_wait_state: str  # the Wait of the Textract poll loop
    functions: dict[str, FunctionSpec]
    parameters: dict[str, Any]
    start_batch_size: int
    start_max_concurrency: int
    admit_tick_seconds: float
    admit_concurrency: int
    backfill_batch_items: int
    backfill_concurrency: int
    backfill_retry: tuple[Retrier, ...]
    backfill_task_timeout: float | None
    concurrency_functions: dict[str, str] = field(default_factory=dict)  # parameter -> function

    @property
    def max_in_flight(self) -> int:
        return int(self.parameters["MaxDocumentsInFlight"])

    @property
    def languages(self) -> list[str]:
        value = self.parameters["TargetLanguages"]
        return list(value) if isinstance(value, list) else str(value).split(",")

    def task_using(self, function: str, action: str | None = None) -> TaskSpec:
        """The first Task (in definition order) backed by ``function`` with ``action``."""
        for task in self.tasks.values():
            if task.function == function and (action is None or task.action == action):
                return task
        raise KeyError(f"no Task runs {function} {action or ''}".strip())


def _retriers(entries: list[dict[str, Any]]) -> tuple[Retrier, ...]:
    return tuple(
        Retrier(
            errors=tuple(entry["ErrorEquals"]),
            interval=float(entry.get("IntervalSeconds", 1)),
            max_attempts=int(entry.get("MaxAttempts", 3)),
            backoff=float(entry.get("BackoffRate", 2.0)),
            max_delay=float(entry["MaxDelaySeconds"]) if "MaxDelaySeconds" in entry else None,
            jitter=str(entry.get("JitterStrategy", "NONE")),
        )
        for entry in entries
    )


def _catchers(entries: list[dict[str, Any]]) -> tuple[tuple[tuple[str, ...], str], ...]:
    return tuple((tuple(entry["ErrorEquals"]), str(entry["Next"])) for entry in entries)


def walk_states(states: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every state, nested ones (Parallel branches, Map processors) included."""
    for name, state in states.items():
        yield name, state
        for branch in state.get("Branches", []):
            yield from walk_states(branch["States"])
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from walk_states(processor["States"])


def _function_of(resource: str, parameters: Mapping[str, Any]) -> str:
    """The function logical id a Task's Resource (or lambda:invoke FunctionName) names."""
    target = str(parameters.get("FunctionName", resource))
    return target.rsplit(":", 1)[-1]


def _tasks(states: Mapping[str, Any]) -> dict[str, TaskSpec]:
    tasks = {}
    for name, state in walk_states(states):
        if state.get("Type") != "Task":
            continue
        parameters = state.get("Parameters", {})
        tasks[name] = TaskSpec(
            name=name,
            function=_function_of(state["Resource"], parameters),
            action=parameters.get("action"),
            timeout=float(state["TimeoutSeconds"]) if "TimeoutSeconds" in state else None,
            retry=_retriers(state.get("Retry", [])),
            catch=_catchers(state.get("Catch", [])),
        )
    return tasks


def _reserved(stack: LocalStack, logical_id: str) -> int | None:
    props = stack.resources[logical_id].get("Properties", {}) or {}
    value = stack.resolve(props.get("ReservedConcurrentExecutions"))
    return int(value) if value not in (None, "") else None


def _concurrency_functions(stack: LocalStack) -> dict[str, str]:
    """Which function each concurrency parameter reserves (the one whose
    ReservedConcurrentExecutions names it)."""
    found = {}
    for logical_id, resource in stack.resources.items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        text = json.dumps((resource.get("Properties") or {}).get("ReservedConcurrentExecutions"))
        for parameter in CONCURRENCY_PARAMETERS:
            if f'"{parameter}"' in text:
                found[parameter] = logical_id
    return found


def _rate_seconds(expression: str) -> float:
    found = re.fullmatch(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)", expression)
    if not found:
        raise ValueError(f"not a rate() schedule: {expression}")
    unit = {"minute": 60, "hour": 3600, "day": 86400}[found.group(2).rstrip("s")]
    return float(int(found.group(1)) * unit)


def _poll_wait(states: Mapping[str, Any], tasks: Mapping[str, TaskSpec]) -> str:
    """The Wait state that precedes the poll of the OCR job (the Task with action check_job)."""
    check = next(name for name, task in tasks.items() if task.action == "check_job")
    for name, state in walk_states(states):
        if state.get("Type") == "Wait" and state.get("Next") == check:
            return name
    raise ValueError("no Wait state before the OCR job's poll")


def _start_source(stack: LocalStack) -> tuple[int, int]:
    props = stack.resources["StartFunction"]["Properties"]
    for event in props.get("Events", {}).values():
        if event.get("Type") == "SQS":
            resolved = stack.resolve(event["Properties"])
            return int(resolved.get("BatchSize", 10)), int(
                resolved.get("ScalingConfig", {}).get("MaximumConcurrency", 1000)
            )
    raise ValueError("the start function has no SQS event source")


def _admit(stack: LocalStack) -> tuple[float, int]:
    props = stack.resources["AdmitFunction"]["Properties"]
    tick = next(
        event for event in props.get("Events", {}).values() if event.get("Type") == "Schedule"
    )
    seconds = _rate_seconds(str(stack.resolve(tick["Properties"]["Schedule"])))
    return seconds, _reserved(stack, "AdmitFunction") or 1000


def _backfill(stack: LocalStack) -> tuple[int, tuple[Retrier, ...], float | None]:
    definition = json.loads(stack.state_machines["BackfillStateMachine"].definition)
    for _, state in walk_states(definition["States"]):
        if state.get("Type") == "Map" and "ItemBatcher" in state:
            items = int(state["ItemBatcher"]["MaxItemsPerBatch"])
            (task,) = (
                inner
                for _, inner in walk_states(state["ItemProcessor"]["States"])
                if inner.get("Type") == "Task"
            )
            timeout = task.get("TimeoutSeconds")
            return items, _retriers(task.get("Retry", [])), timeout
    raise ValueError("the backfill has no batched Map")


def read_inputs(root: Path = ROOT, parameters: Mapping[str, Any] | None = None) -> ModelInputs:
    """The model's inputs from ``root``'s template and state machines, with ``parameters``
    overriding the template's defaults."""
    stack = load_stack(root, dict(parameters or {}))
    definition = json.loads(stack.state_machine.definition)
    states = dict(walk_states(definition["States"]))
    tasks = _tasks(definition["States"])
    batch_size, start_concurrency = _start_source(stack)
    tick, admit_concurrency = _admit(stack)
    items, backfill_retry, backfill_timeout = _backfill(stack)
    return ModelInputs(
        tasks=tasks,
        states=states,
        map_concurrency={
            name: int(state.get("MaxConcurrency", 0))
            for name, state in states.items()
            if state.get("Type") == "Map"
        },
        catches={
            name: _catchers(state["Catch"]) for name, state in states.items() if "Catch" in state
        },
        execution_timeout=float(definition.get("TimeoutSeconds", 31_536_000)),
        poll_wait_state=_poll_wait(definition["States"], tasks),
        functions={
            name: FunctionSpec(spec.memory, float(spec.timeout), _reserved(stack, name))
            for name, spec in stack.functions.items()
        },
        parameters={name: stack.parameters[name] for name in PARAMETERS},
        start_batch_size=batch_size,
        start_max_concurrency=start_concurrency,
        admit_tick_seconds=tick,
        admit_concurrency=admit_concurrency,
        backfill_batch_items=items,
        backfill_concurrency=int(stack.parameters["BackfillConcurrency"]),
        backfill_retry=backfill_retry,
        backfill_task_timeout=float(backfill_timeout) if backfill_timeout else None,
        concurrency_functions=_concurrency_functions(stack),
    )
