"""The bucket: where every stage reads its input and writes its output.

One implementation (S3 through boto3) serves both executors: on a laptop the local executor points
boto3 at moto's S3 through ``AWS_ENDPOINT_URL``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from scriba.aws.clients import client
from scriba.aws.errors import service_errors
from scriba.models.document import S3Location

M = TypeVar("M", bound=BaseModel)

JSON = "application/json"


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    etag: str | None
    version_id: str | None = None
    content_type: str | None = None
    last_modified: datetime | None = None


class Storage:
    """Reads and writes objects; translates S3 errors into scriba's typed errors."""

    def __init__(self, s3: Any | None = None, document: str | None = None) -> None:
        self._s3 = s3 if s3 is not None else client("s3")
        self._document = document

    def _errors(self) -> Any:
        return service_errors("s3", self._document)

    @staticmethod
    def _version(location: S3Location) -> dict[str, str]:
        return {"VersionId": location.version_id} if location.version_id else {}

    def head(self, location: S3Location) -> StoredObject:
        with self._errors():
            meta = self._s3.head_object(
                Bucket=location.bucket, Key=location.key, **self._version(location)
            )
        return StoredObject(
            key=location.key,
            size=int(meta["ContentLength"]),
            etag=str(meta.get("ETag", "")).strip('"') or None,
            version_id=meta.get("VersionId"),
            content_type=meta.get("ContentType"),
        )

    def exists(self, location: S3Location) -> bool:
        with self._errors():
            listed = self._s3.list_objects_v2(
                Bucket=location.bucket, Prefix=location.key, MaxKeys=1
            )
        return any(item["Key"] == location.key for item in listed.get("Contents", []))

    def read_bytes(self, location: S3Location) -> bytes:
        with self._errors():
            body = self._s3.get_object(
                Bucket=location.bucket, Key=location.key, **self._version(location)
            )["Body"]
            data: bytes = body.read()
        return data

    def read_text(self, location: S3Location) -> str:
        return self.read_bytes(location).decode("utf-8")

    def read_model(self, location: S3Location, model: type[M]) -> M:
        return model.model_validate_json(self.read_bytes(location))

    def download(self, location: S3Location, path: Path, chunk: int = 8 * 1024 * 1024) -> str:
        """Streams the object to ``path`` (never whole in memory); returns its SHA-256."""
        digest = hashlib.sha256()
        with self._errors():
            body = self._s3.get_object(
                Bucket=location.bucket, Key=location.key, **self._version(location)
            )["Body"]
            with path.open("wb") as out:
                for part in iter(lambda: body.read(chunk), b""):
                    digest.update(part)
                    out.write(part)
        return digest.hexdigest()

    def write_bytes(self, location: S3Location, data: bytes, content_type: str) -> int:
        # A PUT is atomic: readers see the old object or the new one, never half of it.
        with self._errors():
            self._s3.put_object(
                Bucket=location.bucket, Key=location.key, Body=data, ContentType=content_type
            )
        return len(data)

    def write_text(self, location: S3Location, text: str, content_type: str) -> int:
        return self.write_bytes(location, text.encode("utf-8"), content_type)

    def write_model(self, location: S3Location, model: BaseModel) -> int:
        return self.write_bytes(
            location, model.model_dump_json(indent=2, exclude_none=False).encode("utf-8"), JSON
        )

    def upload(self, path: Path, location: S3Location, content_type: str) -> None:
        with self._errors():
            self._s3.upload_file(
                str(path), location.bucket, location.key, ExtraArgs={"ContentType": content_type}
            )

    def copy(self, source: S3Location, target: S3Location) -> None:
        with self._errors():
            self._s3.copy_object(
                Bucket=target.bucket,
                Key=target.key,
                CopySource={"Bucket": source.bucket, "Key": source.key, **self._version(source)},
            )

    def list(self, prefix: S3Location) -> Iterator[StoredObject]:
        """Every object under ``prefix`` (its key taken as a folder), paginated."""
        folder = prefix.key.rstrip("/") + "/"
        paginator = self._s3.get_paginator("list_objects_v2")
        with self._errors():
            for page in paginator.paginate(Bucket=prefix.bucket, Prefix=folder):
                for item in page.get("Contents", []):
                    yield StoredObject(
                        key=item["Key"],
                        size=int(item["Size"]),
                        etag=str(item.get("ETag", "")).strip('"') or None,
                        last_modified=item.get("LastModified"),
                    )

    def delete(self, location: S3Location) -> None:
        """Deletes an intermediate file. Never called on a source object."""
        with self._errors():
            self._s3.delete_object(Bucket=location.bucket, Key=location.key)
