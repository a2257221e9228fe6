"""Load: many small documents of mixed kinds, some bad, dropped at once through the whole trigger
path (input bucket -> EventBridge rule -> queue -> starter -> state machine -> stages).

Every document must end processed or failed with a reason; the run ends with a reconciliation
(in = succeeded + partial + failed) and the peak memory of the process tree.

    .venv/bin/python -m bench.load                  # 200 documents
    .venv/bin/python -m bench.load --documents 40
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psutil

from scriba import layout
from scriba.aws.executions import execution_arn
from scriba.aws.storage import Storage
from scriba.config import load_settings
from scriba.local.cloud import LocalCloud
from scriba.models.document import S3Location, Source
from scriba.models.manifest import Manifest
from tests.badinputs import makers

WORDS = [
    "river",
    "mountain",
    "library",
    "window",
    "garden",
    "letter",
    "market",
    "engine",
    "harbour",
    "summer",
    "theatre",
    "village",
    "teacher",
    "station",
    "doctor",
    "forest",
    "island",
    "museum",
    "kitchen",
    "bridge",
]


def _sentences(number: int, count: int = 4) -> list[str]:
    """Plain English sentences, different for every document (identical bytes would be reused)."""
    lines = []
    for index in range(count):
        a, b, c = (WORDS[(number * 7 + index * 3 + k) % len(WORDS)] for k in range(3))
        lines.append(f"Report {number}: the {a} near the {b} was visited by the {c} today.")
    return lines


@dataclass(frozen=True)
class Drop:
    key: str
    data: bytes
    kind: str  # what it is, for the reconciliation table
    expect: str  # "ok" (succeeded or partial) or the reason code of a failure


def documents(count: int) -> list[Drop]:
    """A repeatable mix: text PDFs, scans as images, duplicates and bad inputs."""
    makers_of: list[tuple[str, Callable[[int], tuple[bytes, str]]]] = [
        ("text pdf", lambda n: (makers.text_pdf([_sentences(n)]), "ok")),
        ("text pdf", lambda n: (makers.text_pdf([_sentences(n), _sentences(n + 1000)]), "ok")),
        ("scan png", lambda n: (makers.encoded(makers.text_image(_sentences(n, 2)), "PNG"), "ok")),
        ("text pdf", lambda n: (makers.text_pdf([_sentences(n)]), "ok")),
        ("empty", lambda n: (b"", "empty_file")),
        ("plain text", lambda n: (" ".join(_sentences(n)).encode(), "unsupported_type")),
        ("truncated pdf", lambda n: (makers.text_pdf([_sentences(n)])[:300], "corrupt_document")),
        (
            "encrypted pdf",
            lambda n: (makers.encrypted_pdf(_sentences(n), "secret"), "encrypted_document"),
        ),
        ("docx", lambda n: (makers.docx(" ".join(_sentences(n))), "unsupported_type")),
        ("duplicate pdf", lambda n: (makers.text_pdf([_sentences(n - 9)]), "ok")),
    ]
    drops = []
    for number in range(count):
        kind, make = makers_of[number % len(makers_of)]
        data, expect = make(number)
        suffix = ".png" if kind == "scan png" else ".pdf"
        drops.append(Drop(f"load/{number:04d} {kind}{suffix}", data, kind, expect))
    return drops


def tree_rss_bytes(pid: int | None = None) -> int:
    """Resident memory of a process (this one by default) and all its children; 0 if gone."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.Error:  # ended meanwhile
            continue
    return total


def unexpected(drops: list[Drop], outcomes: dict[str, tuple[str, str | None]]) -> list[str]:
    """The drops whose outcome (status, reason) is not the one their kind should have."""
    wrong = []
    for drop in drops:
        status, reason = outcomes.get(drop.key, ("missing", None))
        ok = status in ("succeeded", "partial") if drop.expect == "ok" else reason == drop.expect
        if not ok:
            wrong.append(f"{drop.key}: expected {drop.expect}, got {status} {reason}")
    return wrong


