"""One object version, one execution: duplicates are harmless."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from scriba.aws.clients import AwsClients
from scriba.aws.storage import Storage
from scriba.config import StartSettings
from scriba.context import Context
from scriba.errors import SourceNotFound
from scriba.models.document import Source
from scriba.stages.start import (
    Skipped,
    Started,
    request_from_message,
    resolve_key,
    start_document,
    start_from_message,
)
from scriba.workflow import Options

DEFINITION = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})


@pytest.fixture
def aws(mocked_aws: None) -> Iterator[dict[str, Any]]:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="in-bucket")
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    arn = sfn.create_state_machine(
        name="pipeline", definition=DEFINITION, roleArn="arn:aws:iam::123456789012:role/x"
    )["stateMachineArn"]
    yield {"s3": s3, "sfn": sfn, "arn": arn}


def test_the_same_event_ten_times_starts_one_execution(aws: dict[str, Any]) -> None:
    source = Source(bucket="in-bucket", key="a/report.pdf", version_id="v1", etag="e")
    # While it runs, Step Functions answers a same-name, same-input start with the same execution;
    # once it has ended, with ExecutionAlreadyExists. Either way: one execution.
    results = [start_document(source, aws["arn"], Options(), sfn=aws["sfn"]) for _ in range(5)]
    aws["sfn"].stop_execution(executionArn=results[0].execution_arn)
    results += [start_document(source, aws["arn"], Options(), sfn=aws["sfn"]) for _ in range(5)]
    assert len({r.execution_arn for r in results}) == 1
    assert [r.created for r in results[5:]] == [False] * 5
    executions = aws["sfn"].list_executions(stateMachineArn=aws["arn"])["executions"]
    assert len(executions) == 1
    assert executions[0]["executionArn"] == results[0].execution_arn


def test_a_new_version_starts_a_new_execution(aws: dict[str, Any]) -> None:
    one = start_document(
        Source(bucket="in-bucket", key="r.pdf", version_id="v1"), aws["arn"], sfn=aws["sfn"]
    )
    two = start_document(
        Source(bucket="in-bucket", key="r.pdf", version_id="v2"), aws["arn"], sfn=aws["sfn"]
    )
    assert one.created and two.created and one.name != two.name


def test_execution_input_carries_the_source_and_options(aws: dict[str, Any]) -> None:
    source = Source(bucket="in-bucket", key="r.pdf", version_id="v1")
    started = start_document(source, aws["arn"], Options(languages=["fr"]), sfn=aws["sfn"])
    described = aws["sfn"].describe_execution(executionArn=started.execution_arn)
    payload = json.loads(described["input"])
    assert payload["source"]["key"] == "r.pdf"
    assert payload["options"]["languages"] == ["fr"]


@pytest.mark.parametrize(
    ("real_key", "event_key"),
    [
        ("red flower.pdf", "red+flower.pdf"),
        ("a+b.pdf", "a+b.pdf"),
        ("deep/pre fix/ünï.pdf", "deep/pre+fix/%C3%BCn%C3%AF.pdf"),
        ("100%.pdf", "100%25.pdf"),
        ("plain.pdf", "plain.pdf"),
    ],
)
def test_url_encoded_event_keys_are_resolved(
    aws: dict[str, Any], real_key: str, event_key: str
) -> None:
    aws["s3"].put_object(Bucket="in-bucket", Key=real_key, Body=b"%PDF-1.4")
    assert resolve_key(Storage(aws["s3"]), "in-bucket", event_key) == real_key


def test_an_event_for_a_missing_object_is_a_clear_error(aws: dict[str, Any]) -> None:
    with pytest.raises(SourceNotFound, match=r"gone\.pdf"):
        resolve_key(Storage(aws["s3"]), "in-bucket", "gone.pdf")


def test_eventbridge_s3_event_becomes_a_source(aws: dict[str, Any]) -> None:
    aws["s3"].put_object(Bucket="in-bucket", Key="in box/report 1.pdf", Body=b"%PDF-1.4")
    event = {
        "version": "0",
        "id": "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": "2021-11-12T00:00:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:s3:::in-bucket"],
        "detail": {
            "version": "0",
            "bucket": {"name": "in-bucket"},
            "object": {
                "key": "in+box/report+1.pdf",
                "size": 8,
                "etag": "abc",
                "version-id": "v9",
                "sequencer": "00617F08299329D189",
            },
            "request-id": "N4N7GDK58NMKJ12R",
            "requester": "123456789012",
            "source-ip-address": "1.2.3.4",
            "reason": "PutObject",
        },
    }
    source, options = request_from_message(json.dumps(event), Storage(aws["s3"]))
    assert source.key == "in box/report 1.pdf"
    assert source.version_id == "v9"
    assert source.size == 8
    assert options == Options()


def test_redrive_message_carries_options(aws: dict[str, Any]) -> None:
    message = {
        "source": {"bucket": "in-bucket", "key": "r.pdf"},
        "options": {"force": True, "attempt": 2},
    }
    source, options = request_from_message(json.dumps(message), Storage(aws["s3"]))
    assert source.key == "r.pdf" and options.force and options.attempt == 2


def versioned(aws: dict[str, Any]) -> None:
    aws["s3"].put_bucket_versioning(
        Bucket="in-bucket", VersioningConfiguration={"Status": "Enabled"}
    )


def object_created(key: str, size: int, version_id: str) -> str:
    """An EventBridge ``Object Created`` event as S3 sends it (the key URL-encoded)."""
    return json.dumps(
        {
            "version": "0",
            "id": "17793124-05d4-b198-2fde-7ededc63b103",
            "detail-type": "Object Created",
            "source": "aws.s3",
            "account": "123456789012",
            "time": "2021-11-12T00:00:00Z",
            "region": "us-east-1",
            "resources": ["arn:aws:s3:::in-bucket"],
            "detail": {
                "version": "0",
                "bucket": {"name": "in-bucket"},
                "object": {
                    "key": key,
                    "size": size,
                    "etag": "e",
                    "version-id": version_id,
                    "sequencer": "00617F08299329D189",
                },
                "request-id": "N4N7GDK58NMKJ12R",
                "requester": "123456789012",
                "source-ip-address": "1.2.3.4",
                "reason": "PutObject",
            },
        }
    )


@pytest.mark.parametrize(
    ("key", "prefix"),
    [("inbox/scans/", ""), ("scans/", ""), ("inbox/new+folder/", ""), ("other/r.pdf", "inbox/")],
)
def test_a_folder_marker_or_a_key_outside_the_prefix_starts_nothing(
    aws: dict[str, Any], key: str, prefix: str
) -> None:
    # The S3 console's "Create folder" puts a zero-byte object whose key ends in "/": an
    # Object Created event like any other. The sweeper never sends such keys; nor may the
    # starter start them (a failed document, a Document Failed event, an alarm).
    versioned(aws)
    put = aws["s3"].put_object(Bucket="in-bucket", Key=key, Body=b"")
    settings = StartSettings(state_machine_arn=aws["arn"], input_prefix=prefix)
    ctx = Context.of(settings, AwsClients(boto3.session.Session(region_name="us-east-1")))

    outcome = start_from_message(object_created(key, 0, put["VersionId"]), ctx)

    assert outcome == Skipped(key=key, reason="not_a_document")
    assert aws["sfn"].list_executions(stateMachineArn=aws["arn"])["executions"] == []


def test_a_document_beside_a_folder_marker_is_started(aws: dict[str, Any]) -> None:
    versioned(aws)
    put = aws["s3"].put_object(Bucket="in-bucket", Key="inbox/scans/r 1.pdf", Body=b"%PDF-1.4")
    settings = StartSettings(state_machine_arn=aws["arn"], input_prefix="inbox/")
    ctx = Context.of(settings, AwsClients(boto3.session.Session(region_name="us-east-1")))

    outcome = start_from_message(object_created("inbox/scans/r+1.pdf", 8, put["VersionId"]), ctx)

    assert isinstance(outcome, Started) and outcome.created
    assert len(aws["sfn"].list_executions(stateMachineArn=aws["arn"])["executions"]) == 1
