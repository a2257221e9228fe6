"""AWS's limits, enforced or measured by the local stack, since moto enforces few of them.

Enforced, failing exactly where AWS fails:

- **256 KiB of state data** (Step Functions): every state's output and task result (moto checks
  these), and the result of every Map and Parallel state *before* its ``ResultSelector`` and
  ``ResultPath`` (moto does not: a Map whose iterations each return their whole input grows with
  the square of the document). As on AWS, ``States.DataLimitExceeded`` is a terminal error: no
  ``States.ALL`` Retry or Catch takes it, the execution fails.
- **6 MB Lambda payloads**: a request over it is refused (``Lambda.RequestTooLargeException``),
  a response over it becomes ``Function.ResponseSizeTooLarge``.
- **The function's timeout** (``invocation.LocalLambda``: ``Sandbox.Timedout``).

Measured and reported, since a local worker is not a Lambda sandbox: each function's longest
invocation and highest peak memory against its ``Timeout`` and ``MemorySize``, and each state's
largest payload against 256 KiB. Memory is measured only where each function has workers of
its own (``sandboxes="per-function"``): a shared worker holds the engines of every function it
served. Even then a worker's peak includes what its earlier calls left (engines, heap): an
upper bound of what one call needs.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

STATE_PAYLOAD_BYTES = 256 * 1024  # Step Functions: a state's input, output or result
LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024  # Lambda: synchronous Invoke request and response
DATA_LIMIT_EXCEEDED = "States.DataLimitExceeded"
RESPONSE_TOO_LARGE = "Function.ResponseSizeTooLarge"
REQUEST_TOO_LARGE = "RequestTooLargeException"
# A local run passes when each function needs at most this share of its timeout and memory:
# AWS's machines and services are not this machine (issue 12: "no more than half").
COMFORTABLE_SHARE = 0.5

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")
_HIGH_WATER = re.compile(rb"VmHWM:\s+(\d+) kB")


# -- a function's memory, measured in its worker ---------------------------------------------


def _high_water_mb() -> float | None:
    try:
        found = _HIGH_WATER.search(_STATUS.read_bytes())
    except OSError:
        return None
    return int(found.group(1)) / 1024 if found else None


def reset_peak() -> bool:
    """Starts a new peak-memory measurement of this process (Linux: ``clear_refs`` 5 resets
    VmHWM). False where the kernel does not allow it: the peak is then the process's."""
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class Measured:
    """One invocation, as the worker saw it."""

    seconds: float
    peak_mb: float | None  # highest resident memory of the worker during the invocation


@contextmanager
def measured(per_process: bool) -> Iterator[list[Measured]]:
    """Times the block, and its peak memory when it runs alone in its process (``per_process``:
    a worker process runs one invocation at a time; threads of one process cannot tell theirs)."""
    import time  # noqa: PLC0415

    box: list[Measured] = []
    exact = per_process and reset_peak()
    started = time.perf_counter()
    try:
        yield box
    finally:
        box.append(Measured(time.perf_counter() - started, _high_water_mb() if exact else None))


# -- what was measured, for a run ------------------------------------------------------------


class FunctionUse(BaseModel):
    """A function's heaviest invocations in a run, against its limits in ``template.yaml``."""

    function: str
    invocations: int = 0
    timeout_seconds: int
    memory_mb: int
    longest_seconds: float = 0.0
    peak_mb: float | None = None
    largest_request_bytes: int = 0
    largest_response_bytes: int = 0

    @property
    def time_share(self) -> float:
        return self.longest_seconds / self.timeout_seconds

    @property
    def memory_share(self) -> float | None:
        return None if self.peak_mb is None else self.peak_mb / self.memory_mb


class StatePayload(BaseModel):
    """The largest payload a state produced in a run (its output, or a Map's or Parallel's
    result before ``ResultPath``)."""

    state: str
    what: str
    largest_bytes: int
    payloads: int = 0

    @property
    def share(self) -> float:
        return self.largest_bytes / STATE_PAYLOAD_BYTES


class LimitsReport(BaseModel):
    functions: list[FunctionUse] = Field(default_factory=list)
    states: list[StatePayload] = Field(default_factory=list)
    exceeded: list[str] = Field(default_factory=list)  # each crossing of an enforced limit

    def margins(self) -> list[str]:
        """One line per function and the largest states, for people."""
        lines = []
        for use in sorted(self.functions, key=lambda u: u.function):
            memory = (
                f"{use.peak_mb:,.0f} of {use.memory_mb:,} MB ({use.memory_share:.0%})"
                if use.peak_mb is not None and use.memory_share is not None
                else f"not measured (shared workers: see --limits), {use.memory_mb:,} MB allowed"
            )
            lines.append(
                f"{use.function}: {use.invocations} call(s), longest {use.longest_seconds:.1f} "
                f"of {use.timeout_seconds} s ({use.time_share:.0%}), peak memory {memory}"
            )
        for state in sorted(self.states, key=lambda s: -s.largest_bytes)[:3]:
            lines.append(
                f"state {state.state} ({state.what}): largest {state.largest_bytes / 1024:,.1f} "
                f"of 256 KiB ({state.share:.0%})"
            )
        lines.extend(f"LIMIT EXCEEDED: {crossing}" for crossing in self.exceeded)
        return lines

    def uncomfortable(self, share: float = COMFORTABLE_SHARE) -> list[str]:
        """The functions and states past ``share`` of a limit, and every limit crossed."""
        found = list(self.exceeded)
        for use in self.functions:
            if use.time_share > share:
                found.append(f"{use.function} took {use.time_share:.0%} of its timeout")
            if use.memory_share is not None and use.memory_share > share:
                found.append(f"{use.function} needed {use.memory_share:.0%} of its memory")
        found.extend(
            f"state {s.state} ({s.what}) reached {s.share:.0%} of 256 KiB"
            for s in self.states
            if s.share > share
        )
        return found


