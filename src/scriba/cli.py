"""The ``scriba`` command."""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from scriba.models.manifest import Manifest, Status

if TYPE_CHECKING:
    from scriba.local.limits import LimitsReport


def _languages(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [part.strip().lower() for part in value.split(",") if part.strip()]


@click.group()
@click.version_option(package_name="scriba")
def main() -> None:
    """scriba: documents in, text, tags, summary, translations and narration out."""


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--out", "out", required=True, type=click.Path(path_type=Path), help="Results folder."
)
@click.option("--languages", default=None, help="Target languages, e.g. es,fr (default: es,fr).")
@click.option("--workers", type=int, default=None, help="Worker processes (default: one per core).")
@click.option("--json", "as_json", is_flag=True, help="One JSON line per document, for scripts.")
@click.option(
    "--log-level",
    default="ERROR",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    help="Level of the functions' own logs (on stderr).",
)
@click.option(
    "--limits",
    "show_limits",
    is_flag=True,
    help="Show what each function and state needed of AWS's limits (time, memory, 256 KiB); "
    "each function runs in worker processes of its own, as on Lambda.",
)
def run(
    paths: tuple[Path, ...],
    out: Path,
    languages: str | None,
    workers: int | None,
    as_json: bool,
    log_level: str,
    show_limits: bool,
) -> None:
    """Process files and folders with the local engines, through the same workflow as on AWS."""
    os.environ.setdefault("SCRIBA_LOG_LEVEL", log_level.upper())
    from scriba.local.progress import RunDisplay  # noqa: PLC0415
    from scriba.local.run import collect_inputs, run_documents  # noqa: PLC0415

    limits: list[LimitsReport] = []
    try:
        total = len(collect_inputs(paths))
        with RunDisplay(total, as_json=as_json) as display:
            runs = run_documents(
                list(paths),
                out,
                _languages(languages),
                workers,
                on_done=display.done,
                on_stage=display.stage,
                on_limits=limits.append,
                # Each function in workers of its own, so that its memory is measured alone.
                sandboxes="per-function" if show_limits else None,
            )
    except (FileNotFoundError, ValueError) as error:
        raise click.ClickException(str(error)) from error
    for report in limits:
        _echo_limits(report, as_json, show_limits)
    failed = [item for item in runs if item.status in (Status.FAILED, None)]
    partial = [item for item in runs if item.status is Status.PARTIAL]
    succeeded = len(runs) - len(failed) - len(partial)
    if not as_json:
        click.echo(
            f"{len(runs)} documents: {succeeded} succeeded, {len(partial)} partial, "
            f"{len(failed)} failed; results in {out}",
            err=False,
        )
    _write_report(out, as_json)
    sys.exit(1 if failed else 0)


def _echo_limits(report: LimitsReport, as_json: bool, every_line: bool) -> None:
    """What the run needed of AWS's limits, on stderr: in full with ``--limits``, else only what
    passed half of a limit (a local run is not AWS: half is the margin asked for)."""
    if as_json:
        click.echo(json.dumps({"event": "limits", **report.model_dump(mode="json")}))
        return
    lines = report.margins() if every_line else report.uncomfortable()
    for line in lines:
        click.echo(f"AWS limits: {line}", err=True)


def _write_report(out: Path, as_json: bool) -> None:
    """The results pages, after every document; a folder they cannot go in is not a run failure."""
    from scriba.report import ReportError, write_report  # noqa: PLC0415

    try:
        index = write_report(out)
    except ReportError as error:
        click.echo(f"report: not written: {error}", err=True)
        return
    click.echo(
        json.dumps({"event": "report", "path": str(index)}) if as_json else f"report: {index}"
    )


@main.command("report")
@click.argument(
    "results", type=click.Path(exists=True, file_okay=False, path_type=Path), metavar="DIR"
)
def report_command(results: Path) -> None:
    """Write the results pages (DIR/index.html and one page per document) and print the index."""
    from scriba.report import ReportError, write_report  # noqa: PLC0415

    try:
        click.echo(write_report(results))
    except ReportError as error:
        raise click.ClickException(str(error)) from error


def _stack_options(function: Any) -> Any:
    function = click.option(
        "--languages", default=None, help="Target languages, e.g. es,fr (default: es,fr)."
    )(function)
    function = click.option(
        "--max-in-flight",
        type=click.IntRange(1, 3000),
        default=None,
        help="Most documents processed at once; the rest wait their turn in the waiting queue "
        "(the stack's MaxDocumentsInFlight, default: the template's).",
    )(function)
    return click.option(
        "--workers", type=int, default=None, help="Worker processes (default: one per core)."
    )(function)


def _announce(key: str, manifest: Manifest | None, folder: Path) -> None:
    """The line ``scriba run`` prints for a document, for one that ``serve``/``watch`` finished."""
    from scriba.local.run import finished_line  # noqa: PLC0415

    click.echo(finished_line(key, manifest, folder))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=4566, show_default=True, type=int, help="Port of the S3 endpoint.")
