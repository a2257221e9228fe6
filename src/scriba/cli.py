"""The ``scriba`` command."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from scriba.manifest import Status


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
def run(
    paths: tuple[Path, ...],
    out: Path,
    languages: str | None,
    workers: int | None,
    as_json: bool,
    log_level: str,
) -> None:
    """Process files and folders with the local engines, through the same workflow as on AWS."""
    os.environ.setdefault("SCRIBA_LOG_LEVEL", log_level.upper())
    from scriba.local.run import DocumentRun, run_documents, summary_json, summary_line  # noqa: PLC0415

    def report(document: DocumentRun) -> None:
        click.echo(summary_json(document) if as_json else summary_line(document))

    try:
        runs = run_documents(list(paths), out, _languages(languages), workers, on_done=report)
    except (FileNotFoundError, ValueError) as error:
        raise click.ClickException(str(error)) from error
    failed = [item for item in runs if item.status in (Status.FAILED, None)]
    partial = [item for item in runs if item.status is Status.PARTIAL]
    succeeded = len(runs) - len(failed) - len(partial)
    if not as_json:
        click.echo(
            f"{len(runs)} documents: {succeeded} succeeded, {len(partial)} partial, "
            f"{len(failed)} failed; results in {out}",
            err=False,
        )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
