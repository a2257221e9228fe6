"""What ``scriba run`` shows while it works: live progress on a terminal, plain lines when
piped, one JSON object per event for scripts."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any, TextIO

from scriba.local.run import DocumentRun, stage_json, summary_json, summary_line


class RunDisplay:
    """Progress per document and stage; use as a context manager around the run."""

    def __init__(self, total: int, *, as_json: bool = False, stream: TextIO | None = None) -> None:
        self.total = total
        self.as_json = as_json
        self.stream = stream or sys.stdout
        self.live = not as_json and self.stream.isatty()
        self._progress: Any = None
        self._overall: Any = None
        self._rows: dict[str, Any] = {}

    def __enter__(self) -> RunDisplay:
        if self.live:
            from rich.console import Console  # noqa: PLC0415
            from rich.progress import (  # noqa: PLC0415
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(file=self.stream),
                transient=True,
            )
            self._progress.start()
            self._overall = self._progress.add_task("documents", total=self.total)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def stage(self, run: DocumentRun) -> None:
        if self.as_json:
            self._write(stage_json(run))
        elif self._progress is not None:
            description = f"{run.key}  [cyan]{run.stage}[/]"
            if run.key in self._rows:
                self._progress.update(self._rows[run.key], description=description)
            else:
                self._rows[run.key] = self._progress.add_task(description, total=None)

    def done(self, run: DocumentRun) -> None:
        line = summary_json(run) if self.as_json else summary_line(run)
        if self._progress is not None:
            row = self._rows.pop(run.key, None)
            if row is not None:
                self._progress.remove_task(row)
            self._progress.advance(self._overall)
            self._progress.console.print(line, markup=False, highlight=False, soft_wrap=True)
        else:
            self._write(line)

    def _write(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()
