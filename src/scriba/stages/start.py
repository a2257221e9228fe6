"""Start: turn an upload event into exactly one workflow execution, when there is room.

The execution name is derived from bucket, key and version (or ETag), so a re-delivered event asks
for the same name again and Step Functions refuses it with ``ExecutionAlreadyExists``: that refusal
is success. Duplicate events never produce two result sets.

Admission control (``SCRIBA_ADMISSION_TABLE``): before starting, the starter takes one of
``max_documents_in_flight`` slots for the execution's name (``scriba.aws.admission``). When none
is free the message is parked in the waiting queue, unchanged, and the admitter
(``scriba.stages.admission``) starts it when an execution ends: a burst waits in a queue, where
waiting costs nothing, instead of in the AI services' throttling retries.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.parser.models import S3EventNotificationEventBridgeModel
from pydantic import Field

from scriba import layout
from scriba.aws.admission import Slots, Take
from scriba.aws.errors import service_errors
from scriba.aws.executions import start_execution
from scriba.aws.storage import Storage
from scriba.config import StartSettings
from scriba.context import Context
from scriba.errors import ConfigurationError, PermanentError, SourceNotFound
from scriba.models.base import Model
from scriba.models.document import S3Location, Source
from scriba.workflow import Options, PipelineInput

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

logger = logging.getLogger(__name__)

# The starter's settings or the admitter's (which starts waiting documents the same way).
Starting = TypeVar("Starting", bound=StartSettings)


# A slot's lease outlives the longest execution (the state machine's TimeoutSeconds, 6 hours,
# which a test keeps below this) by a quarter of an hour: past it the slot is freed whatever the
# execution's fate, so no slot waits for ever on a lost end event.
LEASE_SECONDS = 6 * 3600 + 15 * 60


class Started(Model):
    execution_arn: str
    name: str
    created: bool = Field(
        description="False when Step Functions refused a duplicate (ExecutionAlreadyExists); a "
        "duplicate of a still-running execution is answered with that execution instead"
    )


def start_document(
    source: Source,
    state_machine_arn: str,
    options: Options | None = None,
    attempt: int = 0,
    *,
    sfn: SFNClient,
) -> Started:
    """Starts the workflow for one object version, once."""
    name = layout.execution_name(source, attempt or (options.attempt if options else 0))
    payload = PipelineInput(source=source, options=options or Options())
    arn, created = start_execution(
        sfn, state_machine_arn, name, payload.model_dump_json(exclude_none=True), source.key
    )
    if created:
        logger.info("started %s for %s", name, source.key)
    else:
        logger.info("duplicate event for %s: execution %s exists", source.key, name)
    return Started(execution_arn=arn, name=name, created=created)


def resolve_key(
    storage: Storage,
    bucket: str,
    key: str,
    version_id: str | None = None,
    etag: str | None = None,
) -> str:
    """The real key of an object named in an event.

    S3 event notifications URL-encode keys ("red flower.jpg" arrives as "red+flower.jpg"). The key
    as given is tried first, because "a+b.pdf" may be a real name; then its decoded form. When
    both name objects ("a+b.pdf" and "a b.pdf" both exist), the event's version id, or else its
    ETag, tells which of them the event is about.
    """
    candidates = [key]
    decoded = unquote_plus(key)
    if decoded != key:
        candidates.append(decoded)
    found = [c for c in candidates if storage.exists(S3Location(bucket=bucket, key=c))]
    if not found:
        raise SourceNotFound(
            f"no object s3://{bucket}/{key} (nor its URL-decoded form)", document=key
        )
    if len(found) > 1 and (version_id or etag):
        for candidate in found:
            if _is_the_object(storage, S3Location(bucket=bucket, key=candidate), version_id, etag):
                return candidate
    return found[0]


def _is_the_object(
    storage: Storage, location: S3Location, version_id: str | None, etag: str | None
) -> bool:
    """Whether the object at ``location`` has this version id (or, without one, this ETag)."""
    try:
        if version_id:
            storage.head(location.model_copy(update={"version_id": version_id}))
            return True
        return storage.head(location).etag == (etag or "").strip('"')
    except PermanentError:  # no such version of this key (S3 answers 404 or 400)
        return False


def source_from_s3_event(event: S3EventNotificationEventBridgeModel, storage: Storage) -> Source:
    """The source named by an EventBridge ``Object Created`` event."""
    bucket = event.detail.bucket.name
    obj = event.detail.object
    key = resolve_key(storage, bucket, obj.key, obj.version_id, obj.etag)
    size = int(obj.size) if obj.size is not None else None
    return Source(bucket=bucket, key=key, version_id=obj.version_id, etag=obj.etag, size=size)


def request_from_message(body: str, storage: Storage) -> tuple[Source, Options]:
    """A queue message: an EventBridge S3 event, or a re-drive request (a PipelineInput)."""
    message = json.loads(body)
    if isinstance(message, dict) and message.get("source") == "aws.s3":
        obj = message.get("detail", {}).get("object", {})
        if "eTag" in obj and "etag" not in obj:  # moto's spelling; S3 sends "etag"
            obj["etag"] = obj.pop("eTag")
        event = S3EventNotificationEventBridgeModel.model_validate(message)
        return source_from_s3_event(event, storage), Options()
    request = PipelineInput.model_validate(message)
    return request.source, request.options


class Skipped(Model):
    """A message about a key that is not a document (a folder marker, or outside the input
    prefix or suffix): nothing is started, and the message is done."""

    key: str
    reason: str


def message_key(body: str) -> str:
    """The key a queue message names, as the message spells it (an S3 event's may be
    URL-encoded)."""
    message = json.loads(body)
    if isinstance(message, dict) and message.get("source") == "aws.s3":
        return str(message.get("detail", {}).get("object", {}).get("key", ""))
    return PipelineInput.model_validate(message).source.key


class Parked(Model):
    """A document that found every slot taken: it waits in the waiting queue."""

    key: str
    name: str
    limit: int = Field(description="The documents in flight it waits behind")


def start_from_message(
    body: str, ctx: Context[Starting], *, waiting: bool = False
) -> Started | Skipped | Parked:
    """Starts the workflow for one queue message, unless its key is not a document or every
    admission slot is taken (then the message is parked in the waiting queue; a message that
    comes ``waiting`` from there is left for the caller to keep)."""
    key = message_key(body)
    # As the event spells it or URL-decoded: resolve_key tries both.
    if not (
        layout.is_document_key(key, ctx.settings)
        or layout.is_document_key(unquote_plus(key), ctx.settings)
    ):
        logger.info("not a document (a folder, or outside the prefix or suffix): %s", key)
        return Skipped(key=key, reason="not_a_document")
    source, options = request_from_message(body, ctx.storage)
    settings = ctx.settings
    if not settings.admission_table:
        return start_document(
            source,
            settings.state_machine_arn,
            options,
            options.attempt,
            sfn=ctx.clients.stepfunctions,
        )
    name = layout.execution_name(source, options.attempt)
    slots = Slots(ctx.clients.dynamodb, settings.admission_table)
    took = slots.take(name, settings.max_documents_in_flight, datetime.now(UTC), LEASE_SECONDS)
    if took is Take.FULL:
        if not waiting:
            park(body, source.key, ctx)
        return Parked(key=source.key, name=name, limit=settings.max_documents_in_flight)
    try:
        started = start_document(
            source,
            settings.state_machine_arn,
            options,
            options.attempt,
            sfn=ctx.clients.stepfunctions,
        )
    except BaseException:
        if took is Take.TAKEN:
            slots.release(name)
        raise
    if not started.created and took is Take.TAKEN:
        # The execution exists already (it ran before): it holds no slot of this start's.
        slots.release(name)
    return started


def park(body: str, document: str, ctx: Context[Starting]) -> None:
    """Puts a message in the waiting queue, as it came."""
    queue = ctx.settings.waiting_queue_url
    if not queue:
        raise ConfigurationError(
            "SCRIBA_WAITING_QUEUE_URL is not set: with admission control (SCRIBA_ADMISSION_TABLE) "
            "the starter needs the waiting queue (template.yaml sets both)"
        )
    with service_errors("sqs", document):
        ctx.clients.sqs.send_message(QueueUrl=queue, MessageBody=body)
    logger.info("every slot is taken: %s waits in the waiting queue", document)
