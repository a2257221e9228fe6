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
from scriba.local.template import LocalStack

# An invocation's outcome: the response payload and the FunctionError (None on success).
Outcome = tuple[bytes, str | None]


class LocalLambda:
    """Runs the handlers of ``stack`` in ``workers`` processes (0: threads of this process, where
    test doubles apply). ``worker_environment`` is what a new worker process starts with."""

    def __init__(
        self,
        stack: LocalStack,
        workers: int,
        worker_environment: Callable[[], Mapping[str, str]],
    ) -> None:
        self.stack = stack
        self.workers = workers
        self.worker_environment = worker_environment
        self.invocations = 0
        self._pool: Executor | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        self._pool = self._make_pool()

    def stop(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

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
        assert self._pool is not None, "LocalCloud is not started"
        with self._lock:
            self.invocations += 1
        future: Future[Outcome] = self._pool.submit(
            functions.invoke,
            spec.logical_id,
            str(spec.code_uri),
            spec.handler,
            spec.timeout,
            spec.memory,
            payload,
        )
        try:
            return future.result(timeout=spec.timeout)
        except FutureTimeout:
            future.cancel()
            return _error("Sandbox.Timedout", f"Task timed out after {spec.timeout} seconds")
        except BrokenProcessPool:
            # A worker died (a native library crashed on a hostile file, or memory ran out):
            # Lambda reports Runtime.ExitError and starts a fresh sandbox; so do we.
            self._replace_broken_pool()
            return _error("Runtime.ExitError", f"{spec.logical_id}: the function's process exited")

    def _replace_broken_pool(self) -> None:
        with self._lock:
            pool = self._pool
            if isinstance(pool, ProcessPoolExecutor) and getattr(pool, "_broken", False):
                self._pool = self._make_pool()
                pool.shutdown(wait=False, cancel_futures=True)


def _error(error_type: str, message: str) -> tuple[bytes, str]:
    payload = {"errorType": error_type, "errorMessage": message}
    return json.dumps(payload).encode("utf-8"), "Unhandled"
