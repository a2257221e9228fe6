"""The bucket: where every stage reads its input and writes its output.

One implementation (S3 through boto3) serves both executors: on a laptop the local executor points
boto3 at moto's S3 through ``AWS_ENDPOINT_URL``. Every result a stage makes is written with
``put_artifact``, which also describes it for the manifest.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, JsonValue

from scriba.aws.errors import service_errors
from scriba.models.document import S3Location
from scriba.models.manifest import Artifact, ArtifactKind

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CopySourceTypeDef

M = TypeVar("M", bound=BaseModel)

JSON = "application/json"
PLAIN_TEXT = "text/plain; charset=utf-8"
_SCALARS = frozenset({"string", "number", "boolean", "null"})


def _json(model: BaseModel) -> bytes:
    return model.model_dump_json(indent=2, exclude_none=False).encode("utf-8")


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    etag: str | None
    version_id: str | None = None
    content_type: str | None = None
    last_modified: datetime | None = None


class Storage:
    """Reads and writes objects; translates S3 errors into scriba's typed errors (the stages
    name the document in them)."""

    def __init__(self, s3: S3Client) -> None:
        self._s3 = s3

    @staticmethod
    def _errors() -> AbstractContextManager[None]:
        return service_errors("s3")

    @staticmethod
    def _object(location: S3Location) -> CopySourceTypeDef:
        """Bucket, key and (when the location names one) the version: a GET, HEAD or copy
        source of exactly that object."""
        request: CopySourceTypeDef = {"Bucket": location.bucket, "Key": location.key}
        if location.version_id:
            request["VersionId"] = location.version_id
        return request

    def head(self, location: S3Location) -> StoredObject:
        with self._errors():
            meta = self._s3.head_object(**self._object(location))
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
            body = self._s3.get_object(**self._object(location))["Body"]
            data: bytes = body.read()
        return data

    def read_text(self, location: S3Location) -> str:
        return self.read_bytes(location).decode("utf-8")

    def read_model(self, location: S3Location, model: type[M]) -> M:
        return model.model_validate_json(self.read_bytes(location))

    def json_items(self, location: S3Location, prefix: str) -> Iterator[Any]:
        """The items at ``prefix`` of a JSON object (ijson's prefixes: ``"pages.item"`` is each
        element of the top-level ``pages`` array), parsed one at a time as the body streams in:
        memory holds one item, not the object."""
        import ijson  # noqa: PLC0415  (only the stages that read big artifacts)

        with self._errors():
            body = self._s3.get_object(**self._object(location))["Body"]
            try:
                yield from ijson.items(body, prefix, use_float=True)
            finally:
                body.close()

    def json_head(self, location: S3Location, until: str) -> dict[str, Any]:
        """The top-level scalar fields of a JSON object that come before the key ``until``,
        read without reading past it (text.json's ``language`` before its ``pages``)."""
        import ijson  # noqa: PLC0415

        found: dict[str, Any] = {}
        with self._errors():
            body = self._s3.get_object(**self._object(location))["Body"]
            try:
                for prefix, event, value in ijson.parse(body, use_float=True):
                    if prefix == until:
                        break
                    if "." not in prefix and prefix and event in _SCALARS:
                        found[prefix] = value
            finally:
                body.close()
        return found

    def download(self, location: S3Location, path: Path, chunk: int = 8 * 1024 * 1024) -> str:
        """Streams the object to ``path`` (never whole in memory); returns its SHA-256."""
        digest = hashlib.sha256()
        with self._errors():
            body = self._s3.get_object(**self._object(location))["Body"]
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
        return self.write_bytes(location, _json(model), JSON)

    @contextmanager
    def local_copy(self, location: S3Location) -> Iterator[tuple[Path, str]]:
        """The object downloaded to a temporary file (deleted afterwards), with its SHA-256."""
        with tempfile.TemporaryDirectory(prefix="scriba-") as folder:
            path = Path(folder) / "source"
            digest = self.download(location, path)
            yield path, digest

    def put_artifact(
        self,
        folder: S3Location,
        path: str,
        kind: ArtifactKind,
        content: BaseModel | str | bytes | IO[bytes],
        *,
        media_type: str | None = None,
        language: str | None = None,
        details: dict[str, JsonValue] | None = None,
    ) -> Artifact:
        """Writes one result at ``path`` under ``folder`` and returns its manifest entry.

        A model is written as JSON, text as UTF-8 (``media_type`` defaults to JSON and to plain
        text); bytes, and an open file (streamed from its current position: a big result
        written to disk first), need their ``media_type``. The entry records the media type
        without its parameters ("text/plain", not "text/plain; charset=utf-8") and the size.
        """
        data: bytes | IO[bytes]
        if isinstance(content, BaseModel):
            data, content_type = _json(content), media_type or JSON
        elif isinstance(content, str):
            data, content_type = content.encode("utf-8"), media_type or PLAIN_TEXT
        elif media_type is None:
            raise ValueError(f"{path}: bytes and files need a media type")
        else:
            data, content_type = content, media_type
        if isinstance(data, bytes):
            size = self.write_bytes(folder.child(path), data, content_type)
        else:  # an open file, streamed
            size = self.upload_fileobj(data, folder.child(path), content_type)
        return Artifact(
            kind=kind,
            path=path,
            media_type=content_type.split(";", 1)[0].strip(),
            size=size,
            language=language,
            details=dict(details or {}),
        )

    def upload(self, path: Path, location: S3Location, content_type: str) -> None:
        with self._errors():
            self._s3.upload_file(
                str(path), location.bucket, location.key, ExtraArgs={"ContentType": content_type}
            )

    def upload_fileobj(self, body: IO[bytes], location: S3Location, content_type: str) -> int:
        """Streams an open file, from where it stands, into the bucket (multipart when big);
        returns the bytes sent. The transfer may close the file."""
        start = body.tell()
        size = body.seek(0, io.SEEK_END) - start
        body.seek(start)
        with self._errors():
            self._s3.upload_fileobj(
                body, location.bucket, location.key, ExtraArgs={"ContentType": content_type}
            )
        return size

    def lines(self, location: S3Location) -> Iterator[bytes]:
        """The object's lines, read as its body streams in (a JSON Lines file: a page a line)."""
        with self._errors():
            body = self._s3.get_object(**self._object(location))["Body"]
            try:
                yield from body.iter_lines(chunk_size=1024 * 1024)
            finally:
                body.close()

    def copy(self, source: S3Location, target: S3Location) -> None:
        with self._errors():
            self._s3.copy_object(
                Bucket=target.bucket,
                Key=target.key,
                CopySource=self._object(source),
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
