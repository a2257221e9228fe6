"""The clients the AWS engines get: their timeouts and retries."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from scriba.aws.clients import AwsClients
from scriba.config import Settings
from scriba.engines import BACKENDS, Engines
from scriba.engines.aws.bedrock import BedrockSummarizer


@pytest.fixture(autouse=True)
def region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


def read_timeout(client: Any) -> float:
    return float(client.meta.config.read_timeout)


def summarizer_client(settings: Settings, clients: AwsClients) -> Any:
    summarizer = Engines(settings, clients, BACKENDS["aws"]).summarizer
    assert isinstance(summarizer, BedrockSummarizer)
    return summarizer._client  # the client it calls Converse on


def test_the_bedrock_client_waits_longer_than_the_others() -> None:
    # botocore's read timeout is 60 s; a Converse call over a long context takes minutes.
    clients = AwsClients(boto3.session.Session(region_name="us-east-1"))
    bedrock = summarizer_client(Settings(), clients)
    assert read_timeout(bedrock) == 300
    assert read_timeout(clients.textract) == 60
    assert read_timeout(clients.bedrock_runtime) == 60
    # The rest of the shared configuration is kept: standard retries, the connect timeout.
    textract: Any = clients.textract
    assert bedrock.meta.config.retries == textract.meta.config.retries
    assert bedrock.meta.config.connect_timeout == 10


def test_the_bedrock_read_timeout_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRIBA_BEDROCK_READ_TIMEOUT_SECONDS", "420")
    clients = AwsClients(boto3.session.Session(region_name="us-east-1"))
    assert read_timeout(summarizer_client(Settings(), clients)) == 420
    # One client per timeout, kept: a warm Lambda reuses its connections.
    assert clients.bedrock_runtime_waiting(420) is clients.bedrock_runtime_waiting(420)