@click.option(
    "--mirror",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also copy every finished document's results (and the results pages) here.",
)
@click.option(
    "--state",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep the buckets' objects in this folder across restarts.",
)
@_stack_options
def serve(
    host: str,
    port: int,
    mirror: Path | None,
    state: Path | None,
    languages: str | None,
    max_in_flight: int | None,
    workers: int | None,
) -> None:
    """A local S3 endpoint with the whole trigger path behind it.

    Put documents into s3://scriba-input with any S3 client; results appear in
    s3://scriba-output/documents/<key>/. Ctrl-C stops it.
    """
    from scriba.local.cloud import LocalCloud  # noqa: PLC0415
    from scriba.local.serve import BucketState, ResultMirror, wait_until_interrupted  # noqa: PLC0415

    parameters = _parameters(languages, max_in_flight)
    with (
        _stopping_on_sigterm(),
        LocalCloud(host=host, port=port, workers=workers, parameters=parameters) as cloud,
    ):
        kept = BucketState(cloud, state) if state else None
        if kept is not None:
            click.echo(f"restored {kept.restore()} objects from {state}")
        mirroring = ResultMirror(cloud, mirror, on_document=_announce) if mirror else None
        if mirroring is not None:
            mirroring.start()
        stack = cloud.stack
        click.echo(
            f"scriba is serving S3 at {cloud.endpoint}\n"
            f"  drop documents into  s3://{stack.input_bucket}/\n"
            f"  results appear in    s3://{stack.output_bucket}/documents/<key>/\n"
            f"  e.g. aws s3 cp report.pdf s3://{stack.input_bucket}/"
            f" --endpoint-url {cloud.endpoint}\n"
            f"  at most {stack.parameters['MaxDocumentsInFlight']} documents in flight;"
            " the rest wait their turn\n"
            "Ctrl-C to stop."
        )
        wait_until_interrupted()
        click.echo("stopping...")
        if mirroring is not None:
            mirroring.stop()
        if kept is not None:
            click.echo(f"saved {kept.save()} objects to {state}")


@main.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@_stack_options
def watch(
    folder: Path, languages: str | None, max_in_flight: int | None, workers: int | None
) -> None:
    """Process every file dropped into FOLDER/in; results appear in FOLDER/out. Ctrl-C stops."""
    from scriba.local.cloud import LocalCloud  # noqa: PLC0415
    from scriba.local.serve import FolderWatch, ResultMirror, wait_until_interrupted  # noqa: PLC0415

    inbox, outbox = folder / "in", folder / "out"
    inbox.mkdir(parents=True, exist_ok=True)
    outbox.mkdir(parents=True, exist_ok=True)
    with (
        _stopping_on_sigterm(),
        LocalCloud(workers=workers, parameters=_parameters(languages, max_in_flight)) as cloud,
    ):
        mirroring = ResultMirror(cloud, outbox, on_document=_announce)
        watching = FolderWatch(cloud, inbox)
        mirroring.start()
        watching.start()
        click.echo(
            f"watching {inbox}: results in {outbox} (open {outbox / 'index.html'}). Ctrl-C to stop."
        )
        wait_until_interrupted()
        click.echo("stopping...")
        watching.stop()
        mirroring.stop()


def _parameters(languages: str | None, max_in_flight: int | None = None) -> dict[str, str]:
    chosen = _languages(languages)
    parameters = {"TargetLanguages": ",".join(chosen)} if chosen is not None else {}
    if max_in_flight is not None:
        parameters["MaxDocumentsInFlight"] = str(max_in_flight)
    return parameters


