"""A local stand-in for the deployed stack: moto's S3, Step Functions (with its ASL interpreter),
SQS and EventBridge in one in-process server, the state machine from ``statemachine/``, and the
Lambda handlers of ``functions/`` run in worker processes.

Nothing here interprets ASL: moto does. The only seam is botocore's ``before-call.lambda.Invoke``
event on the boto3 session that moto's interpreter uses: an invocation is handed to the handler
named in ``template.yaml`` instead of moto's echoing fake Lambda.

``LocalCloud`` puts the parts together: ``server`` (moto and the process-wide changes),
``resources`` (what the template declares), ``invocation`` (the handlers' worker pool) and
``queues`` (the SQS event source mapping).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import boto3

from scriba.aws.clients import AwsClients
from scriba.local.events import ExecutionWatcher, Scheduler
from scriba.local.invocation import SHARED, LocalLambda
from scriba.local.limits import LimitsReport, StateLimits
from scriba.local.queues import QueuePoller
from scriba.local.resources import create_resources
from scriba.local.server import CREDENTIALS, MotoServer, ProcessChanges
from scriba.local.template import REGION, LocalStack, load_stack

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

__all__ = ["CREDENTIALS", "LocalCloud", "QueuePoller", "project_root"]


def project_root() -> Path:
    """The folder with ``template.yaml``: $SCRIBA_ROOT, or upwards from here or the cwd."""
    if "SCRIBA_ROOT" in os.environ:
        return Path(os.environ["SCRIBA_ROOT"]).resolve()
    for start in (Path(__file__).resolve(), Path.cwd().resolve()):
        for folder in [start, *start.parents]:
            if (folder / "template.yaml").is_file() and (folder / "statemachine").is_dir():
                return folder
    raise FileNotFoundError(
        "template.yaml not found: run scriba from its repository or set SCRIBA_ROOT"
    )


class LocalCloud:
    """The whole stack on this machine. Use as a context manager.

    ``workers`` processes run the Lambda handlers (0 runs them in this process, in the calling
    thread: slower for CPU-bound work, but test doubles installed in this process apply).
    With ``trigger`` on, the upload path of the template is live: an object created in the input
    bucket goes through the EventBridge rule to the queue, whose messages feed the starter
    function, exactly as deployed; ended executions reach the functions whose rule listens to
    them (the admitter), and scheduled functions run at their rate, or every
    $SCRIBA_LOCAL_SCHEDULE_SECONDS when that is shorter. ``sandboxes`` (default
    $SCRIBA_SANDBOXES, else "shared"): "per-function" gives each function worker processes of
    its own, as Lambda does, so that ``limits()`` measures each function's memory alone.
    """

    # Set by start(): the running server and what was created in it.
    port: int
    endpoint: str
    clients: AwsClients  # typed clients of the local endpoint, on a session of their own
    sfn: SFNClient
    queue_urls: dict[str, str]
    state_machine_arn: str

    def __init__(
        self,
        root: Path | None = None,
        *,
        workers: int | None = None,
        port: int = 0,
        host: str = "127.0.0.1",
        parameters: Mapping[str, Any] | None = None,
        environment: Mapping[str, str] | None = None,
        trigger: bool = True,
        sandboxes: str | None = None,
    ) -> None:
        self.root = root or project_root()
        self.stack: LocalStack = load_stack(self.root, parameters)
        self.workers = (os.cpu_count() or 1) if workers is None else workers
        self.host = host
        self.requested_port = port
        self.extra_environment = dict(environment or {})
        self.trigger = trigger
        self._server = MotoServer(host, port)
        self._changes = ProcessChanges()
        self._lambda = LocalLambda(
            self.stack,
            self.workers,
            self._worker_environment,
            sandboxes or os.environ.get("SCRIBA_SANDBOXES", SHARED),
        )
        self._state_limits = StateLimits(self._lambda.meter)
        self._pollers: list[QueuePoller] = []
        self._threads: list[ExecutionWatcher | Scheduler] = []

    @property
    def invocations(self) -> int:
        """Lambda invocations so far (each retry counts)."""
        return self._lambda.invocations

    def limits(self) -> LimitsReport:
        """What the run so far needed of AWS's limits: each function's time and memory against
        its template's, each state's largest payload, and every limit crossed."""
        return self._lambda.meter.report()

    # -- lifecycle ----------------------------------------------------------------------------

    def __enter__(self) -> LocalCloud:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        self._changes.execute_state_machines()
        self._changes.serialize_dynamodb()
        self._state_limits.install()
        self._server.start()
        self.port = self._server.port
        self.endpoint = self._server.endpoint
        # moto's ASL interpreter calls services on MOTO_PORT; our clients on AWS_ENDPOINT_URL.
        self._changes.set_environ(
            {"MOTO_PORT": str(self.port), "AWS_ENDPOINT_URL": self.endpoint, **CREDENTIALS}
        )
        self._changes.set_environ(self.function_environment())
        self._changes.hook_default_session("before-call.lambda.Invoke", self._lambda.on_invoke)
        self._lambda.start()
        self.clients = AwsClients(
            boto3.session.Session(), endpoint_url=self.endpoint, region=REGION
        )
        self.queue_urls = create_resources(self.stack, self.clients)
        self.sfn = self.clients.stepfunctions
        self.state_machine_arn = self.stack.state_machine.arn
        if self.trigger:
            for subscription in self.stack.subscriptions:
                poller = QueuePoller(
                    subscription,
                    self.stack.queues[subscription.queue],
                    self.queue_urls[subscription.queue],
                    self.clients.sqs,
                    self.invoke,
                )
                poller.start()
                self._pollers.append(poller)
            if self.stack.execution_listeners:
                self._threads.append(
                    ExecutionWatcher(
                        self.stack.execution_listeners,
                        [self.state_machine_arn],
                        self.sfn,
                        self.invoke,
                    )
                )
            cap = os.environ.get("SCRIBA_LOCAL_SCHEDULE_SECONDS")
            if self.stack.schedules:
                self._threads.append(
                    Scheduler(self.stack.schedules, self.invoke, float(cap) if cap else None)
                )
            for thread in self._threads:
                thread.start()

    def stop(self) -> None:
        for thread in self._threads:
            thread.stop()
        self._threads.clear()
        for poller in self._pollers:
            poller.stop()
        self._pollers.clear()
        self._changes.unhook()
        self._lambda.stop()
        self._server.stop()
        self._state_limits.uninstall()
        self._changes.undo()

    def function_environment(self) -> dict[str, str]:
        """What every function sees: the template's variables, local engines, local endpoints.

        Functions share one environment (a worker process serves them all), so the template
        must not give two functions different values for the same variable; per-function names
        (``POWERTOOLS_SERVICE_NAME``) are the exception and are set per invocation.
        """
        merged: dict[str, str] = {}
        for spec in self.stack.functions.values():
            for key, value in spec.environment.items():
                if key in ("POWERTOOLS_SERVICE_NAME",):
                    continue
                if key in merged and merged[key] != value:
                    raise ValueError(f"functions disagree on {key}: {merged[key]!r} and {value!r}")
                merged[key] = value
        merged.update(
            {
                "SCRIBA_ENGINES": "local",
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_METRICS_DISABLED": "true",
                "POWERTOOLS_LOG_LEVEL": os.environ.get("SCRIBA_LOG_LEVEL", "ERROR"),
                "OMP_THREAD_LIMIT": "1",
                "OMP_NUM_THREADS": "1",
                "TOKENIZERS_PARALLELISM": "false",
                "SCRIBA_STATE_MACHINE_ARN": self.stack.state_machine.arn,
            }
        )
        merged.update(self.extra_environment)
        return merged

    def _worker_environment(self) -> dict[str, str]:
        """What a worker process starts with: the functions' environment and the local endpoint."""
        return {
            **self.function_environment(),
            **CREDENTIALS,
            "AWS_ENDPOINT_URL": self.endpoint,
            "MOTO_PORT": str(self.port),
        }

    def invoke(self, function: str, payload: bytes) -> tuple[bytes, str | None]:
        """Runs the handler behind ``function`` (a name or ARN) with the Lambda timeout."""
        return self._lambda.invoke(function, payload)