@dataclass
class MemoryWatch:
    """Peak resident memory of this process and its children, sampled while the run lasts."""

    interval: float = 0.2
    peak_bytes: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def sample(self) -> int:
        return tree_rss_bytes()

    def run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak_bytes = max(self.peak_bytes, self.sample())

    def __enter__(self) -> MemoryWatch:
        self._thread = threading.Thread(target=self.run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class LoadResult:
    drops: list[Drop]
    outcomes: dict[str, tuple[str, str | None]]  # key -> (status, reason)
    seconds: float
    peak_mb: float
    executions: int

    @property
    def counts(self) -> Counter[str]:
        return Counter(status for status, _ in self.outcomes.values())

    def reconciled(self) -> bool:
        counts = self.counts
        done = counts["succeeded"] + counts["partial"] + counts["failed"]
        return done == len(self.drops) == len(self.outcomes)

    def unexpected(self) -> list[str]:
        return unexpected(self.drops, self.outcomes)


def run(count: int, workers: int | None = None, timeout: float = 3600) -> LoadResult:
    drops = documents(count)
    with (
        MemoryWatch() as memory,
        LocalCloud(workers=workers, parameters={"TargetLanguages": "es"}) as cloud,
    ):
        s3 = cloud.clients.s3
        started = time.monotonic()
        sources = []
        for drop in drops:  # all at once: the queue and the state machine absorb the burst
            put = s3.put_object(Bucket=cloud.stack.input_bucket, Key=drop.key, Body=drop.data)
            sources.append(
                Source(
                    bucket=cloud.stack.input_bucket,
                    key=drop.key,
                    version_id=put.get("VersionId"),
                    etag=put["ETag"].strip('"'),
                )
            )
        arns = {execution_arn(cloud.state_machine_arn, layout.execution_name(s)) for s in sources}
        while time.monotonic() - started < timeout:
            listed = _executions(cloud)
            finished = {arn for arn, status in listed.items() if status != "RUNNING"}
            if arns <= finished:
                break
            time.sleep(1)
        seconds = time.monotonic() - started
        storage = Storage(s3)
        settings = load_settings()
        outcomes: dict[str, tuple[str, str | None]] = {}
        for source in sources:
            prefix = layout.output_prefix(settings, source)
            location = S3Location(bucket=prefix.bucket, key=f"{prefix.key}/{layout.MANIFEST}")
            if storage.exists(location):
                manifest = storage.read_model(location, Manifest)
                reason = manifest.failure.reason if manifest.failure else None
                outcomes[source.key] = (manifest.status.value, reason)
        executions = len(_executions(cloud))
    return LoadResult(drops, outcomes, seconds, memory.peak_bytes / 2**20, executions)


def _executions(cloud: LocalCloud) -> dict[str, str]:
    found: dict[str, str] = {}
    paginator = cloud.sfn.get_paginator("list_executions")
    for page in paginator.paginate(stateMachineArn=cloud.state_machine_arn):
        for execution in page["executions"]:
            found[execution["executionArn"]] = execution["status"]
    return found


def report(result: LoadResult) -> dict[str, Any]:
    counts = result.counts
    kinds = Counter(drop.kind for drop in result.drops)
    return {
        "documents": len(result.drops),
        "kinds": dict(sorted(kinds.items())),
        "succeeded": counts["succeeded"],
        "partial": counts["partial"],
        "failed": counts["failed"],
        "without a manifest": len(result.drops) - len(result.outcomes),
        "executions": result.executions,
        "reconciled": result.reconciled(),
        "unexpected outcomes": result.unexpected(),
        "seconds": round(result.seconds, 1),
        "seconds per document": round(result.seconds / max(len(result.drops), 1), 2),
        "peak memory MB (process tree)": round(result.peak_mb),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--workers", type=int, default=None)
    arguments = parser.parse_args()
    figures = report(run(arguments.documents, arguments.workers))
    print(json.dumps(figures, indent=2))
    verdict = "OK" if figures["reconciled"] else "MISMATCH"
    print(
        f"reconciliation: in {figures['documents']} = {figures['succeeded']} succeeded"
        f" + {figures['partial']} partial + {figures['failed']} failed: {verdict}"
    )
    if not figures["reconciled"] or figures["unexpected outcomes"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
