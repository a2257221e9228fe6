"""Sweep: find the documents the pipeline missed, and re-run the ones that failed.

A document is done when its ``manifest.json`` exists: finalize writes it last, for a success and
for a failure alike. Every input (under the configured prefix and suffix) without one, and older
than a grace period, was missed: an event lost on the way, a start that dead-lettered, or an
execution that ended without a record (aborted, or past the workflow's own timeout). The sweeper
sends such documents to the upload queue as re-drive requests, which the starter turns into
executions exactly as it does upload events.

Nothing loops for ever:

* An execution name is derived from the object version and the attempt number, so sending the
  same request twice starts one execution (the starter takes ``ExecutionAlreadyExists`` as done).
* Before re-sending a missed document the sweeper asks Step Functions about its executions: a
  running one is left alone; one that ended without a manifest is followed by the next attempt.
  After ``sweep_max_attempts`` re-runs the sweeper writes the failure record itself (reason
  ``gave_up`` is not retried again), so the document stops being "missed".
* Failed documents are re-run only on request (``{"redrive_failed": true}``), only when their
  failure looks transient (or with ``"all": true``), only for the current version of the key, and
  at most ``sweep_max_attempts`` times: the attempt is read back from the execution name in the
  manifest.
* Each sweep sends at most ``sweep_max_messages`` documents and makes at most ten times as many
  checks (execution look-ups, manifest reads); the next sweep continues.

Cost for 100,000 inputs: one listing of the input bucket (100 requests) and one of the results
(about 10 objects a document: 1,000 requests), instead of 100,000 HEAD requests.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from scriba import layout
from scriba.aws.errors import service_errors
from scriba.aws.executions import execution_arn, execution_status
from scriba.aws.storage import Storage
from scriba.config import Settings, SweepSettings, require
from scriba.context import Context
from scriba.errors import ERROR_TYPES
from scriba.layout import attempt_of
from scriba.models.base import Model
from scriba.models.document import S3Location, Source
from scriba.models.manifest import Manifest, Stage, Status
from scriba.stages.finalize import RecordFailureRequest, record_failure
from scriba.workflow import Options, PipelineInput, PipelineState, StageError, StageFailure

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef
    from mypy_boto3_stepfunctions import SFNClient

logger = logging.getLogger(__name__)

CHECKS_PER_MESSAGE = 10
SQS_BATCH = 10

# Failure reasons that a later run may not meet again: the retryable error classes, and what
# Step Functions and Lambda report for timeouts and crashes. Bad input is not among them.
TRANSIENT_REASONS: frozenset[str] = frozenset(
    {cls.reason for cls in ERROR_TYPES.values() if cls.retryable}
    | {"timeout", "task_failed", "function_crashed", "function_error", "internal_error"}
    | {"ocr_job_timed_out"}
)
GAVE_UP = "SweeperGaveUp"  # the error name of the failure record the sweeper writes


class SweepRequest(Model):
    """The event the sweeper is invoked with (the schedule sends ``{"redrive_failed": false}``)."""

    redrive_failed: bool = Field(
        default=False, description="Also re-run documents whose manifest says failed"
    )
    all: bool = Field(
        default=False,
        description="With redrive_failed: every failure, not only those that look transient",
    )
    max_messages: int | None = Field(
        default=None, ge=1, description="Documents sent at most (default: sweep_max_messages)"
    )
    start_after: str | None = Field(
        default=None, description="Resume a truncated sweep after this input key"
    )
    dry_run: bool = Field(default=False, description="Report what would be sent, send nothing")


class Resent(Model):
    key: str
    attempt: int
    why: Literal["missed", "ended_without_manifest", "failed"]


class SweepReport(Model):
    inputs: int = Field(default=0, description="Documents in the input bucket (prefix, suffix)")
    done: int = Field(default=0, description="With a manifest")
    recent: int = Field(default=0, description="Without a manifest, inside the grace period")
    queued: int = Field(
        default=0,
        description="Without a manifest, left alone while documents wait for admission (it may "
        "be one of them)",
    )
    running: int = Field(default=0, description="Without a manifest, their execution running")
    failed: int = Field(default=0, description="Failed manifests read (redrive_failed)")
    not_transient: int = Field(default=0, description="Failures not re-run: bad input")
    superseded: int = Field(default=0, description="Failures of a version no longer current")
    gave_up: int = Field(default=0, description="Failure records written after the last attempt")
    exhausted: int = Field(default=0, description="Failures not re-run: attempts used up")
    sent: list[Resent] = Field(default_factory=list)
    truncated: bool = Field(default=False, description="A limit was reached: sweep again")
    resume_after: str | None = Field(
        default=None, description="Pass as start_after to continue where this sweep stopped"
    )
    dry_run: bool = False


@dataclass(frozen=True)
class InputObject:
    source: Source
    last_modified: datetime


def input_objects(s3: S3Client, settings: Settings, bucket: str) -> Iterator[InputObject]:
    """The current version of every document in the input bucket, in key order.

    Versions are listed (not just keys) because the version id is what the upload event carried:
    the same version gives the same execution name, so a document still in flight is not started
    twice."""
    paginator = s3.get_paginator("list_object_versions")
    with service_errors("s3"):
        for page in paginator.paginate(Bucket=bucket, Prefix=settings.input_prefix):
            for version in page.get("Versions", []):
                key = version["Key"]
                if not version.get("IsLatest") or not layout.is_document_key(key, settings):
                    continue
                version_id = version.get("VersionId")
                yield InputObject(
                    source=Source(
                        bucket=bucket,
                        key=key,
                        # An unversioned object is listed as version "null"; its event has none.
                        version_id=None if version_id in (None, "null") else version_id,
                        etag=str(version.get("ETag", "")).strip('"') or None,
                        size=int(version.get("Size", 0)),
                    ),
                    last_modified=version["LastModified"],
                )


def manifest_keys(storage: Storage, settings: Settings) -> set[str]:
    """Keys of every manifest in the output bucket, from one listing of the results prefix."""
    results = S3Location(bucket=settings.output_bucket, key=settings.results_prefix)
    suffix = "/" + layout.MANIFEST
    return {stored.key for stored in storage.list(results) if stored.key.endswith(suffix)}


def manifest_key(settings: Settings, source: Source) -> str:
    """The key of a document's manifest: the document is done when it exists."""
    return layout.output_prefix(settings, source).child(layout.MANIFEST).key