@contextmanager
def _stopping_on_sigterm() -> Iterator[None]:
    """SIGTERM stops the service as Ctrl-C does: cleanly."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@main.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="The figures as one JSON object.")
def cost(folder: Path, as_json: bool) -> None:
    """Sum the cost ledgers of a results folder, per document, stage and service."""
    from scriba.cost.ledger import run_cost  # noqa: PLC0415
    from scriba.models.manifest import Manifest  # noqa: PLC0415

    manifests = []
    for path in sorted(folder.rglob("manifest.json")):
        manifest = Manifest.model_validate_json(path.read_bytes())
        manifests.append((manifest.name, manifest.cost))
    if not manifests:
        raise click.ClickException(f"no manifest.json under {folder}")
    figures = run_cost(manifests)
    if as_json:
        click.echo(json.dumps(figures.__dict__, indent=2))
        return
    estimated = any(flag for _, _, flag in figures.documents)
    click.echo(f"{'document':<50} {'USD':>12}")
    for name, usd, _ in figures.documents:
        click.echo(f"{name:<50} {usd:>12.6f}")
    click.echo(f"\n{'stage':<50} {'USD':>12}")
    for stage, usd in sorted(figures.by_stage.items()):
        click.echo(f"{stage:<50} {usd:>12.6f}")
    click.echo(f"\n{'service':<50} {'USD':>12}")
    for service, usd in sorted(figures.by_service.items()):
        click.echo(f"{service:<50} {usd:>12.6f}")
    click.echo(f"\n{'total':<50} {figures.total_usd:>12.6f}")
    click.echo(
        f"{'saved (OCR skipped on text layers, reused results)':<50} {figures.savings_usd:>12.6f}"
    )
    if estimated:
        click.echo("estimated: local runs priced as if they had run on AWS with the same settings")
    for name in figures.unpriced:
        click.echo(f"no cost ledger: {name}")


def _aws_session(region: str | None) -> Any:
    import boto3  # noqa: PLC0415

    return boto3.session.Session(region_name=region)


@main.command("backfill")
@click.argument("location", required=False, metavar="S3_URL")
@click.option("--stack", default=None, help="The deployed stack (its outputs name everything).")
@click.option(
    "--state-machine-arn", default=None, help="The backfill state machine, instead of --stack."
)
@click.option(
    "--inventory",
    default=None,
    metavar="S3_URL",
    help="Backfill from an S3 Inventory report: the URL of its manifest.json.",
)
@click.option(
    "--status",
    "status_arn",
    default=None,
    metavar="EXECUTION_ARN",
    help="Show how far a backfill is (its Map Run, the stack's queues) instead of starting one.",
)
@click.option("--region", default=None, help="AWS region (default: the profile's).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object, for scripts.")
def backfill_command(
    location: str | None,
    stack: str | None,
    state_machine_arn: str | None,
    inventory: str | None,
    status_arn: str | None,
    region: str | None,
    as_json: bool,
) -> None:
    """Send the documents already in the input bucket (under S3_URL's prefix, or those of an
    S3 Inventory report) through the pipeline, paced by the starter like uploads; or, with
    --status, show how far a backfill is."""
    from datetime import UTC, datetime  # noqa: PLC0415

    from scriba.aws import backfills  # noqa: PLC0415
    from scriba.errors import ScribaError  # noqa: PLC0415

    session = _aws_session(region)
    try:
        if status_arn is not None:
            if location or inventory:
                raise click.UsageError("--status takes an execution ARN and nothing to backfill")
            _backfill_status(session, status_arn, stack, as_json)
            return
        if (location is None) == (inventory is None):
            raise click.UsageError("give S3_URL (a bucket and prefix) or --inventory, not both")
        outputs = backfills.stack_outputs(session.client("cloudformation"), stack) if stack else {}
        arn = state_machine_arn or outputs.get(backfills.STATE_MACHINE_OUTPUT)
        if not arn:
            raise click.UsageError(
                "--stack NAME (a stack with the BackfillStateMachineArn output) or "
                "--state-machine-arn ARN"
            )
        if location is not None:
            bucket, prefix = backfills.s3_url(location)
            input_bucket = outputs.get(backfills.INPUT_BUCKET_OUTPUT)
            if input_bucket and bucket != input_bucket:
                raise click.UsageError(
                    f"the pipeline reads documents from its input bucket {input_bucket} only, "
                    f"not {bucket}"
                )
            request = backfills.BackfillInput(bucket=bucket, prefix=prefix)
        else:
            assert inventory is not None
            bucket, key = backfills.s3_url(inventory)
            request = backfills.BackfillInput(
                inventory=backfills.InventoryLocation(bucket=bucket, key=key)
            )
        sfn = session.client("stepfunctions", region_name=arn.split(":")[3])
        execution = backfills.start_backfill(sfn, arn, request, datetime.now(UTC))
    except (ScribaError, ValueError) as error:
        raise click.ClickException(str(error)) from error
    if as_json:
        url = backfills.console_url(execution)
        click.echo(json.dumps({"execution_arn": execution, "console_url": url}))
        return
    click.echo(f"started {execution}")
    click.echo(f"  console  {backfills.console_url(execution)}")
    click.echo(f"  progress scriba backfill --status {execution}")


def _backfill_status(session: Any, execution_arn: str, stack: str | None, as_json: bool) -> None:
    from scriba.aws import backfills  # noqa: PLC0415

    sfn = session.client("stepfunctions", region_name=execution_arn.split(":")[3])
    stack = stack or backfills.stack_of(sfn, execution_arn)
    outputs = backfills.stack_outputs(session.client("cloudformation"), stack) if stack else {}
    sqs = session.client("sqs") if outputs else None
    status = backfills.backfill_status(sfn, execution_arn, sqs, outputs)
    if as_json:
        click.echo(status.model_dump_json(indent=2))
        return
    click.echo(f"backfill {status.status}  {status.execution_arn}")
    if not status.map_runs:
        click.echo("  no Map Run yet (the listing or the inventory is being read)")
    for run in status.map_runs:
        items, batches = run.items, run.batches
        click.echo(
            f"  map run {run.status}: {items.total} items, {items.done_percent:.0f} % done "
            f"({items.succeeded} succeeded, {items.failed + items.timed_out + items.aborted} "
            f"failed, {items.running} running, {items.pending} pending)"
        )
        click.echo(
            f"  batches {batches.total}: {batches.succeeded} succeeded, "
            f"{batches.failed + batches.timed_out + batches.aborted} failed, "
            f"{batches.running} running, {batches.pending} pending"
        )
    for queue in status.queues:
        click.echo(f"  {queue.name}: {queue.waiting} waiting, {queue.in_flight} in flight")
    if not outputs:
        click.echo("  (queue depths: give --stack NAME)")


if __name__ == "__main__":
    main()
