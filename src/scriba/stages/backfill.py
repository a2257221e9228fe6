"""Backfill: send the documents of an existing bucket, which no event announced, through the
pipeline.

``statemachine/backfill.asl.json`` is a Distributed Map: it lists the input bucket (or reads an
S3 Inventory manifest) and hands this function batches of about a hundred items. For each item
this function decides as the sweeper does, and sends what is left to the upload queue as the
sweeper's re-drive requests (``PipelineInput``), so the starter paces them with the same admission
control as uploads and every document runs the same per-document workflow. It starts nothing
itself.

An item is skipped when

* its key is not a document (``layout.is_document_key``: outside the input prefix or suffix, or a
  folder marker), it is in another bucket than the stack's input bucket, or (an inventory row) it
  is a delete marker or not the current version;
* the document already has a ``manifest.json`` (it is done, succeeded or failed: re-running
  failures is the sweeper's ``redrive_failed``, on request);
* it no longer exists (deleted since the listing or the inventory was made).

What a batch of 100 costs. Whether a document is done is decided by one listing of the results
of the batch's documents (a batch is consecutive keys of a listing, so their result folders are
consecutive too: one or two ``ListObjectsV2`` pages of about ten objects a document, or one empty
page for documents never processed), not by 100 HEAD requests of manifest keys; only if the
batch's keys are spread so far apart that ``MAX_RESULT_PAGES`` pages do not reach the last one
(an inventory's rows across its files) are the rest asked one HEAD each. Each document then
queued costs one HEAD of its source, for the version id: the same version gives the same
execution name as its upload event would have (``layout.execution_name``), so a document that is
in flight, or was uploaded again meanwhile, is never started twice. Messages go ten to a
``SendMessageBatch`` request.

Re-running a backfill is harmless: documents done by then are skipped, and a request the starter
already turned into an execution is refused by Step Functions as ``ExecutionAlreadyExists``. A
document whose execution ended without a manifest is the sweeper's (it knows the attempts).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote_plus

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

from scriba import layout
from scriba.aws.errors import service_errors
from scriba.config import BackfillSettings, require
from scriba.context import Context
from scriba.errors import SourceNotFound
from scriba.models.base import Model
from scriba.models.document import S3Location, Source
from scriba.stages.start import resolve_key
from scriba.stages.sweep import Outbox, manifest_key
from scriba.workflow import Options, PipelineInput

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

logger = logging.getLogger(__name__)

MAX_RESULT_PAGES = 3  # listing pages of results per batch before the rest are HEADed one by one
LIST_PAGE = 1000  # ListObjectsV2's most keys per page


Skip = Literal["not_document", "gone"]


def _blank_is_none(value: object) -> object:
    return None if value == "" else value


class BackfillItem(BaseModel):
    """One item of the Distributed Map's reader.

    From ``s3:listObjectsV2``: ``Key``, ``Size``, ``Etag``, ``LastModified``, ``StorageClass``.
    From an S3 Inventory manifest (CSV): one row, named by the inventory's ``fileSchema`` and
    every value a string: ``Bucket``, ``Key`` (URL-encoded), and when the inventory has them
    ``VersionId``, ``IsLatest``, ``IsDeleteMarker``, ``Size``, ``ETag``...

    Other fields (they vary with the reader and the inventory's columns) are ignored: what is
    used is validated, and the decision that matters (version, done or not) is made from S3 now,
    not from a listing or an inventory that may be a day old.
    """

    model_config = ConfigDict(extra="ignore", populate_by_name=True, defer_build=True)

    key: str = Field(validation_alias="Key", min_length=1)
    bucket: str | None = Field(default=None, validation_alias="Bucket")
    version_id: str | None = Field(default=None, validation_alias="VersionId")
    is_latest: bool | None = Field(default=None, validation_alias="IsLatest")
    is_delete_marker: bool | None = Field(default=None, validation_alias="IsDeleteMarker")
    size: int | None = Field(default=None, ge=0, validation_alias="Size")
    etag: str | None = Field(default=None, validation_alias=AliasChoices("Etag", "ETag"))

    _blanks = field_validator(
        "bucket", "version_id", "is_latest", "is_delete_marker", "size", "etag", mode="before"
    )(_blank_is_none)


class BatchInput(Model):
    """What the state machine adds to every batch (``ItemBatcher.BatchInput``)."""

    reader: Literal["listing", "inventory"] = Field(
        description="Where the items come from; an inventory's keys are URL-encoded"
    )
    execution: str | None = Field(default=None, description="The backfill execution, for logs")


class BackfillBatch(Model):
    """The event a Distributed Map child execution invokes the function with."""

    items: list[BackfillItem] = Field(validation_alias="Items", max_length=10_000)
    batch_input: BatchInput = Field(validation_alias="BatchInput")


class BackfillSummary(Model):
    """What one batch did (counts only: the Map Run's results stay small)."""

    items: int = 0
    queued: int = Field(default=0, description="Sent to the upload queue")
    skipped_done: int = Field(default=0, description="Already have a manifest.json")
    skipped_not_document: int = Field(
        default=0,
        description="Outside the prefix or suffix, folder markers, another bucket, delete "
        "markers and old versions",
    )
    skipped_gone: int = Field(default=0, description="No longer in the bucket")


def _common_prefix(first: str, last: str) -> str:
    """The characters ``first`` and ``last`` start with (of sorted keys: all of them do). S3
    prefixes are strings, not paths."""
    size = 0
    while size < min(len(first), len(last)) and first[size] == last[size]:
        size += 1
    return first[:size]


def _done(s3: S3Client, bucket: str, manifests: list[str]) -> tuple[set[str], set[str]]:
    """Which of these manifest keys exist, from a listing of the range they span: (found, not
    reached by ``MAX_RESULT_PAGES`` pages, to be asked one by one)."""
    ordered = sorted(set(manifests))
    if not ordered:
        return set(), set()
    wanted, last = set(ordered), ordered[-1]
    found: set[str] = set()
    seen: str | None = None
    paginator = s3.get_paginator("list_objects_v2")
    pages = paginator.paginate(
        Bucket=bucket,
        # The common prefix keeps the listing inside the batch's folders (and inside the
        # documents/ prefix the role allows); StartAfter, strictly before the first manifest.
        Prefix=_common_prefix(ordered[0], last),
        StartAfter=ordered[0][:-1],
        PaginationConfig={"PageSize": LIST_PAGE, "MaxItems": LIST_PAGE * MAX_RESULT_PAGES},
    )
    with service_errors("s3"):
        for page in pages:
            for item in page.get("Contents", []):
                key = item["Key"]
                if key > last:
                    return found, set()
                if key in wanted:
                    found.add(key)
                seen = key
            if not page.get("IsTruncated"):
                return found, set()
    # MaxItems reached before the last manifest key: the rest are not decided by the listing.
    return found, {key for key in ordered if seen is None or key > seen}


def _exists(s3: S3Client, location: S3Location) -> bool:
    try:
        with service_errors("s3", location.key):
            s3.head_object(Bucket=location.bucket, Key=location.key)
    except SourceNotFound:
        return False
    return True


class Backfill:
    def __init__(self, batch: BackfillBatch, ctx: Context[Any]) -> None:
        # The input bucket and the upload queue are required: ConfigurationError otherwise.
        self.settings = require(ctx.settings, BackfillSettings)
        self.batch = batch
        self.s3: S3Client = ctx.clients.s3
        self.storage = ctx.storage
        self.outbox = Outbox(ctx.clients.sqs, self.settings.start_queue_url, dry_run=False)
        self.summary = BackfillSummary(items=len(batch.items))

    def _key(self, item: BackfillItem) -> tuple[str | None, Skip | None]:
        """The item's real key if it names a current document of the input bucket; else None
        and why."""
        settings = self.settings
        if (item.bucket or settings.input_bucket) != settings.input_bucket:
            return None, "not_document"
        if item.is_delete_marker or item.is_latest is False:
            return None, "not_document"
        key = item.key
        if self.batch.batch_input.reader == "inventory" and unquote_plus(key) != key:
            # Inventory CSV keys are URL-encoded; as with an event's key, the key as given may
            # be a real name too ("a+b.pdf"): resolve_key tries both forms.
            if not (
                layout.is_document_key(key, settings)
                or layout.is_document_key(unquote_plus(key), settings)
            ):
                return None, "not_document"
            try:
                key = resolve_key(self.storage, settings.input_bucket, key)
            except SourceNotFound:
                logger.info("backfill: gone since the inventory was made: %s", item.key)
                return None, "gone"
        if not layout.is_document_key(key, settings):
            return None, "not_document"
        return key, None

    def _current(self, key: str) -> Source | None:
        """The object's current version now, as its upload event would have named it."""
        try:
            head = self.storage.head(S3Location(bucket=self.settings.input_bucket, key=key))
        except SourceNotFound:
            return None
        return Source(
            bucket=self.settings.input_bucket,
            key=key,
            # An unversioned object answers no version (or "null"); its event has none.
            version_id=None if head.version_id in (None, "null") else head.version_id,
            etag=head.etag,
            size=head.size,
        )

    def run(self) -> BackfillSummary:
        keys: list[str] = []
        for item in self.batch.items:
            key, why = self._key(item)
            if key is not None:
                keys.append(key)
            elif why == "gone":
                self.summary.skipped_gone += 1
            else:
                self.summary.skipped_not_document += 1
        bucket = self.settings.input_bucket
        manifests = {
            key: manifest_key(self.settings, Source(bucket=bucket, key=key))
            for key in dict.fromkeys(keys)
        }
        found, undecided = _done(self.s3, self.settings.output_bucket, list(manifests.values()))
        for key, manifest in manifests.items():
            if manifest in found or (
                manifest in undecided
                and _exists(self.s3, S3Location(bucket=self.settings.output_bucket, key=manifest))
            ):
                self.summary.skipped_done += 1
                continue
            source = self._current(key)
            if source is None:
                self.summary.skipped_gone += 1
                continue
            self.outbox.add(PipelineInput(source=source, options=Options()))
            self.summary.queued += 1
        # A key listed twice in one batch (an inventory with two rows for it) is one document.
        self.summary.skipped_done += len(keys) - len(manifests)
        self.outbox.flush()
        logger.info(
            "backfill: %d items, %d queued, %d done, %d not documents, %d gone",
            self.summary.items,
            self.summary.queued,
            self.summary.skipped_done,
            self.summary.skipped_not_document,
            self.summary.skipped_gone,
        )
        return self.summary


def backfill(batch: BackfillBatch, ctx: Context[Any]) -> BackfillSummary:
    """Sends the batch's documents that have no manifest to the upload queue."""
    return Backfill(batch, ctx).run()
