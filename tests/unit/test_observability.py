"""Every log line a stage writes names its document and execution, as keys."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from scriba.local.functions import LocalContext
from scriba.models.document import DocumentKind, S3Location, Source
from scriba.observability import log_about, logger
from scriba.stages.tag import TagRequest
from scriba.workflow import Document

EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:scriba-pipeline:report-abc"


def request() -> TagRequest:
    document = Document(
        id="abc123",
        name="inbox/report.pdf",
        source=Source(bucket="in-bucket", key="inbox/report.pdf", version_id="v1"),
        output=S3Location(bucket="out-bucket", key="documents/inbox/report.pdf"),
        work=S3Location(bucket="out-bucket", key="work/abc123"),
        kind=DocumentKind.PDF,
        size=10,
        sha256="0" * 64,
        pages=1,
        languages=["es"],
    )
    return TagRequest(document=document, execution=EXECUTION)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> None:
    if event.get("about"):
        log_about(request())
    # A library module's logger, as the stages use: it shares the handler's formatter.
    logging.getLogger("scriba.stages.tag").warning("tagged %d pictures", 3)


@pytest.fixture
def written() -> Iterator[io.StringIO]:
    """What the functions' log handler writes (stdout in Lambda), kept here instead."""
    stream = io.StringIO()
    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    found = [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]
    stream.seek(0)
    stream.truncate()
    return [entry for entry in found if "tagged" in entry["message"]]


def test_a_stage_log_line_carries_the_document_and_the_execution(written: io.StringIO) -> None:
    context = LocalContext(function_name="TagFunction", memory_limit_in_mb=1024, timeout=60)
    handler({"about": True}, context)
    (line,) = lines(written)
    assert line["document_id"] == "abc123"
    assert line["document_key"] == "inbox/report.pdf"
    assert line["execution"] == EXECUTION
    assert line["message"] == "tagged 3 pictures"

    # The next invocation starts clean: no document of the last one on its lines.
    handler({}, context)
    (line,) = lines(written)
    assert "document_id" not in line and "execution" not in line
