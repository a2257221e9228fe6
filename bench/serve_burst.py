"""`scriba serve` under a burst: hundreds of uploads at once through its S3 endpoint, from a
plain S3 client, as a user's `aws s3 sync` would.

Every upload must end with exactly one execution and one manifest; admission control must keep
the documents in flight at most `--max-in-flight` (the rest wait in the waiting queue, which
ends empty, as does the semaphore); and the memory of the serve process tree is sampled as the
documents finish, to show its peak and how it grows with the documents done.

    .venv/bin/python -m bench.serve_burst                        # 500 uploads
    .venv/bin/python -m bench.serve_burst --documents 60 --max-in-flight 4
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from bench.load import Drop, documents, tree_rss_bytes, unexpected
from bench.results import RESULT_FILE_VARIABLE, ROOT, BenchResult, Goal, Table, Verdict, run_alone
from scriba import layout
from scriba.config import Settings, load_settings
from scriba.local.template import LocalStack, load_stack
from scriba.models.document import Source
from scriba.models.manifest import Manifest

DOCUMENTS = 500
MAX_IN_FLIGHT = 8
WORKERS = 2
# Longest wait for the slots to come back after the last execution ended: the admitter's tick
# (every minute) frees a lease two minutes old whose end event never came.
DRAIN_SECONDS = 200


@dataclass(frozen=True)
class Sample:
    seconds: float
    done: int  # executions ended
    running: int  # executions running
    slots: int  # the admission counter
    rss_mb: float  # the serve process tree


@dataclass
class Burst:
    drops: list[Drop]
    max_in_flight: int
    seconds: float = 0.0
    samples: list[Sample] = field(default_factory=list)
    executions: Counter[str] = field(default_factory=Counter)  # execution name -> how many
    expected: set[str] = field(default_factory=set)  # one name per upload
    outcomes: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    waiting_left: int = -1
    slots_left: int = -1
    leases_left: int = -1
    drain_seconds: float = 0.0  # from the last execution's end to every slot given back
    log: str = ""

    @property
    def exactly_once(self) -> bool:
        return set(self.executions) == self.expected and all(
            count == 1 for count in self.executions.values()
        )

    @property
    def peak_running(self) -> int:
        return max((s.running for s in self.samples), default=0)

    @property
    def peak_slots(self) -> int:
        return max((s.slots for s in self.samples), default=0)

    @property
    def peak_mb(self) -> float:
        return max((s.rss_mb for s in self.samples), default=0.0)

    def rss_when(self, fraction: float) -> float:
        """The tree's largest memory until ``fraction`` of the documents had finished."""
        limit = fraction * len(self.drops)
        return max((s.rss_mb for s in self.samples if s.done <= limit), default=0.0)

    def growth_mb_per_100(self) -> float:
        """The slope of memory against documents done, past the first tenth (start-up)."""
        later = [s for s in self.samples if s.done >= len(self.drops) / 10]
        if len({s.done for s in later}) < 2:
            return 0.0
        fit = statistics.linear_regression([s.done for s in later], [s.rss_mb for s in later])
        return fit.slope * 100

    def unexpected(self) -> list[str]:
        return unexpected(self.drops, self.outcomes)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Endpoint:
    """Clients of the serve process's endpoint, as any S3 (and Step Functions) client."""

    def __init__(self, url: str) -> None:
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )
        config = Config(max_pool_connections=16, retries={"max_attempts": 10, "mode": "standard"})
        self.s3 = session.client("s3", endpoint_url=url, config=config)
        self.sfn = session.client("stepfunctions", endpoint_url=url, config=config)
        self.sqs = session.client("sqs", endpoint_url=url, config=config)
        self.dynamodb = session.client("dynamodb", endpoint_url=url, config=config)

    def executions(self, machine: str) -> list[Any]:
        found: list[Any] = []
        for page in self.sfn.get_paginator("list_executions").paginate(stateMachineArn=machine):
            found.extend(page["executions"])
        return found

    def leases(self, table: str) -> int:
        items = self.dynamodb.scan(TableName=table, ConsistentRead=True)["Items"]
        return sum(item["pk"]["S"].startswith("lease#") for item in items)

    def slots(self, table: str) -> int:
        item = self.dynamodb.get_item(TableName=table, Key={"pk": {"S": "in-flight"}}).get("Item")
        return int(item["count"]["N"]) if item else 0