class Outbox:
    """Re-drive requests for the upload queue, sent ten to a request."""

    def __init__(self, sqs: SQSClient, queue_url: str, dry_run: bool) -> None:
        self._sqs = sqs
        self._url = queue_url
        self._dry_run = dry_run
        self._pending: list[PipelineInput] = []

    def add(self, request: PipelineInput) -> None:
        self._pending.append(request)
        if len(self._pending) == SQS_BATCH:
            self.flush()

    def flush(self) -> None:
        batch, self._pending = self._pending, []
        if not batch or self._dry_run:
            return
        entries: list[SendMessageBatchRequestEntryTypeDef] = [
            {"Id": str(index), "MessageBody": request.model_dump_json(exclude_none=True)}
            for index, request in enumerate(batch)
        ]
        with service_errors("sqs"):
            response = self._sqs.send_message_batch(QueueUrl=self._url, Entries=entries)
        failed = response.get("Failed", [])
        if failed:
            # Raising fails the sweep (its dead-letter queue and alarm tell); what was sent stays
            # sent and the next sweep finds the rest.
            reasons = ", ".join(f"{item.get('Code')}: {item.get('Message')}" for item in failed)
            raise RuntimeError(
                f"the upload queue refused {len(failed)} re-drive requests: {reasons}"
            )


