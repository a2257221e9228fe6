"""Duplicates never produce two result sets; identical content is not processed twice."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from scriba import layout
from scriba.aws.executions import execution_arn
from scriba.local.cloud import LocalCloud

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions.type_defs import ExecutionListItemTypeDef
from scriba.local.run import run_documents
from scriba.models.document import Source
from scriba.models.manifest import Manifest, Status
from tests.e2e.executions import wait_for_execution

pytestmark = [pytest.mark.local_engines]


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    with LocalCloud(workers=2, parameters={"TargetLanguages": "es"}) as running:
        yield running


def executions(cloud: LocalCloud) -> list[ExecutionListItemTypeDef]:
    listed: list[ExecutionListItemTypeDef] = cloud.sfn.list_executions(
        stateMachineArn=cloud.state_machine_arn
    )["executions"]
    return listed


def test_the_same_event_ten_times_gives_one_execution(cloud: LocalCloud, corpus: Path) -> None:
    s3, sqs = cloud.clients.s3, cloud.clients.sqs
    body = (corpus / "crazyones-pdfa.pdf").read_bytes()
    put = s3.put_object(Bucket=cloud.stack.input_bucket, Key="dup/crazy.pdf", Body=body)
    source = Source(
        bucket=cloud.stack.input_bucket,
        key="dup/crazy.pdf",
        version_id=put["VersionId"],
        etag=put["ETag"].strip('"'),
    )
    arn = execution_arn(cloud.state_machine_arn, layout.execution_name(source))
    assert wait_for_execution(cloud, arn, 120) == "SUCCEEDED"
    first = s3.get_object(
        Bucket=cloud.stack.output_bucket, Key="documents/dup/crazy.pdf/manifest.json"
    )
    event = {
        "version": "0",
        "id": "e1",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": "2026-11-25T00:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "version": "0",
            "bucket": {"name": cloud.stack.input_bucket},
            "object": {
                "key": "dup/crazy.pdf",
                "size": len(body),
                "etag": source.etag,
                "version-id": source.version_id,
                "sequencer": "1",
            },
            "request-id": "r",
            "requester": "123456789012",
            "source-ip-address": "1.2.3.4",
            "reason": "PutObject",
        },
    }
    queue = cloud.queue_urls["StartQueue"]
    for _ in range(10):
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(event))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
        if (
            attributes["ApproximateNumberOfMessages"] == "0"
            and attributes["ApproximateNumberOfMessagesNotVisible"] == "0"
        ):
            break
        time.sleep(0.2)
    mine = [e for e in executions(cloud) if str(e["name"]) == layout.execution_name(source)]
    assert len(mine) == 1
    again = s3.get_object(
        Bucket=cloud.stack.output_bucket, Key="documents/dup/crazy.pdf/manifest.json"
    )
    assert again["LastModified"] == first["LastModified"], "the result set was written twice"


def test_same_bytes_under_another_key_reuse_the_results(
    cloud: LocalCloud, corpus: Path, tmp_path: Path
) -> None:
    one, two = tmp_path / "a", tmp_path / "b"
    one.mkdir()
    two.mkdir()
    shutil.copy(corpus / "pdflatex-4-pages.pdf", one / "original.pdf")
    shutil.copy(corpus / "pdflatex-4-pages.pdf", two / "copy of original.pdf")
    (first,) = run_documents([one / "original.pdf"], tmp_path / "out", cloud=cloud)
    (second,) = run_documents([two / "copy of original.pdf"], tmp_path / "out", cloud=cloud)
    assert first.status is Status.SUCCEEDED and second.status is Status.SUCCEEDED
    assert second.manifest is not None and first.manifest is not None
    assert second.manifest.reused_from is not None
    assert second.manifest.reused_from.endswith("documents/original.pdf")
    assert first.manifest.reused_from is None
    # Same artifacts, same bytes, under the new document's own folder.
    assert second.output is not None and first.output is not None
    for artifact in first.manifest.artifacts:
        assert artifact.path is not None
        assert (second.output / artifact.path).read_bytes() == (
            first.output / artifact.path
        ).read_bytes()
    assert any("reused" in warning for warning in second.manifest.warnings)


def test_changed_bytes_at_the_same_key_are_processed_again(
    cloud: LocalCloud, corpus: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(corpus / "crazyones-pdfa.pdf", folder / "changing.pdf")
    (first,) = run_documents([folder / "changing.pdf"], tmp_path / "out1", cloud=cloud)
    shutil.copy(corpus / "google-doc-document.pdf", folder / "changing.pdf")
    (second,) = run_documents([folder / "changing.pdf"], tmp_path / "out2", cloud=cloud)
    assert first.manifest is not None and second.manifest is not None
    assert first.manifest.execution != second.manifest.execution
    assert second.manifest.reused_from is None
    assert second.output is not None
    assert "Beautiful is better than ugly" in (second.output / "text.txt").read_text()
    stored = Manifest.model_validate_json(
        cloud.clients.s3.get_object(
            Bucket=cloud.stack.output_bucket, Key="documents/changing.pdf/manifest.json"
        )["Body"].read()
    )
    assert stored.sha256 == second.manifest.sha256 != first.manifest.sha256
