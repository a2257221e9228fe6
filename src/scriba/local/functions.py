"""Runs the Lambda handlers of ``functions/`` locally, as the Lambda runtime would.

A handler is loaded from its file (``CodeUri`` + ``Handler`` in the template), called with the
event and a context object, and its result or exception is turned into what the Lambda Invoke API
returns: a JSON payload, with ``FunctionError`` and ``errorType`` / ``errorMessage`` on failure.
The ``errorType`` is the exception's class name, which is what the state machine's Retry and Catch
match, exactly as on AWS.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import sys
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from scriba.local.limits import Measured, measured
from scriba.local.template import function_arn

_modules: dict[str, ModuleType] = {}

# The function whose handler runs in this thread: in-process mode runs several at once, and
# AWS_LAMBDA_FUNCTION_NAME is one per process (tests attribute each AWS call they see by this).
running_function: ContextVar[str | None] = ContextVar("running_function", default=None)


@dataclass
class LocalContext:
    """The parts of the Lambda context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    timeout: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = "local"
    log_stream_name: str = "local"
    started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return function_arn(self.function_name)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout - (time.monotonic() - self.started)) * 1000))


def load_handler(code_uri: str, handler: str) -> Callable[[Any, Any], Any]:
    """The handler function named ``module.function`` inside ``code_uri``, imported once."""
    module_name, function = handler.rsplit(".", 1)
    path = Path(code_uri) / (module_name.replace(".", "/") + ".py")
    key = str(path.resolve())
    if key not in _modules:
        unique = f"scriba_function_{Path(code_uri).name}_{module_name.replace('.', '_')}"
        spec = importlib.util.spec_from_file_location(unique, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load handler {handler} from {code_uri}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _modules[key] = module
    found: Callable[[Any, Any], Any] = getattr(_modules[key], function)
    return found


def error_payload(error: BaseException) -> dict[str, Any]:
    return {
        "errorType": type(error).__name__,
        "errorMessage": str(error),
        "stackTrace": traceback.format_exception(error)[-8:],
    }


def invoke(
    function_name: str,
    code_uri: str,
    handler: str,
    timeout: int,
    memory: int,
    payload: bytes,
    per_process: bool = False,
) -> tuple[bytes, str | None, Measured]:
    """Calls a handler; returns the response payload, the FunctionError (None on success) and
    how long it took and the memory it needed (when it runs alone in its process)."""
    context = LocalContext(function_name=function_name, memory_limit_in_mb=memory, timeout=timeout)
    os.environ["AWS_LAMBDA_FUNCTION_NAME"] = function_name
    running = running_function.set(function_name)
    try:
        with measured(per_process) as seen:
            try:
                event = json.loads(payload) if payload else {}
                result = load_handler(code_uri, handler)(event, context)
                output, error = json.dumps(result).encode("utf-8"), None
            except Exception as failure:  # the Lambda runtime reports every exception alike
                output, error = json.dumps(error_payload(failure)).encode("utf-8"), "Unhandled"
        return output, error, seen[0]
    finally:
        running_function.reset(running)


def prepare_worker(environment: Mapping[str, str]) -> None:
    """Process initializer: the environment every function sees; logs kept off stdout."""
    os.environ.update(environment)
    # Ctrl-C reaches the whole process group; the parent decides how to stop, not the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Powertools logs to stdout; the CLI owns stdout (one line or one JSON event per document).
    sys.stdout = sys.stderr
