"""``scriba serve`` and ``scriba watch``: the local stack as a service.

``serve`` exposes the stack's S3 on a port (default 4566): any S3 client puts documents into
``scriba-input`` and reads results from ``scriba-output``; the template's trigger path does the
rest. ``watch`` does the same for a plain folder: files dropped into ``DIR/in`` come out in
``DIR/out``. Both mirror finished documents to a folder and rewrite the results pages.
"""

from __future__ import annotations

import hashlib
import json
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field

from scriba import layout
from scriba.aws.storage import Storage
from scriba.config import load_settings
from scriba.local.cloud import LocalCloud
from scriba.local.files import write_atomically
from scriba.local.run import export_results
from scriba.models.base import Model
from scriba.models.document import Source
from scriba.models.manifest import Manifest

if TYPE_CHECKING:
    from mypy_boto3_s3.type_defs import PutObjectRequestTypeDef
    from mypy_boto3_stepfunctions.type_defs import ExecutionListItemTypeDef

logger = logging.getLogger(__name__)

FINISHED = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


class ResultMirror(threading.Thread):
    """Copies each finished document's results to a folder and rewrites the results pages."""

    def __init__(
        self,
        cloud: LocalCloud,
        folder: Path,
        on_document: Callable[[str, Manifest | None, Path], None] | None = None,
        interval: float = 1.0,
    ) -> None:
        super().__init__(name="scriba-mirror", daemon=True)
        self.cloud = cloud
        self.folder = folder
        self.on_document = on_document
        self.interval = interval
        self._stopped = threading.Event()
        self._done: set[str] = set()
        self.storage = Storage(cloud.clients.s3)

    def stop(self) -> None:
        self._stopped.set()
        self.join(timeout=30)
        self.sync()  # what finished while stopping

    def run(self) -> None:
        while not self._stopped.wait(self.interval):
            try:
                self.sync()
            except Exception:  # keep mirroring; the next round retries
                logger.exception("mirroring results failed")

    def finished(self) -> Iterator[ExecutionListItemTypeDef]:
        paginator = self.cloud.sfn.get_paginator("list_executions")
        for page in paginator.paginate(stateMachineArn=self.cloud.state_machine_arn):
            for execution in page["executions"]:
                if execution["status"] in FINISHED and execution["executionArn"] not in self._done:
                    yield execution

    def sync(self) -> int:
        """Exports every newly finished document; returns how many."""
        exported = 0
        settings = load_settings()
        for execution in list(self.finished()):
            arn = execution["executionArn"]
            described = self.cloud.sfn.describe_execution(executionArn=arn)
            source = Source.model_validate(json.loads(described["input"])["source"])
            prefix = layout.output_prefix(settings, source)
            target = self.folder / layout.results_folder(settings, source)
            export_results(self.storage, prefix, target)
            self._done.add(arn)
            exported += 1
            if self.on_document is not None:
                self.on_document(source.key, _manifest(target), target)
        if exported:
            _write_report(self.folder)
        return exported


def _manifest(folder: Path) -> Manifest | None:
    """The exported record of a document; ``None`` if the execution left none (aborted)."""
    try:
        return Manifest.model_validate_json((folder / layout.MANIFEST).read_bytes())
    except (OSError, ValueError) as error:
        logger.warning("no readable manifest in %s: %s", folder, error)
        return None


def _write_report(folder: Path) -> None:
    from scriba.report import ReportError, write_report  # noqa: PLC0415

    try:
        write_report(folder)
    except ReportError as error:
        logger.warning("results pages not written: %s", error)


class SavedObject(Model):
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    content_type: str | None = None


class SavedBucket(Model):
    """What ``scriba serve --state`` keeps of one bucket: its objects by key."""

    objects: dict[str, SavedObject] = Field(default_factory=dict)


