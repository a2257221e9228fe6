"""The backfill function: a batch of listed (or inventoried) inputs becomes exactly the re-drive
requests of the documents without a manifest, on the upload queue, at a few requests a batch."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus

import boto3
import pytest
from moto import mock_aws
from pydantic import ValidationError

from scriba import layout
from scriba.aws.clients import AwsClients
from scriba.aws.storage import Storage
from scriba.config import Settings, StartSettings
from scriba.context import Context
from scriba.errors import ConfigurationError
from scriba.models.document import Source
from scriba.models.manifest import Manifest, Status
from scriba.stages import backfill as backfill_module
from scriba.stages.backfill import BackfillBatch, BackfillSummary, backfill
from scriba.stages.start import Started, start_from_message
from scriba.workflow import PipelineInput

REGION = "us-east-1"
DEFINITION = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})


@dataclass
class Bucket:
    s3: Any
    sqs: Any
    sfn: Any
    session: boto3.session.Session
    settings: Settings
    queue_url: str

    def upload(self, key: str, body: bytes = b"%PDF-1.7 test") -> Source:
        response = self.s3.put_object(Bucket="in-bucket", Key=key, Body=body)
        return Source(
            bucket="in-bucket",
            key=key,
            version_id=response["VersionId"],
            etag=response["ETag"].strip('"'),
            size=len(body),
        )

    def finish(self, source: Source) -> None:
        """The document's results and, last, its manifest, as finalize writes them."""
        storage = Storage(self.s3)
        output = layout.output_prefix(self.settings, source)
        for artifact in ("text.json", "text.txt", "summary.json", "tags.json"):
            storage.write_text(output.child(artifact), "{}", "application/json")
        storage.write_model(
            output.child(layout.MANIFEST),
            Manifest(
                document_id=layout.document_id(source),
                name=source.key,
                source=source,
                output=f"s3://out-bucket/{output.key}/",
                status=Status.SUCCEEDED,
                engines="aws",
                execution=f"arn:aws:states:{REGION}:123456789012:execution:pipeline:x",
                finished_at=datetime.now(UTC),
            ),
        )

    def listed(self, prefix: str = "") -> list[dict[str, Any]]:
        """The input bucket's objects as the Distributed Map's s3:listObjectsV2 reader hands them
        to a batch (AWS spells the ETag "Etag" and gives LastModified in epoch seconds)."""
        items = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(
            Bucket="in-bucket", Prefix=prefix
        ):
            for obj in page.get("Contents", []):
                items.append(
                    {
                        "Etag": obj["ETag"],
                        "Key": obj["Key"],
                        "LastModified": int(obj["LastModified"].timestamp()),
                        "Size": obj["Size"],
                        "StorageClass": "STANDARD",
                    }
                )
        return items

    def queued(self) -> list[PipelineInput]:
        requests: list[PipelineInput] = []
        while True:
            messages = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10
            ).get("Messages", [])
            if not messages:
                return requests
            for message in messages:
                requests.append(PipelineInput.model_validate_json(message["Body"]))
                self.sqs.delete_message(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )

    def context(self, **changes: Any) -> Context[Settings]:
        return Context.of(self.settings.model_copy(update=changes), AwsClients(self.session))

    def run(self, items: list[dict[str, Any]], reader: str = "listing") -> BackfillSummary:
        batch = BackfillBatch.model_validate(
            {"Items": items, "BatchInput": {"reader": reader, "execution": "arn:backfill"}}
        )
        return backfill(batch, self.context())


