"""A local stand-in for the deployed stack: moto's S3, Step Functions (with its ASL interpreter),
SQS and EventBridge in one in-process server, the state machine from ``statemachine/``, and the
Lambda handlers of ``functions/`` run in worker processes.

Nothing here interprets ASL: moto does. The only seam is botocore's ``before-call.lambda.Invoke``
event on the boto3 session that moto's interpreter uses: an invocation is handed to the handler
named in ``template.yaml`` instead of moto's echoing fake Lambda.
"""

from __future__ import annotations

import io
import json
import logging
import multiprocessing
import os
import threading
import urllib.request
from collections.abc import Mapping
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote

import boto3
from botocore.awsrequest import AWSResponse
from botocore.response import StreamingBody

from scriba.local import functions
from scriba.local.template import ACCOUNT, REGION, LocalStack, QueueSubscription, load_stack

logger = logging.getLogger(__name__)

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


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
    function, exactly as deployed.
    """

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
    ) -> None:
        self.root = root or project_root()
        self.stack: LocalStack = load_stack(self.root, parameters)
        self.workers = (os.cpu_count() or 1) if workers is None else workers
        self.host = host
        self.requested_port = port
        self.extra_environment = dict(environment or {})
        self._server: Any = None
        self._pool: Executor | None = None
        self._saved_environ: dict[str, str | None] = {}
        self._saved_config: tuple[bool, bool] | None = None
        self.invocations = 0
        self._lock = threading.Lock()
        self.trigger = trigger
        self._pollers: list[QueuePoller] = []

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
        from moto.core.config import default_user_config  # noqa: PLC0415
        from moto.server import ThreadedMotoServer  # noqa: PLC0415

        # moto's configuration is process-wide: put it back on stop (other code in this process,
        # e.g. a test using mock_aws, expects moto's defaults).
        self._saved_config = (
            default_user_config["stepfunctions"].get("execute_state_machine", False),
            default_user_config["lambda"].get("use_docker", True),
        )
        default_user_config["stepfunctions"]["execute_state_machine"] = True
        default_user_config["lambda"]["use_docker"] = False
        self._server = ThreadedMotoServer(
            ip_address=self.host, port=self.requested_port, verbose=False
        )
        self._server.start()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        # The interpreter logs every caught failure at ERROR; the manifest records them instead.
        logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
        host, port = self._server.get_host_and_port()
        self.port = int(port)
        self.endpoint = f"http://{host}:{self.port}"
        # moto's ASL interpreter calls services on MOTO_PORT; our clients on AWS_ENDPOINT_URL.
        self._set_environ(
            {"MOTO_PORT": str(self.port), "AWS_ENDPOINT_URL": self.endpoint, **CREDENTIALS}
        )
        self._set_environ(self.function_environment())
        boto3.setup_default_session()
        assert boto3.DEFAULT_SESSION is not None
        boto3.DEFAULT_SESSION.events.register("before-call.lambda.Invoke", self._on_invoke)  # type: ignore[arg-type]
        self._pool = self._make_pool()
        self._create_resources()
        if self.trigger:
            for subscription in self.stack.subscriptions:
                poller = QueuePoller(self, subscription)
                poller.start()
                self._pollers.append(poller)

    def stop(self) -> None:
        for poller in self._pollers:
            poller.stop()
        self._pollers.clear()
        if boto3.DEFAULT_SESSION is not None:
            boto3.DEFAULT_SESSION.events.unregister(
                "before-call.lambda.Invoke",
                self._on_invoke,  # type: ignore[arg-type]
            )
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._server is not None:
            # moto keeps every resource in process-wide state, which outlives the server: forget
            # this stack's buckets, queues, bus and state machine, so that the next LocalCloud
            # in this process can create them again.
            reset = f"{self.endpoint}/moto-api/reset"  # moto's documented reset API
            try:
                request = urllib.request.Request(reset, method="POST")  # noqa: S310 (http://)
                with urllib.request.urlopen(request, timeout=30):  # noqa: S310
                    pass
            finally:
                self._server.stop()
                self._server = None
        if self._saved_config is not None:
            from moto.core.config import default_user_config  # noqa: PLC0415

            executes, docker = self._saved_config
            default_user_config["stepfunctions"]["execute_state_machine"] = executes
            default_user_config["lambda"]["use_docker"] = docker
            self._saved_config = None
        for key, value in self._saved_environ.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_environ.clear()

    def _set_environ(self, values: Mapping[str, str]) -> None:
        for key, value in values.items():
            self._saved_environ.setdefault(key, os.environ.get(key))
            os.environ[key] = value

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

    def _make_pool(self) -> Executor:
        if self.workers <= 0:
            return ThreadPoolExecutor(max_workers=32, thread_name_prefix="scriba-lambda")
        environment = {
            **self.function_environment(),
            **CREDENTIALS,
            "AWS_ENDPOINT_URL": self.endpoint,
            "MOTO_PORT": str(self.port),
        }
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=functions.prepare_worker,
            initargs=(environment,),
        )

    # -- resources ----------------------------------------------------------------------------

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint, region_name=REGION)  # type: ignore[call-overload]

    def _create_resources(self) -> None:
        s3 = self.client("s3")
        for logical_id, name in self.stack.buckets.items():
            s3.create_bucket(Bucket=name)
            if logical_id == "InputBucket":
                s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        for name in self.stack.eventbridge_buckets:
            s3.put_bucket_notification_configuration(
                Bucket=name, NotificationConfiguration={"EventBridgeConfiguration": {}}
            )
        events = self.client("events")
        for name in self.stack.event_buses.values():
            events.create_event_bus(Name=name)
        sqs = self.client("sqs")
        self.queue_urls: dict[str, str] = {}
        for logical_id, queue in self.stack.queues.items():
            plain = {k: v for k, v in queue.attributes.items() if k != "RedrivePolicy"}
            self.queue_urls[logical_id] = sqs.create_queue(QueueName=queue.name, Attributes=plain)[
                "QueueUrl"
            ]
        for logical_id, queue in self.stack.queues.items():  # dead-letter queues exist by now
            if "RedrivePolicy" in queue.attributes:
                sqs.set_queue_attributes(
                    QueueUrl=self.queue_urls[logical_id],
                    Attributes={"RedrivePolicy": queue.attributes["RedrivePolicy"]},
                )
        for rule in self.stack.rules:
            events.put_rule(
                Name=rule.name, EventBusName=rule.bus, EventPattern=json.dumps(rule.pattern)
            )
            events.put_targets(
                Rule=rule.name,
                EventBusName=rule.bus,
                Targets=[
                    {
                        "Id": queue,
                        "Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{self.stack.queues[queue].name}",
                    }
                    for queue in rule.target_queues
                ],
            )
        machine = self.stack.state_machine
        self.sfn = self.client("stepfunctions")
        self.sfn.create_state_machine(
            name=machine.name,
            definition=machine.definition,
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/{machine.name}-role",
            type="STANDARD",
        )
        self.state_machine_arn = machine.arn

    # -- the Lambda seam ----------------------------------------------------------------------

    def _on_invoke(self, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
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

    def invoke(self, function: str, payload: bytes) -> tuple[bytes, str | None]:
        """Runs the handler behind ``function`` (a name or ARN) with the Lambda timeout."""
        spec = self.stack.function_by_name(function)
        assert self._pool is not None, "LocalCloud is not started"
        with self._lock:
            self.invocations += 1
        future: Future[tuple[bytes, str | None]] = self._pool.submit(
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


class QueuePoller(threading.Thread):
    """A Lambda event source mapping: long-polls a queue, hands batches to a function, deletes
    what it processed and leaves failed records to reappear (and, in the end, dead-letter)."""

    def __init__(self, cloud: LocalCloud, subscription: QueueSubscription) -> None:
        super().__init__(name=f"poll-{subscription.queue}", daemon=True)
        self.cloud = cloud
        self.subscription = subscription
        self.queue = cloud.stack.queues[subscription.queue]
        self.url = cloud.queue_urls[subscription.queue]
        self.sqs = cloud.client("sqs")
        self._stopped = threading.Event()
        self.batches = 0

    def stop(self) -> None:
        self._stopped.set()
        self.join(timeout=10)

    def run(self) -> None:
        while not self._stopped.is_set():
            try:
                self.poll_once()
            except Exception:  # keep polling, as the managed mapping does
                logger.exception("polling %s failed", self.queue.name)
                self._stopped.wait(1)

    def poll_once(self) -> int:
        received = self.sqs.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=min(self.subscription.batch_size, 10),
            WaitTimeSeconds=1,
            MessageSystemAttributeNames=["All"],
        ).get("Messages", [])
        if not received:
            return 0
        self.batches += 1
        arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{self.queue.name}"
        records = [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": arn,
                "awsRegion": REGION,
            }
            for message in received
        ]
        output, error = self.cloud.invoke(
            self.subscription.function, json.dumps({"Records": records}).encode("utf-8")
        )
        if error:
            return 0  # the whole batch becomes visible again after the visibility timeout
        failed: set[str] = set()
        if self.subscription.report_batch_item_failures:
            response = json.loads(output or b"{}") or {}
            failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
        done = [m for m in received if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)
                ],
            )
        return len(done)
