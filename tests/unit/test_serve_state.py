"""``scriba serve --state``: the buckets survive a restart exactly, whatever their keys."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import boto3
import pytest

from scriba.local.cloud import LocalCloud
from scriba.local.serve import BucketState

BUCKETS = {"InputBucket": "scriba-input", "OutputBucket": "scriba-output"}

# Keys no file system holds as they are: one is another's folder, one climbs out, one holds a
# control character, two differ only in what a sanitiser would remove.
KEYS = {
    "report": b"a file named like the folder below",
    "report/page.pdf": b"%PDF-1.7 inside",
    "../../etc/passwd": b"not a path",
    "tab\there.pdf": b"control character",
    "tab here.pdf": b"a space instead",
    "ünïcødé/文件 名.pdf": b"unicode",
}


@pytest.fixture
def s3(mocked_aws: None) -> Iterator[Any]:
    client = boto3.client("s3", region_name="us-east-1")
    for bucket in BUCKETS.values():
        client.create_bucket(Bucket=bucket)
    yield client


def cloud_of(s3: Any) -> LocalCloud:
    """The part of a LocalCloud that BucketState uses."""
    stack = SimpleNamespace(buckets=BUCKETS, eventbridge_buckets=["scriba-input"])
    return cast("LocalCloud", SimpleNamespace(clients=SimpleNamespace(s3=s3), stack=stack))


def contents(s3: Any, bucket: str) -> dict[str, bytes]:
    found = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {
        item["Key"]: s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read() for item in found
    }


def empty(s3: Any) -> None:
    for bucket in BUCKETS.values():
        for key in contents(s3, bucket):
            s3.delete_object(Bucket=bucket, Key=key)


def test_every_key_comes_back_exactly(s3: Any, tmp_path: Path) -> None:
    for key, body in KEYS.items():
        s3.put_object(Bucket="scriba-input", Key=key, Body=body, ContentType="application/pdf")
    s3.put_object(Bucket="scriba-output", Key="documents/report/manifest.json", Body=b"{}")
    state = BucketState(cloud_of(s3), tmp_path / "state")
    assert state.save() == len(KEYS) + 1
    assert not list(tmp_path.rglob("passwd"))  # keys never became paths

    empty(s3)  # a restart: moto starts with empty buckets
    assert BucketState(cloud_of(s3), tmp_path / "state").restore() == len(KEYS) + 1
    assert contents(s3, "scriba-input") == KEYS
    assert contents(s3, "scriba-output") == {"documents/report/manifest.json": b"{}"}
    head = s3.head_object(Bucket="scriba-input", Key="report/page.pdf")
    assert head["ContentType"] == "application/pdf"


def test_a_deleted_object_stays_deleted_and_its_bytes_go(s3: Any, tmp_path: Path) -> None:
    s3.put_object(Bucket="scriba-input", Key="keep.pdf", Body=b"keep")
    s3.put_object(Bucket="scriba-input", Key="gone.pdf", Body=b"gone")
    s3.put_object(Bucket="scriba-input", Key="copy of keep.pdf", Body=b"keep")
    state = BucketState(cloud_of(s3), tmp_path / "state")
    state.save()
    assert len(list((tmp_path / "state" / "objects").iterdir())) == 2  # same bytes stored once

    s3.delete_object(Bucket="scriba-input", Key="gone.pdf")
    state.save()
    assert len(list((tmp_path / "state" / "objects").iterdir())) == 1

    empty(s3)
    BucketState(cloud_of(s3), tmp_path / "state").restore()
    assert contents(s3, "scriba-input") == {"keep.pdf": b"keep", "copy of keep.pdf": b"keep"}
