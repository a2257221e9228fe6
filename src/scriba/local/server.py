"""moto in server mode inside this process, and the process-wide changes the local stack needs.

moto's flags, the environment variables and boto3's default session belong to the whole process:
each change is recorded, so that stopping puts the process back as it was (other code in this
process, e.g. a test using ``mock_aws``, expects moto's defaults).
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

import boto3

from scriba.local.template import REGION

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


class MotoServer:
    """moto's S3, SQS, EventBridge and Step Functions on one port of this process."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.requested_port = port  # 0: any free port
        self.port = 0
        self.endpoint = ""
        self._server: Any = None

    def start(self) -> None:
        from moto.server import ThreadedMotoServer  # noqa: PLC0415

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

    def stop(self) -> None:
        if self._server is None:
            return
        # moto keeps every resource in process-wide state, which outlives the server: forget this
        # stack's buckets, queues, bus and state machine, so that the next local stack in this
        # process can create them again.
        reset = f"{self.endpoint}/moto-api/reset"  # moto's documented reset API
        try:
            request = urllib.request.Request(reset, method="POST")  # noqa: S310 (http://)
            with urllib.request.urlopen(request, timeout=30):  # noqa: S310
                pass
        finally:
            self._server.stop()
            self._server = None


class ProcessChanges:
    """Changes to process-wide state, each recorded so that ``undo()`` puts back what was there
    before."""

    def __init__(self) -> None:
        self._saved_environ: dict[str, str | None] = {}
        self._saved_moto_flags: tuple[bool, bool] | None = None
        self._hooks: list[tuple[str, Callable[..., Any]]] = []
        self._saved_methods: list[tuple[type, str, Callable[..., Any]]] = []

    def execute_state_machines(self) -> None:
        """moto runs executions with its ASL interpreter, and never starts Lambda in Docker."""
        from moto.core.config import default_user_config  # noqa: PLC0415

        self._saved_moto_flags = (
            default_user_config["stepfunctions"].get("execute_state_machine", False),
            default_user_config["lambda"].get("use_docker", True),
        )
        default_user_config["stepfunctions"]["execute_state_machine"] = True
        default_user_config["lambda"]["use_docker"] = False

    def serialize_dynamodb(self) -> None:
        """One DynamoDB write at a time, as DynamoDB's own item-level atomicity guarantees.

        moto's server answers each request in a thread of its own without locking, and rolls a
        cancelled transaction back by restoring a copy of the whole table taken before it: a
        conditional take that found the semaphore full, cancelled while a release ran, undid the
        release. The admission counter then drifted from its leases (a slot lost for ever).
        """
        from moto.dynamodb.models import DynamoDBBackend  # noqa: PLC0415

        lock = threading.RLock()
        for name in _DYNAMODB_SERIALIZED:
            original = getattr(DynamoDBBackend, name)
            self._saved_methods.append((DynamoDBBackend, name, original))
            setattr(DynamoDBBackend, name, _locked(original, lock))

    def set_environ(self, values: Mapping[str, str]) -> None:
        for key, value in values.items():
            self._saved_environ.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    def hook_default_session(self, event: str, handler: Callable[..., Any]) -> None:
        """A fresh boto3 default session (it reads the environment set so far) with ``handler``
        on ``event``: moto's interpreter makes its clients from that session."""
        boto3.setup_default_session()
        assert boto3.DEFAULT_SESSION is not None
        boto3.DEFAULT_SESSION.events.register(event, handler)
        self._hooks.append((event, handler))

    def unhook(self) -> None:
        """Removes the hooks first when stopping: no call reaches what is being shut down."""
        if boto3.DEFAULT_SESSION is not None:
            for event, handler in self._hooks:
                boto3.DEFAULT_SESSION.events.unregister(event, handler)
        self._hooks.clear()

    def undo(self) -> None:
        self.unhook()
        for owner, name, original in reversed(self._saved_methods):
            setattr(owner, name, original)
        self._saved_methods.clear()
        if self._saved_moto_flags is not None:
            from moto.core.config import default_user_config  # noqa: PLC0415

            executes, docker = self._saved_moto_flags
            default_user_config["stepfunctions"]["execute_state_machine"] = executes
            default_user_config["lambda"]["use_docker"] = docker
            self._saved_moto_flags = None
        for key, value in self._saved_environ.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_environ.clear()


# What reads or writes items (a transaction calls the item writes inside: the lock is reentrant).
_DYNAMODB_SERIALIZED = (
    "transact_write_items",
    "put_item",
    "update_item",
    "delete_item",
    "get_item",
    "scan",
)


def _locked(method: Callable[..., Any], lock: threading.RLock) -> Callable[..., Any]:
    @functools.wraps(method)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return method(*args, **kwargs)

    return locked
