"""``scriba run``: documents from disk through the local stack, results back to a folder."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scriba import layout
from scriba.aws.executions import execution_arn
from scriba.aws.storage import Storage
from scriba.config import load_settings
from scriba.errors import reason_for
from scriba.local.cloud import LocalCloud
from scriba.local.files import write_atomically
from scriba.local.limits import LimitsReport
from scriba.models.document import S3Location, Source
from scriba.models.manifest import Failure, Manifest, Stage, Status

logger = logging.getLogger(__name__)

# How often a running execution is asked whether it is done. A document waits half of this on
# average after its execution ends; each ask costs the parent about 3 ms of CPU. At 0.25 s the
# wait was a tenth of a 100-page document's whole run (bench/pipeline_overhead).
POLL_SECONDS = 0.1
START_TIMEOUT_SECONDS = 120


@dataclass
class DocumentRun:
    """One input file and what became of it."""

    path: Path
    key: str
    source: Source | None = None
    execution_arn: str | None = None
    status: Status | None = None
    manifest: Manifest | None = None
    output: Path | None = None
    started: float = field(default_factory=time.monotonic)
    seconds: float = 0.0
    stage: str | None = None  # the stage running now, for progress displays
    _polled: float = 0.0

    @property
    def failure(self) -> Failure | None:
        return self.manifest.failure if self.manifest else None


def collect_inputs(paths: Iterable[Path]) -> list[tuple[Path, str]]:
    """Files to process and their keys: a file by its name, a folder's files by relative path."""
    found: list[tuple[Path, str]] = []
    for path in paths:
        if path.is_dir():
            for item in sorted(path.rglob("*")):
                if item.is_file() and not any(
                    part.startswith(".") for part in item.relative_to(path).parts
                ):
                    found.append((item, item.relative_to(path).as_posix()))
        elif path.is_file():
            found.append((path, path.name))
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    keys: dict[str, Path] = {}
    for file, key in found:
        if key in keys and keys[key] != file:
            raise ValueError(f"{keys[key]} and {file} would both be stored as {key!r}: rename one")
        keys[key] = file
    return found


def export_results(storage: Storage, prefix: S3Location, target: Path) -> None:
    """Copies a document's results to ``target``; the manifest last, each file atomically."""
    folder = prefix.key.rstrip("/") + "/"
    manifest: tuple[S3Location, Path] | None = None
    for stored in storage.list(prefix):
        relative = layout.safe_key(stored.key[len(folder) :])
        destination = target / relative
        location = S3Location(bucket=prefix.bucket, key=stored.key)
        if relative == layout.MANIFEST:
            manifest = (location, destination)
            continue
        write_atomically(destination, storage.read_bytes(location))
    if manifest is not None:
        write_atomically(manifest[1], storage.read_bytes(manifest[0]))


def _workflow_failure(run: DocumentRun, description: Mapping[str, Any]) -> Manifest:
    """A manifest for an execution that ended without writing one (should not happen)."""
    error = str(description.get("error") or description.get("status"))
    assert run.source is not None
    settings = load_settings()
    output = layout.output_prefix(settings, run.source)
    return Manifest(
        document_id=layout.document_id(run.source),
        name=run.key,
        source=run.source,
        output=f"s3://{output.bucket}/{output.key}/",
        status=Status.FAILED,
        engines="local",
        failure=Failure(
            stage=Stage.FINALIZE,
            reason=reason_for(error),
            message=(
                f"{run.key}: the workflow ended {description.get('status')} without a manifest:"
                f" {error}: {description.get('cause', '')}"
            )[:2000],
            error_type=error,
        ),
        execution=run.execution_arn,
        finished_at=datetime.now(UTC),
    )


def run_documents(
    paths: Sequence[Path],
    out: Path,
    languages: list[str] | None = None,
    workers: int | None = None,
    on_done: Callable[[DocumentRun], None] | None = None,
    cloud: LocalCloud | None = None,
    max_in_flight: int | None = None,
    on_stage: Callable[[DocumentRun], None] | None = None,
    on_limits: Callable[[LimitsReport], None] | None = None,
    sandboxes: str | None = None,
) -> list[DocumentRun]:
    """Processes every document; returns one ``DocumentRun`` each, in input order.

    Documents go in the way they do on AWS: each file is put into the input bucket, and the
    template's trigger path (EventBridge rule, queue, starter function) starts its execution.
    ``on_limits`` is given, at the end, what the run needed of AWS's limits.
    """
    inputs = collect_inputs(paths)
    if cloud is None:
        parameters = {"TargetLanguages": ",".join(languages)} if languages is not None else {}
        with LocalCloud(workers=workers, parameters=parameters, sandboxes=sandboxes) as own:
            return run_documents(
                paths, out, None, workers, on_done, own, max_in_flight, on_stage, on_limits
            )
    if languages is not None:
        raise ValueError("with a running LocalCloud, set languages through its parameters")
    runs = [DocumentRun(path=path, key=key) for path, key in inputs]
    storage = Storage(cloud.clients.s3)
    limit = max_in_flight or max(2, 2 * max(cloud.workers, 1))
    stages = stages_of_states(cloud.stack.state_machine.definition)
    waiting = list(runs)
    running: list[DocumentRun] = []
    while waiting or running:
        while waiting and len(running) < limit:
            run = waiting.pop(0)
            _upload(run, cloud)
            running.append(run)
        time.sleep(POLL_SECONDS)
        for run in list(running):
            description = _describe(run, cloud)
            if description["status"] == "RUNNING":
                if on_stage is not None:
                    _follow(run, cloud, stages, on_stage)
                continue
            running.remove(run)
            _finish(run, description, storage, out)
            if on_done is not None:
                on_done(run)
    if on_limits is not None:
        on_limits(cloud.limits())
    return runs