@pytest.fixture
def bucket(monkeypatch: pytest.MonkeyPatch) -> Iterator[Bucket]:
    for name, value in {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        s3 = session.client("s3")
        for name in ("in-bucket", "out-bucket"):
            s3.create_bucket(Bucket=name)
        s3.put_bucket_versioning(Bucket="in-bucket", VersioningConfiguration={"Status": "Enabled"})
        sqs = session.client("sqs")
        queue_url = sqs.create_queue(QueueName="start")["QueueUrl"]
        sfn = session.client("stepfunctions")
        machine = sfn.create_state_machine(
            name="pipeline", definition=DEFINITION, roleArn="arn:aws:iam::123456789012:role/x"
        )["stateMachineArn"]
        settings = Settings(
            engines="aws",
            input_bucket="in-bucket",
            input_prefix="inbox/",
            input_suffix=".pdf",
            output_bucket="out-bucket",
            start_queue_url=queue_url,
            state_machine_arn=machine,
        )
        yield Bucket(s3, sqs, sfn, session, settings, queue_url)


def names(requests: list[PipelineInput]) -> list[str]:
    return sorted(layout.execution_name(r.source, r.options.attempt) for r in requests)


def test_exactly_the_documents_without_a_manifest_are_queued_as_their_uploads_would_be(
    bucket: Bucket,
) -> None:
    missed = [bucket.upload("inbox/a report.pdf"), bucket.upload("inbox/deep/b.pdf")]
    done = bucket.upload("inbox/c.pdf")
    bucket.finish(done)
    bucket.s3.put_object(Bucket="in-bucket", Key="inbox/deep/", Body=b"")  # a folder marker
    bucket.upload("inbox/notes.txt")  # outside the suffix
    bucket.upload("elsewhere/d.pdf")  # outside the prefix

    summary = bucket.run(bucket.listed())

    assert summary == BackfillSummary(
        items=6, queued=2, skipped_done=1, skipped_not_document=3, skipped_gone=0
    )
    queued = bucket.queued()
    # The sweeper's re-drive requests: the source with the version its upload event carried,
    # so the execution name is the one the upload would have had.
    assert sorted((r.source for r in queued), key=lambda s: s.key) == missed
    assert names(queued) == sorted(layout.execution_name(source) for source in missed)
    assert all(r.options.attempt == 0 and r.options.languages is None for r in queued)


def test_a_rerun_starts_nothing_twice_and_once_done_sends_nothing(bucket: Bucket) -> None:
    sources = [bucket.upload(f"inbox/{index:03d}.pdf") for index in range(25)]
    items = bucket.listed()

    first, again = bucket.run(items), bucket.run(items)  # a batch retried, or a backfill rerun

    assert first.queued == again.queued == 25
    requests = bucket.queued()
    assert len(requests) == 50 and len(set(names(requests))) == 25
    # The starter turns the 50 requests into 25 executions: the names repeat (Step Functions
    # answers a repeated start with the running execution, or ExecutionAlreadyExists).
    ctx = Context.of(
        StartSettings.model_validate(bucket.settings.model_dump()), AwsClients(bucket.session)
    )
    started = [start_from_message(r.model_dump_json(exclude_none=True), ctx) for r in requests]
    assert len({r.execution_arn for r in started if isinstance(r, Started)}) == 25
    executions = bucket.sfn.list_executions(stateMachineArn=bucket.settings.state_machine_arn)
    assert len(executions["executions"]) == 25

    for source in sources:
        bucket.finish(source)
    assert bucket.run(items) == BackfillSummary(items=25, skipped_done=25)
    assert bucket.queued() == []


def test_inventory_rows_are_decoded_and_only_current_versions_of_documents_count(
    bucket: Bucket,
) -> None:
    spaced = bucket.upload("inbox/a report.pdf")
    plus = bucket.upload("inbox/x+y.pdf")  # a real "+" in a name: not a space
    old = bucket.upload("inbox/twice.pdf", b"%PDF first")
    current = bucket.upload("inbox/twice.pdf", b"%PDF second")
    done = bucket.upload("inbox/done.pdf")
    bucket.finish(done)
    gone = bucket.upload("inbox/gone now.pdf")
    bucket.s3.delete_object(Bucket="in-bucket", Key=gone.key, VersionId=gone.version_id)

    def row(source: Source, latest: bool = True, marker: bool = False) -> dict[str, str]:
        # An S3 Inventory CSV row, as Step Functions reads it with the report's fileSchema:
        # every value a string, the key URL-encoded.
        return {
            "Bucket": source.bucket,
            "Key": quote_plus(source.key, safe="/"),
            "VersionId": source.version_id or "",
            "IsLatest": "true" if latest else "false",
            "IsDeleteMarker": "true" if marker else "false",
            "Size": "" if marker else str(source.size),
            "LastModifiedDate": "2026-12-01T00:00:00.000Z",
            "ETag": "" if marker else source.etag or "",
        }

    other_bucket = spaced.model_copy(update={"bucket": "someone-elses"})
    rows = [
        row(spaced),
        row(plus),
        row(old, latest=False),
        row(current),
        row(done),
        row(gone),
        row(other_bucket),
        row(spaced.model_copy(update={"key": "inbox/folder/"})),
        row(spaced.model_copy(update={"key": "inbox/deleted.pdf"}), marker=True),
    ]

    summary = bucket.run(rows, reader="inventory")

    assert summary == BackfillSummary(
        items=9, queued=3, skipped_done=1, skipped_not_document=4, skipped_gone=1
    )
    queued = sorted((r.source for r in bucket.queued()), key=lambda s: s.key)
    assert queued == [spaced, current, plus]


def test_an_inventory_key_that_names_two_objects_is_the_one_as_given(bucket: Bucket) -> None:
    # "inbox/a+b.pdf" in the inventory is "inbox/a b.pdf" encoded; if "inbox/a+b.pdf" itself
    # exists, it is that one (resolve_key's rule, as for an upload event's key).
    bucket.upload("inbox/a b.pdf")
    literal = bucket.upload("inbox/a+b.pdf")
    summary = bucket.run([{"Bucket": "in-bucket", "Key": "inbox/a+b.pdf"}], reader="inventory")
    assert summary.queued == 1
    assert [r.source for r in bucket.queued()] == [literal]


def count_requests(session: boto3.session.Session) -> Counter[str]:
    counts: Counter[str] = Counter()

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        counts[f"{model.name} {params.get('Bucket', '')}".strip()] += 1

    session.events.register("provide-client-params.*.*", record)
    return counts


def test_a_batch_of_new_documents_costs_one_results_listing_a_head_each_and_ten_sends(
    bucket: Bucket,
) -> None:
    for index in range(100):
        bucket.upload(f"inbox/batch/{index:03d}.pdf")
    for index in range(50):  # done documents around the batch do not widen its listing
        bucket.finish(bucket.upload(f"inbox/before/{index:03d}.pdf"))
        bucket.finish(bucket.upload(f"inbox/zafter/{index:03d}.pdf"))
    items = bucket.listed("inbox/batch/")
    counts = count_requests(bucket.session)

    summary = bucket.run(items)

    assert summary.queued == 100
    assert counts == Counter(
        {
            "ListObjectsV2 out-bucket": 1,
            "HeadObject in-bucket": 100,
            "SendMessageBatch": 10,
        }
    )


def test_keys_spread_beyond_the_listing_limit_are_asked_one_by_one(
    bucket: Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two pages of two keys: the listing of the results stops short of the later documents.
    monkeypatch.setattr(backfill_module, "LIST_PAGE", 2)
    monkeypatch.setattr(backfill_module, "MAX_RESULT_PAGES", 2)
    early, late = bucket.upload("inbox/a.pdf"), bucket.upload("inbox/z.pdf")
    bucket.finish(early)
    bucket.finish(late)
    fresh = bucket.upload("inbox/m.pdf")
    counts = count_requests(bucket.session)

    summary = bucket.run(bucket.listed())

    assert (summary.queued, summary.skipped_done) == (1, 2)
    assert [r.source for r in bucket.queued()] == [fresh]
    assert counts["ListObjectsV2 out-bucket"] == 2
    # m's and z's manifests lie past the four result keys listed: one HEAD each.
    assert counts["HeadObject out-bucket"] == 2


def test_the_batch_event_is_read_as_step_functions_sends_it() -> None:
    listed = BackfillBatch.model_validate(
        {
            "Items": [
                {
                    "Etag": '"05704fbdccb224cb01c59005bebbad28"',
                    "Key": "inbox/a.pdf",
                    "LastModified": 1668699881,
                    "Size": 34910,
                    "StorageClass": "STANDARD",
                }
            ],
            "BatchInput": {"reader": "listing", "execution": "arn:aws:states:...:execution:b:1"},
        }
    )
    (item,) = listed.items
    assert (item.key, item.size, item.etag) == (
        "inbox/a.pdf",
        34910,
        '"05704fbdccb224cb01c59005bebbad28"',
    )
    inventoried = BackfillBatch.model_validate(
        {
            "Items": [
                {"Bucket": "b", "Key": "k%C3%A9.pdf", "Size": "", "IsLatest": "false", "ETag": ""}
            ],
            "BatchInput": {"reader": "inventory"},
        }
    )
    (row,) = inventoried.items
    assert (row.size, row.is_latest, row.etag) == (None, False, None)
    with pytest.raises(ValidationError):
        BackfillBatch.model_validate({"Items": [{"Size": 1}], "BatchInput": {"reader": "listing"}})
    with pytest.raises(ValidationError):
        BackfillBatch.model_validate({"Items": [], "BatchInput": {"reader": "everything"}})


def test_without_its_queue_the_backfill_names_the_setting(bucket: Bucket) -> None:
    batch = BackfillBatch.model_validate({"Items": [], "BatchInput": {"reader": "listing"}})
    with pytest.raises(ConfigurationError, match="SCRIBA_START_QUEUE_URL"):
        backfill(batch, bucket.context(start_queue_url=None))
