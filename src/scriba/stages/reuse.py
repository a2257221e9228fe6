"""Reuse: the same bytes under another key get the earlier results instead of a second run.

When a document succeeds, finalize records its SHA-256 in the output bucket
(``index/sha256/<sha256>.json``, kept when ``work/`` expires). Inspect looks the hash up: when an
earlier document with the same content succeeded with the same engines and covered the requested
languages, its artifacts are copied (server side) and the workflow goes straight to finalize.
``Options.force`` skips this.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, NamedTuple

from pydantic import Field

from scriba import layout
from scriba.context import Context
from scriba.models.base import Model
from scriba.models.document import S3Location
from scriba.models.manifest import Artifact, ArtifactKind, Manifest, Status
from scriba.workflow import Document

logger = logging.getLogger(__name__)

PER_LANGUAGE = (ArtifactKind.TRANSLATION, ArtifactKind.AUDIO)


class ContentEntry(Model):
    """Where the results of some content live."""

    sha256: str
    output: S3Location
    name: str
    engines: str
    languages: list[str]
    recorded_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class EarlierResults(NamedTuple):
    output: S3Location  # the output prefix of the earlier document
    manifest: Manifest


def earlier_results(ctx: Context[Any], sha256: str, languages: list[str]) -> EarlierResults | None:
    """Where an earlier success with the same content lives, and its manifest, if it can serve
    this request."""
    entry_location = layout.cache_entry(ctx.settings, sha256)
    if not ctx.storage.exists(entry_location):
        return None
    entry = ctx.storage.read_model(entry_location, ContentEntry)
    manifest_location = entry.output.child(layout.MANIFEST)
    if entry.engines != ctx.settings.engines or not ctx.storage.exists(manifest_location):
        return None
    manifest = ctx.storage.read_model(manifest_location, Manifest)
    usable = (
        manifest.status is Status.SUCCEEDED
        and manifest.sha256 == sha256
        and set(languages) <= set(manifest.languages)
    )
    return EarlierResults(entry.output, manifest) if usable else None


def wanted(artifact: Artifact, languages: list[str]) -> bool:
    return artifact.kind not in PER_LANGUAGE or artifact.language in languages


def copy_results(
    ctx: Context[Any],
    earlier: Manifest,
    source: S3Location,
    target: S3Location,
    languages: list[str],
) -> None:
    """Copies the earlier artifacts this request needs (the manifest is finalize's to write)."""
    if source.bucket == target.bucket and source.key == target.key:
        return  # the same key uploaded again with the same bytes: the results are in place
    for artifact in earlier.artifacts:
        if artifact.path and artifact.status is Status.SUCCEEDED and wanted(artifact, languages):
            ctx.storage.copy(source.child(artifact.path), target.child(artifact.path))
    logger.info("reused the results of %s for identical content", earlier.name)


def reused_artifacts(
    ctx: Context[Any], document: Document
) -> tuple[Manifest, list[Artifact], list[str]]:
    """The earlier manifest, and the artifacts and warnings finalize lists for a document whose
    results were reused."""
    assert document.reused_from is not None
    earlier = ctx.storage.read_model(document.reused_from.child(layout.MANIFEST), Manifest)
    artifacts = [a for a in earlier.artifacts if wanted(a, document.languages)]
    return earlier, artifacts, [f"same content as {earlier.name}: its results were reused"]


def remember(ctx: Context[Any], document: Document) -> None:
    """Records a success so that identical content elsewhere can reuse it."""
    entry = ContentEntry(
        sha256=document.sha256,
        output=document.output,
        name=document.name,
        engines=ctx.settings.engines,
        languages=document.languages,
    )
    ctx.storage.write_model(layout.cache_entry(ctx.settings, document.sha256), entry)