@dataclass
class LimitsMeter:
    """Collects the measurements of one local stack (thread-safe: the interpreter runs each
    execution, and each Map iteration, in a thread of its own)."""

    limits: dict[str, tuple[int, int]]  # function → (timeout s, memory MB)
    _functions: dict[str, FunctionUse] = field(default_factory=dict)
    _states: dict[tuple[str, str], StatePayload] = field(default_factory=dict)
    _exceeded: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def invocation(
        self, function: str, seen: Measured, request_bytes: int, response_bytes: int
    ) -> None:
        timeout, memory = self.limits[function]
        with self._lock:
            use = self._functions.setdefault(
                function, FunctionUse(function=function, timeout_seconds=timeout, memory_mb=memory)
            )
            use.invocations += 1
            use.longest_seconds = max(use.longest_seconds, seen.seconds)
            if seen.peak_mb is not None:
                use.peak_mb = max(use.peak_mb or 0.0, seen.peak_mb)
            use.largest_request_bytes = max(use.largest_request_bytes, request_bytes)
            use.largest_response_bytes = max(use.largest_response_bytes, response_bytes)

    def state(self, state: str, what: str, size: int) -> None:
        with self._lock:
            payload = self._states.setdefault(
                (state, what), StatePayload(state=state, what=what, largest_bytes=0)
            )
            payload.payloads += 1
            payload.largest_bytes = max(payload.largest_bytes, size)

    def exceeded(self, crossing: str) -> None:
        with self._lock:
            self._exceeded.append(crossing)

    def report(self) -> LimitsReport:
        with self._lock:
            return LimitsReport(
                functions=[u.model_copy() for u in self._functions.values()],
                states=[s.model_copy() for s in self._states.values()],
                exceeded=list(self._exceeded),
            )


def payload_size(value: Any) -> int:
    """Bytes of ``value`` as Step Functions counts them: its JSON, UTF-8 encoded."""
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


# -- the state limit in moto's interpreter ---------------------------------------------------


class StateLimits:
    """Puts the 256 KiB limit where moto lacks it and makes it terminal, as on AWS; records
    every checked payload in ``meter``. ``install`` patches moto's interpreter (process-wide);
    ``uninstall`` puts it back."""

    def __init__(self, meter: LimitsMeter) -> None:
        self.meter = meter
        self._saved: list[tuple[type, str, Callable[..., Any]]] = []

    def install(self) -> None:
        from moto.stepfunctions.parser.asl.component.common.error_name import (  # noqa: PLC0415
            error_equals_decl,
        )
        from moto.stepfunctions.parser.asl.component.state import state  # noqa: PLC0415
        from moto.stepfunctions.parser.asl.component.state.exec.state_map import (  # noqa: PLC0415
            state_map,
        )
        from moto.stepfunctions.parser.asl.component.state.exec.state_parallel import (  # noqa: PLC0415
            state_parallel,
        )
        from moto.stepfunctions.parser.asl.component.state.exec.state_task import (  # noqa: PLC0415
            state_task_lambda,
        )

        meter = self.meter
        field_class = state.CommonStateField
        original_verify = field_class._verify_size_quota

        def checked(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
            def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
                def verify(component: Any, env: Any, value: Any) -> None:
                    size = payload_size(value)
                    meter.state(component.name, what, size)
                    if size >= STATE_PAYLOAD_BYTES:
                        meter.exceeded(f"state {component.name}: {what} of {size:,} bytes")
                    original(component, env, value)

                return verify

            return wrap

        def result_checked(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
            def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
                def execute(component: Any, env: Any) -> None:
                    original(component, env)
                    if env.stack:  # the result, before ResultSelector and ResultPath
                        size = payload_size(env.stack[-1])
                        meter.state(component.name, what, size)
                        if size >= STATE_PAYLOAD_BYTES:
                            meter.exceeded(f"state {component.name}: {what} of {size:,} bytes")
                            original_verify(component, env, env.stack[-1])

                return execute

            return wrap

        def terminal(original: Callable[..., Any]) -> Callable[..., Any]:
            def evaluate(component: Any, env: Any) -> None:
                name = getattr(env.stack[-1], "error_name", None)
                if name == DATA_LIMIT_EXCEEDED and not any(
                    getattr(n, "error_name", None) == DATA_LIMIT_EXCEEDED
                    for n in component.error_names
                ):
                    env.stack.pop()
                    env.stack.append(False)  # States.ALL does not take it (AWS docs)
                    return
                original(component, env)

            return evaluate

        self._patch(field_class, "_verify_size_quota", checked("output"))
        self._patch(state_task_lambda.StateTaskLambda, "_verify_size_quota", checked("result"))
        self._patch(state_map.StateMap, "_eval_execution", result_checked("Map result"))
        self._patch(
            state_parallel.StateParallel, "_eval_execution", result_checked("Parallel result")
        )
        self._patch(error_equals_decl.ErrorEqualsDecl, "_eval_body", terminal)

    def _patch(
        self, owner: type, name: str, wrap: Callable[[Callable[..., Any]], Callable[..., Any]]
    ) -> None:
        original = owner.__dict__[name]
        self._saved.append((owner, name, original))
        setattr(owner, name, wrap(original))

    def uninstall(self) -> None:
        for owner, name, original in reversed(self._saved):
            setattr(owner, name, original)
        self._saved.clear()