def run(
    count: int = DOCUMENTS,
    max_in_flight: int = MAX_IN_FLIGHT,
    workers: int = WORKERS,
    timeout: float = 3600,
) -> Burst:
    """Starts ``scriba serve``, uploads ``count`` documents at once, waits for every one."""
    burst = Burst(documents(count), max_in_flight)
    stack = load_stack(ROOT, {"MaxDocumentsInFlight": max_in_flight})
    machine = stack.state_machine.arn
    table = stack.tables["AdmissionTable"]
    port = _free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))}
    with tempfile.TemporaryDirectory(prefix="scriba-burst-") as folder:
        log = Path(folder) / "serve.log"
        with log.open("wb") as sink:
            serve = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "scriba.cli",
                    "serve",
                    "--port",
                    str(port),
                    "--workers",
                    str(workers),
                    "--languages",
                    "es",
                    "--max-in-flight",
                    str(max_in_flight),
                ],
                cwd=ROOT,
                stdout=sink,
                stderr=subprocess.STDOUT,
                env=environment,
                start_new_session=True,
            )
        try:
            endpoint = _Endpoint(f"http://127.0.0.1:{port}")
            _wait_until_serving(endpoint, machine, serve, log)
            _burst(burst, endpoint, stack.input_bucket, machine, table, serve.pid, timeout)
            burst.outcomes = _outcomes(burst, endpoint, _settings(stack))
            waiting = stack.queues["WaitingQueue"].name
            url = endpoint.sqs.get_queue_url(QueueName=waiting)["QueueUrl"]
            attributes = endpoint.sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )["Attributes"]
            burst.waiting_left = sum(int(value) for value in attributes.values())
            burst.slots_left = endpoint.slots(table)
            burst.leases_left = endpoint.leases(table)
        finally:
            os.killpg(serve.pid, signal.SIGINT)  # Ctrl-C: a clean stop
            try:
                serve.wait(timeout=120)
            except subprocess.TimeoutExpired:
                os.killpg(serve.pid, signal.SIGKILL)
                serve.wait()
            burst.log = log.read_text(errors="replace")
    return burst


def _wait_until_serving(
    endpoint: _Endpoint, machine: str, serve: subprocess.Popen[bytes], log: Path
) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if serve.poll() is not None:
            raise RuntimeError(f"scriba serve exited:\n{log.read_text(errors='replace')}")
        try:  # the state machine is the last resource made
            endpoint.sfn.describe_state_machine(stateMachineArn=machine)
            return
        except Exception:  # not up yet
            time.sleep(0.5)
    raise RuntimeError(f"scriba serve did not come up:\n{log.read_text(errors='replace')}")


def _burst(
    burst: Burst,
    endpoint: _Endpoint,
    bucket: str,
    machine: str,
    table: str,
    pid: int,
    timeout: float,
) -> None:
    started = time.monotonic()

    def upload(drop: Drop) -> Source:
        put = endpoint.s3.put_object(Bucket=bucket, Key=drop.key, Body=drop.data)
        return Source(
            bucket=bucket, key=drop.key, version_id=put.get("VersionId"), etag=put["ETag"]
        )

    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.5):
            listed = endpoint.executions(machine)
            running = sum(e["status"] == "RUNNING" for e in listed)
            burst.samples.append(
                Sample(
                    seconds=time.monotonic() - started,
                    done=len(listed) - running,
                    running=running,
                    slots=endpoint.slots(table),
                    rss_mb=tree_rss_bytes(pid) / 2**20,
                )
            )

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:  # all at once, as a sync would
            sources = list(pool.map(upload, burst.drops))
        burst.expected = {layout.execution_name(source) for source in sources}
        while time.monotonic() - started < timeout:
            listed = endpoint.executions(machine)
            ended = {e["name"] for e in listed if e["status"] != "RUNNING"}
            if burst.expected <= ended:
                break
            time.sleep(1)
        burst.seconds = time.monotonic() - started
        # The last end events reach the admitter a little later; a lost one, the tick repairs
        # (leases older than two minutes). Either way the slots must come back.
        while time.monotonic() - started < burst.seconds + DRAIN_SECONDS:
            if endpoint.slots(table) == 0 and endpoint.leases(table) == 0:
                break
            time.sleep(1)
        burst.drain_seconds = time.monotonic() - started - burst.seconds
    finally:
        stop.set()
        sampler.join()
    burst.executions = Counter(e["name"] for e in endpoint.executions(machine))


def _settings(stack: LocalStack) -> Settings:
    """The settings the stack's functions run with (buckets, prefixes), from its template."""
    variables = stack.functions["FinalizeFunction"].environment
    saved = dict(os.environ)
    try:
        os.environ.update(variables)
        return load_settings()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _outcomes(
    burst: Burst, endpoint: _Endpoint, settings: Settings
) -> dict[str, tuple[str, str | None]]:
    outcomes: dict[str, tuple[str, str | None]] = {}
    for drop in burst.drops:
        source = Source(bucket=settings.input_bucket, key=drop.key)
        prefix = layout.output_prefix(settings, source)
        try:
            body = endpoint.s3.get_object(
                Bucket=prefix.bucket, Key=f"{prefix.key}/{layout.MANIFEST}"
            )["Body"].read()
        except endpoint.s3.exceptions.NoSuchKey:
            continue
        manifest = Manifest.model_validate_json(body)
        outcomes[drop.key] = (
            manifest.status.value,
            manifest.failure.reason if manifest.failure else None,
        )
    return outcomes


