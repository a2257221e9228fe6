"""What became of a document, from the workflow's state: its artifacts, its status, its manifest.

Pure functions: finalize and the failure record read nothing here, they pass in what they read.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Literal

from scriba import layout
from scriba.aws.storage import StoredObject
from scriba.models.document import S3Location
from scriba.models.manifest import Artifact, ArtifactKind, Failure, Manifest, Stage, Status
from scriba.workflow import LanguageOutcome, PipelineState, StageFailure, SummaryResult, TagResult


def _failed(kind: ArtifactKind, failure: Failure, language: str | None = None) -> Artifact:
    return Artifact(kind=kind, path=None, status=Status.FAILED, language=language, failure=failure)


def _skipped(kind: ArtifactKind, language: str, why: str) -> Artifact:
    return Artifact(
        kind=kind, path=None, status=Status.SKIPPED, language=language, details={"why": why}
    )


def _skipped_languages(languages: Iterable[str], translation: str, audio: str) -> list[Artifact]:
    skipped: list[Artifact] = []
    for language in languages:
        skipped.append(_skipped(ArtifactKind.TRANSLATION, language, translation))
        skipped.append(_skipped(ArtifactKind.AUDIO, language, audio))
    return skipped


def _analysis_artifacts(state: PipelineState) -> tuple[list[Artifact], list[str]]:
    if state.analysis is None:
        return [], []
    artifacts = list(state.analysis.text.artifacts)
    warnings = list(state.analysis.text.warnings)
    tags = state.analysis.tags
    if isinstance(tags, TagResult):
        artifacts += tags.artifacts
        warnings += tags.warnings
    else:
        artifacts.append(_failed(ArtifactKind.TAGS, tags.error.failure(Stage.TAG)))
    return artifacts, warnings


def _summary_artifacts(
    summary: SummaryResult | StageFailure | None, languages: list[str]
) -> tuple[list[Artifact], list[str]]:
    if isinstance(summary, StageFailure):
        failed = _failed(ArtifactKind.SUMMARY, summary.error.failure(Stage.SUMMARIZE))
        why = "the summary failed"
        return [failed, *_skipped_languages(languages, why, why)], []
    if summary is None:
        return [], []
    artifacts = list(summary.artifacts)
    if summary.characters == 0:
        artifacts += _skipped_languages(languages, "no text to translate", "no text to narrate")
    return artifacts, list(summary.warnings)


def _language_artifacts(outcome: LanguageOutcome) -> list[Artifact]:
    language = outcome.language
    failure = outcome.error.failure(outcome.stage or Stage.TRANSLATE) if outcome.error else None
    artifacts: list[Artifact] = []
    if outcome.translation is not None:
        artifacts.append(outcome.translation.artifact)
    elif failure is not None:
        artifacts.append(_failed(ArtifactKind.TRANSLATION, failure, language))
    if outcome.narration is not None:
        artifacts.append(outcome.narration.artifact)
    elif failure is not None and outcome.stage is Stage.SPEAK:
        artifacts.append(_failed(ArtifactKind.AUDIO, failure, language))
    elif failure is not None:
        artifacts.append(_skipped(ArtifactKind.AUDIO, language, "the translation failed"))
    return artifacts


def collect_artifacts(state: PipelineState) -> tuple[list[Artifact], list[str]]:
    """Every artifact the workflow reports, failed and skipped ones included, and the warnings."""
    warnings: list[str] = list(state.document.warnings) if state.document else []
    artifacts, more = _analysis_artifacts(state)
    warnings += more
    languages = state.document.languages if state.document else []
    summary_artifacts, more = _summary_artifacts(state.summary, languages)
    artifacts += summary_artifacts
    warnings += more
    for outcome in state.outputs or []:
        artifacts += _language_artifacts(outcome)
    return artifacts, warnings


def status_of(artifacts: Iterable[Artifact]) -> Status:
    """Partial when any artifact failed, succeeded otherwise (skipped ones had nothing to do)."""
    if any(artifact.status is Status.FAILED for artifact in artifacts):
        return Status.PARTIAL
    return Status.SUCCEEDED


def output_of(state: PipelineState, settings_output: S3Location) -> S3Location:
    """The document's output prefix: inspect's, or where it would have been (``settings_output``,
    for a document that failed before inspect said)."""
    return state.document.output if state.document is not None else settings_output


def manifest_of(
    state: PipelineState,
    *,
    output: S3Location,
    engines: Literal["aws", "local"],
    status: Status,
    artifacts: list[Artifact],
    warnings: list[str],
    execution: str | None,
    started_at: datetime | None,
    failure: Failure | None = None,
) -> Manifest:
    """The manifest of a document in ``state`` (its cost is finalize's to add)."""
    document = state.document
    language = state.analysis.text.language if state.analysis else None
    return Manifest(
        document_id=document.id if document else layout.document_id(state.source),
        name=state.source.key,
        source=document.source if document else state.source,
        output=f"s3://{output.bucket}/{output.key}/",
        status=status,
        kind=document.kind if document else None,
        sha256=document.sha256 if document else None,
        size=document.size if document else state.source.size,
        pages=document.pages if document else None,
        language=language or (document.language if document else None),
        languages=document.languages if document else list(state.options.languages or []),
        engines=engines,
        artifacts=artifacts,
        failure=failure,
        warnings=list(dict.fromkeys(warnings)),
        reused_from=document.reused_from.uri if document and document.reused_from else None,
        execution=execution,
        started_at=started_at,
        finished_at=datetime.now(UTC),
    )


_KINDS_BY_PATH: tuple[tuple[str, ArtifactKind], ...] = (
    (layout.TEXT, ArtifactKind.TEXT),
    (layout.PLAIN_TEXT, ArtifactKind.PLAIN_TEXT),
    (layout.TAGS, ArtifactKind.TAGS),
    (layout.SUMMARY, ArtifactKind.SUMMARY),
    (layout.TABLES, ArtifactKind.TABLES),
    ("tables/", ArtifactKind.TABLE_CSV),
    ("images/", ArtifactKind.IMAGE),
    ("translations/", ArtifactKind.TRANSLATION),
    ("audio/", ArtifactKind.AUDIO),
)


def _artifact_at(relative: str, size: int) -> Artifact | None:
    for prefix, kind in _KINDS_BY_PATH:
        if relative == prefix or (prefix.endswith("/") and relative.startswith(prefix)):
            language = None
            if kind in (ArtifactKind.TRANSLATION, ArtifactKind.AUDIO):
                language = relative.split("/", 1)[1].rsplit(".", 1)[0]
            return Artifact(kind=kind, path=relative, language=language, size=size)
    return None


def artifacts_listed(
    listing: Iterable[StoredObject], output: S3Location, since: datetime | None
) -> list[Artifact]:
    """The artifacts among the objects listed under ``output`` that this execution wrote (older
    files, from an earlier version of the same key, are left out)."""
    found: list[Artifact] = []
    folder = output.key.rstrip("/") + "/"
    for stored in listing:
        if since is not None and stored.last_modified is not None and stored.last_modified < since:
            continue
        artifact = _artifact_at(stored.key[len(folder) :], stored.size)
        if artifact is not None:
            found.append(artifact)
    return found
