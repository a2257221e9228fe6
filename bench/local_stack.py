"""Helpers for benchmarks that drive the local stack (``scriba.local.cloud.LocalCloud``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.scale.inputs import walk_states
from scriba.aws.executions import execution_history as read_history
from scriba.local.cloud import LocalCloud

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions.type_defs import HistoryEventTypeDef


def distinct_copy(data: bytes, tag: str) -> bytes:
    """The PDF with a comment after its end: the same pages, other bytes. Inspect reuses the
    results of content it has seen succeed (by SHA-256), so a repeated run needs new bytes."""
    return data + f"\n% scriba benchmark copy {tag}\n".encode("ascii")


def function_id(cloud: LocalCloud, folder: str) -> str:
    """The template's logical id of the function whose code is ``functions/<folder>/``."""
    for logical_id, spec in cloud.stack.functions.items():
        if Path(spec.code_uri).name == folder:
            return logical_id
    raise KeyError(f"no function with CodeUri functions/{folder}/ in template.yaml")


def invoke(cloud: LocalCloud, function: str, payload: dict[str, Any]) -> Any:
    """Calls a function through the local stack's worker pool, as the state machine does."""
    output, error = cloud.invoke(function, json.dumps(payload).encode("utf-8"))
    response = json.loads(output or b"null")
    if error:
        raise RuntimeError(f"{function} failed: {response.get('errorType')}: {response}")
    return response


def state_definition(cloud: LocalCloud, name: str) -> dict[str, Any]:
    """A state of the deployed definition, wherever it is nested."""
    definition = json.loads(cloud.stack.state_machine.definition)
    for found, state in walk_states(definition["States"]):
        if found == name:
            return state
    raise KeyError(f"no state {name!r} in the state machine")


def execution_history(cloud: LocalCloud, execution_arn: str) -> list[HistoryEventTypeDef]:
    return read_history(cloud.sfn, execution_arn)