class BucketState:
    """Keeps the buckets' objects in a folder across restarts (moto keeps them in memory).

    Objects are stored by content, ``objects/<sha256>``, beside one index per bucket,
    ``<bucket>.json`` (key -> object). Keys are never turned into paths: any S3 key comes back
    as it was, whatever characters it holds and even when another key is its prefix (``a`` and
    ``a/b``); an object deleted from the bucket is dropped at the next save.
    """

    def __init__(self, cloud: LocalCloud, folder: Path) -> None:
        self.cloud = cloud
        self.folder = folder
        self.objects = folder / "objects"
        self.s3 = cloud.clients.s3

    def buckets(self) -> list[str]:
        return list(self.cloud.stack.buckets.values())

    def _index(self, bucket: str) -> Path:
        return self.folder / f"{bucket}.json"

    def restore(self) -> int:
        """Puts saved objects back, without starting their processing again."""
        restored = 0
        # Restoring is not an upload: no Object Created events while objects come back.
        notifying = list(self.cloud.stack.eventbridge_buckets)
        for bucket in notifying:
            self.s3.put_bucket_notification_configuration(
                Bucket=bucket, NotificationConfiguration={}
            )
        for bucket in self.buckets():
            index = self._index(bucket)
            if not index.is_file():
                continue
            saved = SavedBucket.model_validate_json(index.read_bytes())
            for key, item in saved.objects.items():
                body = (self.objects / item.sha256).read_bytes()
                request: PutObjectRequestTypeDef = {"Bucket": bucket, "Key": key, "Body": body}
                if item.content_type:
                    request["ContentType"] = item.content_type
                self.s3.put_object(**request)
                restored += 1
        for bucket in notifying:
            self.s3.put_bucket_notification_configuration(
                Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
            )
        return restored

    def save(self) -> int:
        saved = 0
        self.objects.mkdir(parents=True, exist_ok=True)
        kept: set[str] = set()
        for bucket in self.buckets():
            index = SavedBucket()
            paginator = self.s3.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=bucket):
                for item in page.get("Contents", []):
                    stored = self.s3.get_object(Bucket=bucket, Key=item["Key"])
                    body = stored["Body"].read()
                    digest = hashlib.sha256(body).hexdigest()
                    if not (self.objects / digest).is_file():
                        write_atomically(self.objects / digest, body)
                    index.objects[item["Key"]] = SavedObject(
                        sha256=digest, content_type=stored.get("ContentType")
                    )
                    kept.add(digest)
                    saved += 1
            write_atomically(self._index(bucket), index.model_dump_json(indent=1).encode())
        for blob in self.objects.iterdir():
            if blob.name not in kept:
                blob.unlink()
        return saved


class FolderWatch(threading.Thread):
    """Puts every file that appears (or changes) in ``inbox`` into the input bucket."""

    def __init__(self, cloud: LocalCloud, inbox: Path) -> None:
        super().__init__(name="scriba-watch", daemon=True)
        self.cloud = cloud
        self.inbox = inbox
        self._stop_event = threading.Event()
        self.s3 = cloud.clients.s3
        self._sent: dict[str, tuple[int, int]] = {}

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=10)

    def upload_new(self) -> int:
        """Uploads files that are new or changed since they were last sent."""
        sent = 0
        for path in sorted(self.inbox.rglob("*")):
            relative = path.relative_to(self.inbox)
            if not path.is_file() or any(part.startswith(".") for part in relative.parts):
                continue
            stat = path.stat()
            signature = (stat.st_size, stat.st_mtime_ns)
            key = relative.as_posix()
            if self._sent.get(key) == signature:
                continue
            with path.open("rb") as body:
                self.s3.put_object(Bucket=self.cloud.stack.input_bucket, Key=key, Body=body)
            self._sent[key] = signature
            sent += 1
        return sent

    def run(self) -> None:
        from watchfiles import watch  # noqa: PLC0415

        self.upload_new()  # what was there before we started
        # watchfiles debounces: a file being copied is uploaded once it has settled.
        for _ in watch(self.inbox, stop_event=self._stop_event, debounce=800, step=100):
            try:
                self.upload_new()
            except OSError as error:  # a file vanished between listing and reading
                logger.warning("could not upload from %s: %s", self.inbox, error)


def wait_until_interrupted(poll: float = 0.5) -> None:
    """Returns on the first Ctrl-C; later ones are ignored so that shutdown can finish."""
    try:
        while True:
            time.sleep(poll)
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
