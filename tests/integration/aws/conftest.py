"""The AWS adapters, offline: dummy credentials in us-east-1 and boto3 clients wrapped in botocore's
``Stubber``, which checks every request against the service model and answers with the responses
a test queues (shaped like the AWS documentation examples, in tests/fixtures/aws/)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    for name in ("AWS_PROFILE", "AWS_REGION", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)


Stubbed = tuple[Any, Stubber]


@pytest.fixture
def stubbed() -> Iterator[Callable[[str], Stubbed]]:
    """A factory of (client, stubber) pairs; every queued response must have been used."""
    stubbers: list[Stubber] = []

    def make(service: str) -> Stubbed:
        client = boto3.client(service, region_name="us-east-1")  # type: ignore[call-overload]
        stubber = Stubber(client)
        stubber.activate()
        stubbers.append(stubber)
        return client, stubber

    yield make
    for stubber in stubbers:
        stubber.assert_no_pending_responses()
        stubber.deactivate()