def figures(burst: Burst) -> dict[str, Any]:
    counts = Counter(status for status, _ in burst.outcomes.values())
    return {
        "documents": len(burst.drops),
        "max in flight": burst.max_in_flight,
        "succeeded": counts["succeeded"],
        "partial": counts["partial"],
        "failed": counts["failed"],
        "without a manifest": len(burst.drops) - len(burst.outcomes),
        "executions": sum(burst.executions.values()),
        "exactly once": burst.exactly_once,
        "unexpected outcomes": burst.unexpected(),
        "peak running executions": burst.peak_running,
        "peak slots taken": burst.peak_slots,
        "waiting messages left": burst.waiting_left,
        "slots left taken": burst.slots_left,
        "leases left": burst.leases_left,
        "seconds until the slots were given back": round(burst.drain_seconds, 1),
        "minutes": round(burst.seconds / 60, 1),
        "documents per minute": round(len(burst.drops) / max(burst.seconds / 60, 1e-9), 1),
        "peak memory MB (serve tree)": round(burst.peak_mb),
        "memory MB at 10 % done": round(burst.rss_when(0.1)),
        "memory MB at 50 % done": round(burst.rss_when(0.5)),
        "memory growth MB per 100 documents": round(burst.growth_mb_per_100(), 1),
    }


def measure() -> BenchResult:
    burst = run()
    found = figures(burst)
    table = Table(["figure", "value"])
    for key, value in found.items():
        if key != "unexpected outcomes":
            table.add(key, value)
    bounded = burst.peak_running <= burst.max_in_flight and burst.peak_slots <= burst.max_in_flight
    result = BenchResult(
        key="serve_burst",
        title=f"`scriba serve` under a burst of {len(burst.drops)} uploads",
        table=table,
    )
    result.goals += [
        Goal(
            "every upload processed exactly once",
            f"{found['executions']} executions for {found['documents']} uploads, "
            f"{found['without a manifest']} without a manifest, "
            f"{len(found['unexpected outcomes'])} unexpected",
            "1 each, 0 missing",
            Verdict.MET
            if burst.exactly_once and not found["unexpected outcomes"] and burst.outcomes
            else Verdict.MISSED,
        ),
        Goal(
            "documents in flight",
            f"peak {burst.peak_running} running (slots {burst.peak_slots}); "
            f"{burst.waiting_left} waiting, {burst.slots_left} slots and {burst.leases_left} "
            f"leases left {burst.drain_seconds:.0f} s after the last execution ended",
            f"≤ {burst.max_in_flight}; 0 left within {DRAIN_SECONDS} s",
            Verdict.MET
            if bounded and (burst.waiting_left, burst.slots_left, burst.leases_left) == (0, 0, 0)
            else Verdict.MISSED,
        ),
        Goal(
            "memory of the serve process tree",
            f"peak {found['peak memory MB (serve tree)']} MB; "
            f"{found['memory growth MB per 100 documents']} MB more per 100 documents",
            "report",
            Verdict.REPORTED,
        ),
    ]
    result.notes += [
        f"`scriba serve --workers {WORKERS} --languages es --max-in-flight {MAX_IN_FLIGHT}` in a "
        "process of its own; the uploads come from a plain boto3 S3 client on 8 threads. The mix "
        "is bench.load's: text PDFs, scans as PNG, duplicates of content and bad inputs (empty, "
        "truncated, encrypted, plain text, docx), each expected to end as the bad-input corpus "
        "says.",
        "Memory grows with the documents done because the local S3 (moto) keeps every object, "
        "inputs and results, in memory; the workers and the executions in flight do not grow.",
    ]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=None)
    parser.add_argument("--max-in-flight", type=int, default=MAX_IN_FLIGHT)
    parser.add_argument("--workers", type=int, default=WORKERS)
    arguments = parser.parse_args()
    if arguments.documents is None and RESULT_FILE_VARIABLE in os.environ:
        run_alone(measure)
        return
    burst = run(arguments.documents or DOCUMENTS, arguments.max_in_flight, arguments.workers)
    found = figures(burst)
    print(json.dumps(found, indent=2))
    if not burst.exactly_once or found["unexpected outcomes"]:
        print(burst.log[-3000:], file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
