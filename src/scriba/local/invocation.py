"""The Lambda service of the local stack: the stack's handlers run in a pool of worker processes,
with the template's timeout, and fail as the Lambda runtime reports failures.

``on_invoke`` is the seam with moto: a botocore ``before-call.lambda.Invoke`` handler that
answers the interpreter's Invoke with the handler's result instead of moto's echoing fake Lambda.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import Any
from urllib.parse import unquote

from botocore.awsrequest import AWSResponse
from botocore.response import StreamingBody

from scriba.local import functions
from scriba.local.limits import (
    LAMBDA_PAYLOAD_BYTES,
    REQUEST_TOO_LARGE,
    RESPONSE_TOO_LARGE,
    LimitsMeter,
    Measured,
)
from scriba.local.template import FunctionSpec, LocalStack

# An invocation's outcome: the response payload and the FunctionError (None on success).
Outcome = tuple[bytes, str | None]


SHARED = "shared"


class LocalLambda:
    """Runs the handlers of ``stack`` in ``workers`` processes (0: threads of this process, where
    test doubles apply). ``worker_environment`` is what a new worker process starts with.

    With ``sandboxes`` "shared" every worker serves every function (fewest processes, engines
    loaded once); with "per-function" each function has workers of its own, as each Lambda
    function has its own sandboxes, so that a worker's peak memory is that function's (what
    ``scriba run --limits`` compares with the template's ``MemorySize``). At most ``workers``
    invocations run at once either way.
    """

    def __init__(
        self,
        stack: LocalStack,
        workers: int,
        worker_environment: Callable[[], Mapping[str, str]],
        sandboxes: str = SHARED,
    ) -> None:
        self.stack = stack
        self.workers = workers
        self.worker_environment = worker_environment
        self.per_function = sandboxes != SHARED and workers > 0
        self.meter = LimitsMeter(
            {spec.logical_id: (spec.timeout, spec.memory) for spec in stack.functions.values()}
        )
        self.invocations = 0
        self._pools: dict[str, Executor] = {}
        self._started = False
        self._slots = threading.BoundedSemaphore(max(workers, 1))
        self._lock = threading.Lock()

    def start(self) -> None:
        self._started = True
        if not self.per_function:
            self._pools[SHARED] = self._make_pool()

    def stop(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
            self._started = False
        for pool in pools:
            pool.shutdown(wait=True, cancel_futures=True)

    def _pool_for(self, function: str) -> tuple[str, Executor]:
        key = function if self.per_function else SHARED
        with self._lock:
            assert self._started, "LocalCloud is not started"
            if key not in self._pools:
                self._pools[key] = self._make_pool()
            return key, self._pools[key]

    def _make_pool(self) -> Executor:
        if self.workers <= 0:
            return ThreadPoolExecutor(max_workers=32, thread_name_prefix="scriba-lambda")
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=functions.prepare_worker,
            initargs=(dict(self.worker_environment()),),
        )

    def on_invoke(self, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        """The botocore hook: the Invoke request's function and payload in, its response out."""
        target = unquote(params["url_path"].split("/functions/", 1)[1].split("/", 1)[0])
        body = params.get("body") or b"{}"
        payload = body if isinstance(body, bytes) else str(body).encode("utf-8")
        if len(payload) > LAMBDA_PAYLOAD_BYTES:  # Lambda refuses it before any handler runs
            self.meter.exceeded(f"{target}: request of {len(payload):,} bytes, over 6 MB")
            refused: dict[str, Any] = {
                "Error": {"Code": REQUEST_TOO_LARGE, "Message": "Request must be smaller than "
                          f"{LAMBDA_PAYLOAD_BYTES} bytes for the InvokeFunction operation"},
                "ResponseMetadata": {"HTTPStatusCode": 413, "HTTPHeaders": {}},
            }  # fmt: skip
            return AWSResponse(params.get("url", "local"), 413, {}, None), refused  # type: ignore[arg-type]
        output, function_error = self.invoke(target, payload)
        headers = {"X-Amz-Function-Error": function_error} if function_error else {}
        parsed: dict[str, Any] = {
            "StatusCode": 200,
            "ExecutedVersion": "$LATEST",
            "Payload": StreamingBody(io.BytesIO(output), len(output)),
            "ResponseMetadata": {"HTTPStatusCode": 200, "HTTPHeaders": headers},
        }
        if function_error:
            parsed["FunctionError"] = function_error
        return AWSResponse(params.get("url", "local"), 200, headers, None), parsed  # type: ignore[arg-type]

    def invoke(self, function: str, payload: bytes) -> Outcome:
        """Runs the handler behind ``function`` (a name or ARN) with the Lambda timeout."""
        spec = self.stack.function_by_name(function)
        key, pool = self._pool_for(spec.logical_id)
        with self._lock:
            self.invocations += 1
        if self.per_function:  # one pool per function: at most ``workers`` run at once overall
            with self._slots:
                return self._run(spec, key, pool, payload)
        return self._run(spec, key, pool, payload)

    def _run(self, spec: FunctionSpec, key: str, pool: Executor, payload: bytes) -> Outcome:
        future: Future[tuple[bytes, str | None, Measured]] = pool.submit(
            functions.invoke,
            spec.logical_id,
            str(spec.code_uri),
            spec.handler,
            spec.timeout,
            spec.memory,
            payload,
            # A shared worker's peak holds other functions' engines: not this function's.
            self.per_function,
        )
        try:
            output, function_error, seen = future.result(timeout=spec.timeout)
        except FutureTimeout:
            future.cancel()
            self.meter.invocation(spec.logical_id, Measured(spec.timeout, None), len(payload), 0)
            self.meter.exceeded(f"{spec.logical_id}: timed out after {spec.timeout} s")
            return _error("Sandbox.Timedout", f"Task timed out after {spec.timeout} seconds")
        except BrokenProcessPool:
            # A worker died (a native library crashed on a hostile file, or memory ran out):
            # Lambda reports Runtime.ExitError and starts a fresh sandbox; so do we.
            self._replace_broken_pool(key)
            return _error("Runtime.ExitError", f"{spec.logical_id}: the function's process exited")
        self.meter.invocation(spec.logical_id, seen, len(payload), len(output))
        if len(output) > LAMBDA_PAYLOAD_BYTES:
            self.meter.exceeded(f"{spec.logical_id}: response of {len(output):,} bytes, over 6 MB")
            return _error(
                RESPONSE_TOO_LARGE,
                "Response payload size exceeded maximum allowed payload size "
                f"({LAMBDA_PAYLOAD_BYTES} bytes).",
            )
        return output, function_error

    def _replace_broken_pool(self, key: str) -> None:
        with self._lock:
            pool = self._pools.get(key)
            if isinstance(pool, ProcessPoolExecutor) and getattr(pool, "_broken", False):
                self._pools[key] = self._make_pool()
                pool.shutdown(wait=False, cancel_futures=True)


def _error(error_type: str, message: str) -> tuple[bytes, str]:
    payload = {"errorType": error_type, "errorMessage": message}
    return json.dumps(payload).encode("utf-8"), "Unhandled"