def stages_of_states(definition: str) -> dict[str, str]:
    """The stage each task state belongs to, read from the workflow definition itself."""
    found: dict[str, str] = {}

    def walk(block: dict[str, Any]) -> None:
        for name, state in block.get("States", {}).items():
            if state.get("Type") == "Task":
                function = str(state.get("Resource", "")).rsplit(":", 1)[-1]
                stage = function.removesuffix("Function").lower() or name.lower()
                if state.get("Parameters", {}).get("action") == "inspect":
                    stage = "inspect"
                found[name] = stage
            for branch in state.get("Branches", []):
                walk(branch)
            if "ItemProcessor" in state:
                walk(state["ItemProcessor"])

    walk(json.loads(definition))
    return found


def _follow(
    run: DocumentRun,
    cloud: LocalCloud,
    stages: dict[str, str],
    report: Callable[[DocumentRun], None],
) -> None:
    """Reports the stage a running document is in (at most once a second per document)."""
    now = time.monotonic()
    if run.execution_arn is None or now - run._polled < 1.0:
        return
    run._polled = now
    try:
        events = cloud.sfn.get_execution_history(executionArn=run.execution_arn)["events"]
    except cloud.sfn.exceptions.ExecutionDoesNotExist:
        stage = "queued"
    else:
        entered = [
            str(event["stateEnteredEventDetails"]["name"])
            for event in events
            if "stateEnteredEventDetails" in event
        ]
        known = [stages[name] for name in entered if name in stages]
        stage = known[-1] if known else "queued"
    if stage != run.stage:
        run.stage = stage
        report(run)


def _upload(run: DocumentRun, cloud: LocalCloud) -> None:
    """Drops the file into the input bucket; the trigger path takes it from there."""
    run.started = time.monotonic()
    with run.path.open("rb") as body:
        put = cloud.clients.s3.put_object(Bucket=cloud.stack.input_bucket, Key=run.key, Body=body)
    run.source = Source(
        bucket=cloud.stack.input_bucket,
        key=run.key,
        version_id=put.get("VersionId"),
        etag=str(put.get("ETag", "")).strip('"') or None,
        size=run.path.stat().st_size,
    )
    # The starter derives the same name from the event, so the execution can be found.
    run.execution_arn = execution_arn(cloud.state_machine_arn, layout.execution_name(run.source))


def _describe(run: DocumentRun, cloud: LocalCloud) -> Mapping[str, Any]:
    """The execution's description; RUNNING until the starter has started it."""
    assert run.execution_arn is not None
    try:
        description: Mapping[str, Any] = cloud.sfn.describe_execution(
            executionArn=run.execution_arn
        )
    except cloud.sfn.exceptions.ExecutionDoesNotExist:
        if time.monotonic() - run.started < START_TIMEOUT_SECONDS:
            return {"status": "RUNNING"}
        return {
            "status": "NOT_STARTED",
            "error": "NotStarted",
            "cause": f"no execution started within {START_TIMEOUT_SECONDS} s of the upload; "
            "see the start queue's dead-letter queue",
        }
    return description


def _finish(run: DocumentRun, description: Mapping[str, Any], storage: Storage, out: Path) -> None:
    assert run.source is not None
    settings = load_settings()
    prefix = layout.output_prefix(settings, run.source)
    # The document's folder in the bucket: within file system limits, apart from other keys.
    run.output = out / layout.results_folder(settings, run.source)
    export_results(storage, prefix, run.output)
    manifest_path = run.output / layout.MANIFEST
    if manifest_path.is_file():
        run.manifest = Manifest.model_validate_json(manifest_path.read_bytes())
    else:
        run.manifest = _workflow_failure(run, description)
        write_atomically(manifest_path, run.manifest.model_dump_json(indent=2).encode("utf-8"))
    run.status = run.manifest.status
    run.seconds = time.monotonic() - run.started


def printable(text: str) -> str:
    """``text`` with control and invisible formatting characters as escapes (``\\n``, ``\\x1b``,
    ``\\u202e``): a key or a message can neither break the line nor drive the terminal."""
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        for char in text
    )


def summary_line(run: DocumentRun) -> str:
    """One line for people: status, document, where the results are, and why if it failed.
    Keys and messages are shown ``printable``."""
    status = run.status.value if run.status else "unknown"
    return _document_line(status, run.key, run.failure, run.output, f"  ({run.seconds:.1f} s)")


def finished_line(key: str, manifest: Manifest | None, folder: Path) -> str:
    """The same line for a document whose results were exported to ``folder`` (serve, watch)."""
    if manifest is None:
        return _document_line("unknown", key, None, folder, "  (no manifest)")
    return _document_line(manifest.status.value, key, manifest.failure, folder, "")


def _document_line(
    status: str, key: str, failure: Failure | None, output: Path | None, tail: str
) -> str:
    if failure is not None:
        record = output / layout.MANIFEST if output else None
        why = printable(f"{failure.stage.value}: {failure.reason}: {failure.message}")
        return f"{status:<9} {printable(key)}  {why}  ->  {printable(str(record))}"
    return f"{status:<9} {printable(key)}  ->  {printable(str(output))}{tail}"


def stage_json(run: DocumentRun) -> str:
    return json.dumps({"event": "stage", "document": run.key, "stage": run.stage})


def summary_json(run: DocumentRun) -> str:
    return json.dumps(
        {
            "event": "document",
            "document": run.key,
            "status": run.status.value if run.status else None,
            "output": str(run.output) if run.output else None,
            "seconds": round(run.seconds, 3),
            "failure": run.failure.model_dump(mode="json") if run.failure else None,
        }
    )
