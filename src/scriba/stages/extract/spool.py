"""A document's pages one at a time: written to a local file as they are read, uploaded as JSON
Lines (one page a line), and read back a page at a time.

A dense page is about 50 KB of JSON with its words and several times that as models: 3,000 of
them held at once would not fit the functions' memory. Inspect spools the text-layer pages;
assemble streams them back, merges each with its OCR, and spools the merged pages until their
languages are known (AWS Lambda's ``/tmp`` holds the files, not the heap).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING

from scriba.models.document import S3Location
from scriba.models.text import Page

if TYPE_CHECKING:
    from scriba.aws.storage import Storage

JSON_LINES = "application/jsonl"


class PageSpool:
    """Pages in the order added, kept in an unnamed temporary file (gone when closed)."""

    def __init__(self) -> None:
        self._file: IO[bytes] = tempfile.TemporaryFile(suffix=".jsonl")  # noqa: SIM115
        self._count = 0

    def add(self, page: Page) -> None:
        self._file.write(page.model_dump_json().encode("utf-8") + b"\n")
        self._count += 1

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Page]:
        """The pages, read back one at a time; adding more afterwards appends as before."""
        self._file.flush()
        self._file.seek(0)
        try:
            for line in self._file:
                yield Page.model_validate_json(line)
        finally:
            self._file.seek(0, os.SEEK_END)

    def lines(self) -> IO[bytes]:
        """The file itself, from its start: the pages as JSON Lines, for an upload."""
        self._file.flush()
        self._file.seek(0)
        return self._file

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> PageSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def upload_pages(storage: Storage, spool: PageSpool, location: S3Location) -> None:
    """The spooled pages into the bucket at ``location`` (multipart when big)."""
    storage.upload_fileobj(spool.lines(), location, JSON_LINES)


def stored_pages(storage: Storage, location: S3Location) -> Iterator[Page]:
    """The pages of a JSON Lines object, parsed one at a time as its body streams in."""
    for line in storage.lines(location):
        if line.strip():
            yield Page.model_validate_json(line)
