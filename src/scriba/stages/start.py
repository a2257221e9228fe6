"""Start: turn an upload event into exactly one workflow execution.

The execution name is derived from bucket, key and version (or ETag), so a re-delivered event asks
for the same name again and Step Functions refuses it with ``ExecutionAlreadyExists``: that refusal
is success. Duplicate events never produce two result sets.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.parser.models import S3EventNotificationEventBridgeModel
from pydantic import Field

from scriba import layout
from scriba.aws.executions import start_execution
from scriba.aws.storage import Storage
from scriba.config import StartSettings
from scriba.context import Context
from scriba.errors import PermanentError, SourceNotFound
from scriba.models.base import Model
from scriba.models.document import S3Location, Source
from scriba.workflow import Options, PipelineInput

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

logger = logging.getLogger(__name__)


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


def start_from_message(body: str, ctx: Context[StartSettings]) -> Started | Skipped:
    """Starts the workflow for one queue message, unless its key is not a document."""
    key = message_key(body)
    # As the event spells it or URL-decoded: resolve_key tries both.
    if not (
        layout.is_document_key(key, ctx.settings)
        or layout.is_document_key(unquote_plus(key), ctx.settings)
    ):
        logger.info("not a document (a folder, or outside the prefix or suffix): %s", key)
        return Skipped(key=key, reason="not_a_document")
    source, options = request_from_message(body, ctx.storage)
    return start_document(
        source,
        ctx.settings.state_machine_arn,
        options,
        attempt=options.attempt,
        sfn=ctx.clients.stepfunctions,
    )