class Sweeper:
    def __init__(self, request: SweepRequest, ctx: Context[Any], now: datetime) -> None:
        # The bucket to list and the queue to send to are required: ConfigurationError otherwise.
        settings = require(ctx.settings, SweepSettings)
        self.request = request
        self.settings = settings
        self.input_bucket = settings.input_bucket
        self.s3: S3Client = ctx.clients.s3
        self.storage = ctx.storage
        self.sfn: SFNClient = ctx.clients.stepfunctions
        self.now = now
        self._ctx = ctx
        self.max_messages = request.max_messages or settings.sweep_max_messages
        self.checks_left = self.max_messages * CHECKS_PER_MESSAGE
        self.report = SweepReport(dry_run=request.dry_run)
        self.outbox = Outbox(ctx.clients.sqs, settings.start_queue_url, request.dry_run)

    # -- limits ----------------------------------------------------------------------------------

    def _room(self) -> bool:
        return len(self.report.sent) < self.max_messages and self.checks_left > 0

    def _check(self) -> None:
        self.checks_left -= 1

    def _send(
        self,
        source: Source,
        attempt: int,
        why: Literal["missed", "ended_without_manifest", "failed"],
        languages: list[str] | None = None,
    ) -> None:
        options = Options(languages=languages or None, attempt=attempt)
        self.outbox.add(PipelineInput(source=source, options=options))
        self.report.sent.append(Resent(key=source.key, attempt=attempt, why=why))
        logger.info("sweep: %s %s (attempt %d)", why, source.key, attempt)

    # -- what Step Functions knows ---------------------------------------------------------------

    def _execution_status(self, source: Source, attempt: int) -> tuple[str, str] | None:
        """(status, execution ARN) of the execution for this attempt, None if there is none."""
        assert self.settings.state_machine_arn
        arn = execution_arn(self.settings.state_machine_arn, layout.execution_name(source, attempt))
        self._check()
        status = execution_status(self.sfn, arn, source.key)
        return (status, arn) if status is not None else None

    # -- the two passes --------------------------------------------------------------------------

    def missed(self, document: InputObject) -> None:
        """An input without a manifest, older than the grace period."""
        source = document.source
        if not self.settings.state_machine_arn:
            self._send(source, 0, "missed")  # no way to look: a duplicate start is harmless
            return
        last: tuple[str, str] | None = None
        for attempt in range(self.settings.sweep_max_attempts + 1):
            if not self._room():
                self.report.truncated = True
                return
            found = self._execution_status(source, attempt)
            if found is None:
                self._send(source, attempt, "missed" if attempt == 0 else "ended_without_manifest")
                return
            if found[0] == "RUNNING":
                self.report.running += 1
                return
            last = found
        assert last is not None
        self._give_up(source, last)

    def _give_up(self, source: Source, last: tuple[str, str]) -> None:
        """Every attempt ended without a manifest: record the failure, so the sweeps stop."""
        status, arn = last
        attempts = self.settings.sweep_max_attempts + 1
        cause = (
            f"{source.key}: {attempts} executions ended without a result "
            f"(the last {status}: {arn}); the sweeper gave up. Upload the document again, or "
            'raise the attempt limit and invoke the sweeper with {"redrive_failed": true, '
            '"all": true}.'
        )
        self.report.gave_up += 1
        if self.request.dry_run:
            return
        state = PipelineState(
            source=source,
            failure=StageFailure(
                stage=Stage.FINALIZE, error=StageError(Error=GAVE_UP, Cause=cause)
            ),
        )
        record_failure(RecordFailureRequest(action="fail", state=state, execution=arn), self._ctx)

    def failed(self, document: InputObject, manifest_key: str) -> None:
        """A manifest exists: re-run the document if it failed in a way worth another try."""
        self._check()
        manifest = self.storage.read_model(
            S3Location(bucket=self.settings.output_bucket, key=manifest_key), Manifest
        )
        if manifest.status is not Status.FAILED:
            return
        self.report.failed += 1
        if manifest.source.key != document.source.key or layout.document_id(
            manifest.source
        ) != layout.document_id(document.source):
            self.report.superseded += 1  # a newer upload has (or will have) its own run
            return
        reason = manifest.failure.reason if manifest.failure else "internal_error"
        gave_up = manifest.failure is not None and manifest.failure.error_type == GAVE_UP
        if not self.request.all and (gave_up or reason not in TRANSIENT_REASONS):
            self.report.not_transient += 1
            return
        attempt = attempt_of(manifest.execution) + 1
        if attempt > self.settings.sweep_max_attempts:
            self.report.exhausted += 1
            return
        self._send(document.source, attempt, "failed", manifest.languages)

    def backlog(self) -> bool:
        """Do documents wait for admission? A burst or a backfill keeps them in the waiting queue
        for hours, none with a manifest yet: re-sending them as missed would only queue copies.
        (The upload queue is not asked: under a steady stream it is never empty, and the sweeper
        would never sweep.)"""
        url = self.settings.waiting_queue_url
        if not url:
            return False
        with service_errors("sqs"):
            attributes = self._ctx.clients.sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )["Attributes"]
        waiting = sum(int(value) for value in attributes.values())
        if waiting:
            logger.info("sweep: %d documents wait for admission; missed ones are left", waiting)
        return waiting > 0

    def run(self) -> SweepReport:
        manifests = manifest_keys(self.storage, self.settings)
        backlog = self.backlog()
        cutoff = self.now - timedelta(minutes=self.settings.sweep_grace_minutes)
        start_after = self.request.start_after
        last_key: str | None = None
        for document in input_objects(self.s3, self.settings, self.input_bucket):
            key = document.source.key
            if start_after is not None and key <= start_after:
                continue
            if not self._room():
                self.report.truncated = True
                break
            self.report.inputs += 1
            manifest = manifest_key(self.settings, document.source)
            if manifest in manifests:
                self.report.done += 1
                if self.request.redrive_failed:
                    self.failed(document, manifest)
            elif document.last_modified > cutoff:
                self.report.recent += 1
            elif backlog:
                self.report.queued += 1
            else:
                self.missed(document)
            last_key = key
        self.outbox.flush()
        if self.report.truncated:
            self.report.resume_after = last_key
        logger.info(
            "sweep: %d inputs, %d done, %d sent%s",
            self.report.inputs,
            self.report.done,
            len(self.report.sent),
            " (truncated)" if self.report.truncated else "",
        )
        return self.report


def sweep(request: SweepRequest, ctx: Context[Any], now: datetime | None = None) -> SweepReport:
    """Sends missed documents (and, on request, failed ones) to the upload queue."""
    return Sweeper(request, ctx, now or datetime.now(UTC)).run()
