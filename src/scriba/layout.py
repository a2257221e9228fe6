"""Where things live: document ids, execution names and the layout of the output bucket.

    <results_prefix>/<source key>/manifest.json     written last
                                 /text.json, text.txt, tags.json, summary.json
                                 /tables.json, tables/table-001.csv ...
                                 /images/001.jpg ...
                                 /translations/<lang>.json
                                 /audio/<lang>.mp3
    <work_prefix>/<document id>/...                  intermediate files (expire by lifecycle rule)
    <index_prefix>/sha256/<hash>.json                where the results of some content are
    backfill/<execution name>/<map run id>/...       what each backfill's Map Run did
                                                     (Step Functions' ResultWriter writes it)

Keys come from users: they are sanitised before they become part of another key or a local path.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from scriba.config import Settings
from scriba.models.document import S3Location, Source

MANIFEST = "manifest.json"
TEXT = "text.json"
PLAIN_TEXT = "text.txt"
TAGS = "tags.json"
SUMMARY = "summary.json"
TABLES = "tables.json"
# Where a backfill's Distributed Map writes its results (statemachine/backfill.asl.json and the
# BackfillRole in template.yaml name it too; tests/unit/test_backfill_definition.py keeps them
# in step).
BACKFILL_PREFIX = "backfill"


def table_csv_path(index: int) -> str:
    return f"tables/table-{index:03d}.csv"


def translation_path(language: str) -> str:
    return f"translations/{language}.json"


def audio_path(language: str) -> str:
    return f"audio/{language}.mp3"


def image_path(index: int, media_type: str) -> str:
    extension = "png" if media_type == "image/png" else "jpg"
    return f"images/{index:03d}.{extension}"


# Control characters (C0, DEL, C1), line and paragraph separators, the bidirectional embedding,
# override and isolate marks that make a name display as something it is not, and lone
# surrogates (not UTF-8: no key can hold them, an event's JSON can).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]+")

MAX_KEY_BYTES = 1024  # S3's limit on a key, in UTF-8 bytes
MAX_NAME_BYTES = 255  # most file systems' limit on one file or folder name
# Bytes kept free below a document's folder for the names the stages write there
# ("manifest.json", "translations/<lang>.json", "images/001.jpg", ...).
ARTIFACT_PATH_BYTES = 64
_DIGEST_CHARS = 12  # hex characters of the key's SHA-256 that keep a changed key apart


def safe_key(key: str) -> str:
    """A relative key that cannot escape its prefix: no '..', no absolute path, no control chars.

    Unicode letters, spaces and other printable characters are kept: they are legal in keys and
    people recognise their file names. Control characters, line separators and bidirectional
    overrides become ``_``; backslashes are separators.
    """
    key = unicodedata.normalize("NFC", key)
    key = _CONTROL.sub("_", key).replace("\\", "/")
    parts = [part for part in key.split("/") if part not in ("", ".", "..")]
    if not parts:
        return "_"
    return "/".join(parts)


def _cut(text: str, limit: int) -> str:
    """The longest prefix of ``text`` within ``limit`` UTF-8 bytes (never half a character)."""
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def document_folder(key: str, max_bytes: int = MAX_KEY_BYTES) -> str:
    """The folder of a source key's results, relative to the results prefix (in the bucket) and
    to a local output folder: the key itself when it is safe (``safe_key``) and fits.

    A key that had to change (cleaned, or cut to ``max_bytes`` UTF-8 bytes in all and
    ``MAX_NAME_BYTES`` a name) gets ``~`` and 12 hex characters of its SHA-256 after its file
    name, so that it never shares a folder with the key it now resembles ("../x.pdf" with
    "x.pdf", NFD "é" with NFC "é"), nor with another long key that starts the same way.
    """
    safe = safe_key(key)
    names = safe.split("/")
    if (
        safe == key
        and len(key.encode("utf-8")) <= max_bytes
        and all(len(name.encode("utf-8")) <= MAX_NAME_BYTES for name in names)
    ):
        return key
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    suffix = "~" + digest[:_DIGEST_CHARS]
    room = max_bytes - len(suffix)
    if room <= 0:
        raise ValueError(f"max_bytes must leave room for a name, got {max_bytes}")
    *folders, name = names
    name = _cut(name, min(MAX_NAME_BYTES - len(suffix), room))
    folder_room = max(room - len(name.encode("utf-8")) - 1, 0)
    path = _cut("/".join(_cut(folder, MAX_NAME_BYTES) for folder in folders), folder_room)
    # Cutting may leave a trailing "." or ".." name: drop those, as safe_key does.
    kept = [folder for folder in path.split("/") if folder not in ("", ".", "..")]
    return "/".join([*kept, name + suffix])


def document_id(source: Source) -> str:
    """Same object version, same id: the basis of the idempotent execution name."""
    identity = f"{source.bucket}/{source.key}@{source.version_id or source.etag or ''}"
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()[:24]


def is_document_key(key: str, settings: Settings) -> bool:
    """Whether an input key names a document: under the input prefix, with the input suffix,
    and not a folder marker (a key ending in ``/``, the zero-byte object the S3 console's
    "Create folder" makes). The starter and the sweeper both ask this."""
    return (
        key.startswith(settings.input_prefix)
        and key.endswith(settings.input_suffix)
        and not key.endswith("/")
    )


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


_ATTEMPT = re.compile(r"-r(\d+)$")


def attempt_of(execution: str | None) -> int:
    """The attempt number in an execution name or ARN (``...-r2`` is attempt 2; none is 0)."""
    if not execution:
        return 0
    found = _ATTEMPT.search(execution.rsplit(":", 1)[-1])
    return int(found.group(1)) if found else 0


def results_folder(settings: Settings, source: Source) -> str:
    """The document's folder below ``results_prefix`` (``document_folder`` of its key), short
    enough that every artifact key below it stays within S3's limit. A local output folder
    uses the same relative path."""
    room = MAX_KEY_BYTES - len(settings.results_prefix.encode()) - 1 - ARTIFACT_PATH_BYTES
    return document_folder(source.key, room)


def output_prefix(settings: Settings, source: Source) -> S3Location:
    return S3Location(
        bucket=settings.output_bucket,
        key=f"{settings.results_prefix}/{results_folder(settings, source)}",
    )


def work_prefix(settings: Settings, identifier: str) -> S3Location:
    return S3Location(bucket=settings.output_bucket, key=f"{settings.work_prefix}/{identifier}")


def cache_entry(settings: Settings, sha256: str) -> S3Location:
    """Content-hash index: the same bytes under another key reuse earlier results."""
    return S3Location(
        bucket=settings.output_bucket, key=f"{settings.index_prefix}/sha256/{sha256}.json"
    )
