"""Local files written so that a reader never sees half of one."""

from __future__ import annotations

from pathlib import Path


def write_atomically(path: Path, data: bytes) -> None:
    """Writes ``data`` to ``path`` through a hidden partial file renamed into place: a stop in
    the middle leaves the previous file (or none), never part of the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    partial.replace(path)
