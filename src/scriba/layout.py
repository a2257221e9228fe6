"""Where things live: document ids, execution names and the layout of the output bucket.

    <results_prefix>/<source key>/manifest.json     written last
                                 /text.json, text.txt, tags.json, summary.json
                                 /images/001.jpg ...
                                 /translations/<lang>.json
                                 /audio/<lang>.mp3
    <work_prefix>/<document id>/...                  intermediate files (expire by lifecycle rule)

Keys come from users: they are sanitised before they become part of another key or a local path.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from scriba.config import Settings
from scriba.document import S3Location, Source

MANIFEST = "manifest.json"
TEXT = "text.json"
PLAIN_TEXT = "text.txt"
TAGS = "tags.json"
SUMMARY = "summary.json"


def translation_path(language: str) -> str:
    return f"translations/{language}.json"


def audio_path(language: str) -> str:
    return f"audio/{language}.mp3"


def image_path(index: int, media_type: str) -> str:
    extension = "png" if media_type == "image/png" else "jpg"
    return f"images/{index:03d}.{extension}"


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]+")


def safe_key(key: str) -> str:
    """A relative key that cannot escape its prefix: no '..', no absolute path, no control chars.

    Unicode letters, spaces and other printable characters are kept: they are legal in keys and
    people recognise their file names.
    """
    key = unicodedata.normalize("NFC", key)
    key = _CONTROL.sub("_", key).replace("\\", "/")
    parts = [part for part in key.split("/") if part not in ("", ".", "..")]
    if not parts:
        return "_"
    return "/".join(parts)


def document_id(source: Source) -> str:
    """Same object version, same id: the basis of the idempotent execution name."""
    identity = f"{source.bucket}/{source.key}@{source.version_id or source.etag or ''}"
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()[:24]


def execution_name(source: Source, attempt: int = 0) -> str:
    """A Step Functions execution name (<= 80 chars of [A-Za-z0-9_-]) unique per object version.

    Starting the same name twice is refused with ExecutionAlreadyExists: that is what makes a
    re-delivered event harmless. A forced re-run adds ``attempt``.
    """
    stem = source.key.rsplit("/", 1)[-1]
    stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    stem = _NAME_CHARS.sub("-", stem).strip("-")[:40] or "document"
    suffix = f"-r{attempt}" if attempt else ""
    return f"{stem}-{document_id(source)}{suffix}"


def output_prefix(settings: Settings, source: Source) -> S3Location:
    return S3Location(
        bucket=settings.output_bucket, key=f"{settings.results_prefix}/{safe_key(source.key)}"
    )


def work_prefix(settings: Settings, identifier: str) -> S3Location:
    return S3Location(bucket=settings.output_bucket, key=f"{settings.work_prefix}/{identifier}")


def cache_entry(settings: Settings, sha256: str) -> S3Location:
    """Content-hash index: the same bytes under another key reuse earlier results."""
    return S3Location(
        bucket=settings.output_bucket, key=f"{settings.work_prefix}/by-sha256/{sha256}.json"
    )
