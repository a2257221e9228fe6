"""The simulation against the real thing: the same burst through the local stack (wall clock) and
through bench.scale's model (virtual time), with the same quotas and latencies.

    .venv/bin/python -m bench.scale.validation                 # 200 documents (about 10 minutes)
    .venv/bin/python -m bench.scale.validation --documents 50

The real run is ``LocalCloud`` with the trigger path live (S3 -> EventBridge -> SQS -> the starter,
its DynamoDB semaphore of MaxDocumentsInFlight, the waiting queue, the admitter on each ended
execution and on its tick), moto's ASL interpreter running statemachine/pipeline.asl.json, the
handlers in this process with the AWS engines, and the AI services answered by the fakes of
tests/e2e/aws_services.py, given a token bucket on the quota'd operations (Bedrock Converse here)
and a fixed latency per call. The documents are small text PDFs of a fixed mix (1-3 pages), so
that the quota, not the CPU, bounds the run.

The simulation runs the same documents (born-digital, their pages and characters) with the
template read as the local stack reads it (MaxDocumentsInFlight, the tick as capped here, one
poller of the upload queue), the quotas overridden to the fakes' (rate and burst; the others left
unlimited in effect) and a latency profile measured on the local stack: a calibration run of a few
documents without quotas gives each Task's own time (its handler, less the fake's latency, which
the model adds as the service call), the executor's time around each invocation, the time of the
states between, the starter's time a message and the time from an execution's end to the start
of the document admitted in its place. Two things differ from AWS and are set accordingly: no
cold starts (handlers run in this process) and one SDK attempt per call (the fakes answer in
botocore's before-call hook, ahead of its retry handler).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bench.results import BenchResult, Goal, Table, print_result
from bench.scale.inputs import ModelInputs, read_inputs
from bench.scale.model import Latencies, Options, Stats, simulate
from bench.scale.quotas import Quota, load_quotas
from bench.scale.workload import Document, SummaryShape, plan_summary

# The case: Bedrock Converse is the quota (one request a document), the admission control's
# MaxDocumentsInFlight keeps the CPU of this machine (one process: the handlers, moto) below
# what the quota lets through.
DOCUMENTS = 200
MAX_IN_FLIGHT = 2
QUOTAS = {"Converse": (0.4, 1.0)}  # operation: (requests per second, burst)
LATENCIES = {"Converse": 0.5, "TranslateText": 0.1, "SynthesizeSpeech": 0.2}  # seconds a call
TICK_SECONDS = 10.0  # SCRIBA_LOCAL_SCHEDULE_SECONDS: the admitter's tick
CALIBRATION_DOCUMENTS = 8
SIM_SEEDS = 5
GOAL = 0.20
SEED = 13
# Which quota of quotas.json each fake operation's bucket stands for.
QUOTA_KEYS = {
    "Converse": "bedrock.amazon.titan-text-express-v1.requests_per_minute",
    "SynthesizeSpeech": "polly.SynthesizeSpeech.neural.tps",
    "TranslateText": "translate.TranslateText.tps",
    "DetectDocumentText": "textract.DetectDocumentText.tps",
    "DetectLabels": "rekognition.DetectLabels.tps",
    "BatchDetectDominantLanguage": "comprehend.BatchDetectDominantLanguage.tps",
}
PER_MINUTE = ("requests_per_minute",)
UNLIMITED = 1e9
SERVICES = ("textract", "rekognition", "bedrock", "translate", "polly", "comprehend")
SENTENCES = (
    "The quarterly report describes the results of the northern region in some detail.",
    "Revenue grew by four percent while the costs stayed flat for the third year running.",
    "The board will meet in March to decide on the new warehouse near the harbour.",
    "Staff numbers are stable and the hours of training have doubled since last spring.",
    "Customers rated the new delivery service well above the one it replaced.",
)


# -- the documents --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    key: str
    data: bytes
    pages: int
    chars: int


def samples(count: int, seed: int = SEED, prefix: str = "validation") -> list[Sample]:
    """``count`` small text PDFs: 1, 2 or 3 pages (half, a third, a sixth), five sentences a
    page, each document's text its own (no two share a content hash)."""
    from tests.badinputs.makers import text_pdf  # noqa: PLC0415 - tests/ only when run

    rng = random.Random(seed)
    made = []
    for index in range(count):
        pages = rng.choices((1, 2, 3), weights=(3, 2, 1))[0]
        lines = [
            [f"Report {index} of the series, page {page + 1}.", *rng.sample(SENTENCES, 5)]
            for page in range(pages)
        ]
        chars = sum(len(" ".join(page)) for page in lines)
        made.append(Sample(f"{prefix}/doc-{index:04d}.pdf", text_pdf(lines), pages, chars))
    return made


# -- the real run ---------------------------------------------------------------------------------


@dataclass
class Span:
    name: str
    entered: float
    scheduled: list[float] = field(default_factory=list)
    succeeded: float | None = None
    exited: float | None = None


@dataclass
class Execution:
    key: str
    put: float  # when the upload was put (epoch seconds)
    start: float
    stop: float
    status: str  # succeeded, partial, failed
    spans: list[Span]

    @property
    def retries(self) -> int:
        return sum(max(0, len(span.scheduled) - 1) for span in self.spans)


@dataclass
class RealRun:
    documents: int
    completion: float
    throttles: Counter[str]
    executions: list[Execution]
    wall: float

    @property
    def status(self) -> Counter[str]:
        return Counter(execution.status for execution in self.executions)

    @property
    def retries(self) -> int:
        return sum(execution.retries for execution in self.executions)


@contextmanager
def environ(values: Mapping[str, str]) -> Iterator[None]:
    old = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def spans_of(events: list[dict[str, Any]]) -> list[Span]:
    """Each Task state's entry, its Lambda attempts and its exit, from an execution history
    (events are paired through previousEventId: parallel branches interleave)."""
    at = {event["id"]: event for event in events}
    spans: dict[int, Span] = {}  # by the TaskStateEntered event's id
    owner: dict[int, int] = {}  # event id -> the TaskStateEntered it belongs to

    def seconds(event: dict[str, Any]) -> float:
        return float(event["timestamp"].timestamp())

    for event in events:
        kind, previous = event["type"], event.get("previousEventId", 0)
        if kind == "TaskStateEntered":
            spans[event["id"]] = Span(event["stateEnteredEventDetails"]["name"], seconds(event))
            owner[event["id"]] = event["id"]
            continue
        if previous not in owner or at[previous]["type"] == "TaskStateExited":
            continue
        task = owner[event["id"]] = owner[previous]
        if kind == "LambdaFunctionScheduled":
            spans[task].scheduled.append(seconds(event))
        elif kind == "LambdaFunctionSucceeded":
            spans[task].succeeded = seconds(event)
        elif kind == "TaskStateExited":
            spans[task].exited = seconds(event)
    return list(spans.values())


def run_real(  # noqa: PLR0912, PLR0915 - one run, start to end
    docs: Sequence[Sample],
    quotas: Mapping[str, tuple[float, float]],
    latencies: Mapping[str, float],
    max_in_flight: int,
    timeout: float = 1800.0,
) -> RealRun:
    """The burst through the local stack: every upload put at once, then waited for."""
    import scriba.aws.clients  # noqa: PLC0415 - the local stack, only for a real run
    from scriba import layout  # noqa: PLC0415
    from scriba.aws.executions import execution_arn  # noqa: PLC0415
    from scriba.context import forget_contexts  # noqa: PLC0415
    from scriba.local.cloud import LocalCloud  # noqa: PLC0415
    from scriba.models.document import Source  # noqa: PLC0415
    from scriba.models.manifest import Manifest  # noqa: PLC0415
    from tests.e2e.aws_services import FakeAwsServices  # noqa: PLC0415

    started = time.perf_counter()
    settings = {"SCRIBA_LOCAL_SCHEDULE_SECONDS": f"{TICK_SECONDS:g}"}
    parameters = {"MaxDocumentsInFlight": str(max_in_flight)}
    with (
        environ(settings),
        LocalCloud(
            workers=0, parameters=parameters, environment={"SCRIBA_ENGINES": "aws"}
        ) as cloud,
    ):
        s3, sfn = cloud.clients.s3, cloud.sfn
        services = FakeAwsServices(s3)
        forget_contexts()
        services.install(scriba.aws.clients.session())
        try:
            for operation, (rate, burst) in quotas.items():
                services.set_quota(operation, rate, burst)
            for operation, seconds in latencies.items():
                services.set_latency(operation, seconds)
            bucket = cloud.stack.input_bucket
            arns, puts = {}, {}
            for doc in docs:
                puts[doc.key] = time.time()
                put = s3.put_object(Bucket=bucket, Key=doc.key, Body=doc.data)
                source = Source(
                    bucket=bucket,
                    key=doc.key,
                    version_id=put["VersionId"],
                    etag=put["ETag"].strip('"'),
                    size=len(doc.data),
                )
                arns[doc.key] = execution_arn(
                    cloud.state_machine_arn, layout.execution_name(source)
                )
            ended: dict[str, Any] = {}
            deadline = time.monotonic() + timeout
            while len(ended) < len(docs):
                for key, arn in arns.items():
                    if key in ended:
                        continue
                    try:
                        description = sfn.describe_execution(executionArn=arn)
                    except sfn.exceptions.ExecutionDoesNotExist:
                        continue
                    if description["status"] != "RUNNING":
                        ended[key] = description
                if len(ended) < len(docs):
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"{len(docs) - len(ended)} executions still running")
                    time.sleep(0.5)
            executions = []
            for key, description in ended.items():
                status = "failed"
                if description["status"] == "SUCCEEDED":
                    body = s3.get_object(
                        Bucket=cloud.stack.output_bucket, Key=f"documents/{key}/{layout.MANIFEST}"
                    )["Body"].read()
                    manifest = Manifest.model_validate_json(body)
                    status = "partial" if manifest.status.value == "partial" else "succeeded"
                events: list[Any] = []
                for page in sfn.get_paginator("get_execution_history").paginate(
                    executionArn=description["executionArn"]
                ):
                    events += page["events"]
                executions.append(
                    Execution(
                        key,
                        puts[key],
                        description["startDate"].timestamp(),
                        description["stopDate"].timestamp(),
                        status,
                        spans_of(events),
                    )
                )
            throttles = Counter(services.throttled)
        finally:
            services.uninstall()
            forget_contexts()
    first = min(puts.values())
    completion = max(execution.stop for execution in executions) - first
    return RealRun(len(docs), completion, throttles, executions, time.perf_counter() - started)


# -- calibration: the local stack's latency profile -----------------------------------------------


@dataclass
class Calibration:
    documents: int
    bodies: dict[str, float]  # each Task's handler time (median), the fake's latency included
    task_overhead: float
    execution_overhead: float
    starter_message: float
    admission_gap: float
    sigma: float
    latencies: Latencies


def _median(values: Sequence[float], default: float = 0.0) -> float:
    return statistics.median(values) if values else default


def calibrate(run: RealRun, latencies: Mapping[str, float], max_in_flight: int) -> Calibration:
    """The latency profile of the local stack, from a run without quotas."""
    bodies: dict[str, list[float]] = {}
    around: list[float] = []
    residual: list[float] = []
    for execution in run.executions:
        span_of: dict[str, list[Span]] = {}
        for span in execution.spans:
            span_of.setdefault(span.name, []).append(span)
            if span.succeeded is None or span.exited is None or not span.scheduled:
                continue
            bodies.setdefault(span.name, []).append(span.succeeded - span.scheduled[-1])
            around.append((span.scheduled[-1] - span.entered) + (span.exited - span.succeeded))

        def length(name: str, spans: dict[str, list[Span]] = span_of) -> float:
            return max(
                ((s.exited or s.entered) - s.entered for s in spans.get(name, [])), default=0.0
            )

        languages = [
            translate.exited - translate.entered + speak.exited - speak.entered
            for translate, speak in zip(
                span_of.get("Translate", []), span_of.get("Speak", []), strict=False
            )
            if translate.exited and speak.exited
        ]
        path = (
            length("Inspect")
            + max(length("AssembleText"), length("Tag"))
            + length("Summarize")
            + max(languages, default=0.0)
            + length("Finalize")
        )
        residual.append(execution.stop - execution.start - path)
    ordered = sorted(run.executions, key=lambda e: e.start)
    first_put = min(e.put for e in ordered)
    direct = ordered[: min(max_in_flight, len(ordered))]
    starter = (direct[-1].start - first_put) / len(direct)
    gaps = []
    for execution in ordered[len(direct) :]:
        before = [e.stop for e in ordered if e.stop <= execution.start]
        if before:
            gaps.append(execution.start - max(before))
    logs = [
        math.log(value / _median(values))
        for values in bodies.values()
        for value in values
        if value > 0 and _median(values) > 0
    ]
    sigma = statistics.pstdev(logs) if len(logs) > 1 else 0.3
    med = {name: _median(values) for name, values in bodies.items()}

    def less(name: str, operation: str) -> float:
        return max(0.0, med.get(name, 0.0) - latencies.get(operation, 0.0))

    profile = Latencies(
        sigma=sigma,
        cold_start=0.0,  # the handlers run in this process, their imports done once
        warm=0.0,
        inspect=med.get("Inspect", 0.0),
        inspect_page=0.0,
        comprehend=latencies.get("BatchDetectDominantLanguage", 0.0),
        assemble=med.get("AssembleText", 0.0),
        assemble_page=0.0,
        tag=med.get("Tag", 0.0),
        plan=less("Summarize", "Converse"),
        plan_page=0.0,
        bedrock=latencies.get("Converse", 0.0),
        bedrock_input_tokens_per_second=math.inf,
        bedrock_output_tokens_per_second=math.inf,
        translate_prepare=less("Translate", "TranslateText"),
        translate=latencies.get("TranslateText", 0.0),
        speak_prepare=less("Speak", "SynthesizeSpeech"),
        polly=latencies.get("SynthesizeSpeech", 0.0),
        speak_write=0.0,
        finalize=med.get("Finalize", 0.0),
        record_failure=med.get("RecordFailure", med.get("Finalize", 0.0)),
        starter_message=starter,
        status_event=_median(gaps, 1.0),
        status_event_sigma=0.3,
        admit=0.0,
        admit_receive=0.0,
        admit_start=0.0,
        task_overhead=_median(around),
        execution_overhead=max(0.0, _median(residual)),
        sdk_attempts=1,
    )
    return Calibration(
        run.documents,
        med,
        profile.task_overhead,
        profile.execution_overhead,
        starter,
        profile.status_event,
        sigma,
        profile,
    )


# -- the simulated run ----------------------------------------------------------------------------


def sim_documents(docs: Sequence[Sample], inputs: ModelInputs) -> list[Document]:
    shape = SummaryShape.of(
        str(inputs.parameters["BedrockModelId"]), int(inputs.parameters["SummarySentences"])
    )
    made = []
    for index, doc in enumerate(docs):
        document = Document(index, "born-digital", doc.pages, doc.chars, images=0)
        plan_summary(document, shape)
        made.append(document)
    return made


def sim_quotas(quotas: Mapping[str, tuple[float, float]]) -> dict[str, Quota]:
    """The quotas of quotas.json, every rate quota unlimited in effect but the fakes' buckets
    (same rate, same burst); Lambda and Step Functions as they are."""
    every = load_quotas()
    chosen = {QUOTA_KEYS[operation]: value for operation, value in quotas.items()}
    out = {}
    for key, quota in every.items():
        if key in chosen:
            rate, burst = chosen[key]
            value = rate * 60 if key.endswith(PER_MINUTE) else rate
            out[key] = dataclasses.replace(quota, value=value, burst=burst, note="the fake's")
        elif key.split(".")[0] in SERVICES:
            out[key] = dataclasses.replace(quota, value=UNLIMITED, burst=UNLIMITED)
        else:
            out[key] = quota
    return out


@dataclass
class SimRuns:
    runs: list[Stats]

    @property
    def completion(self) -> float:
        return statistics.median(stats.completion for stats in self.runs)

    def spread(self) -> tuple[float, float]:
        values = [stats.completion for stats in self.runs]
        return min(values), max(values)

    def median(self, what: str) -> float:
        def figure(stats: Stats) -> float:
            if what == "throttles":
                return float(sum(stats.throttles.values()))
            if what == "retries":
                return float(sum(stats.retries.values()))
            return float(stats.status[what])

        return statistics.median(figure(stats) for stats in self.runs)


def run_sim(
    docs: Sequence[Sample],
    quotas: Mapping[str, tuple[float, float]],
    latencies: Latencies,
    max_in_flight: int,
    seeds: int = SIM_SEEDS,
) -> SimRuns:
    inputs = read_inputs(parameters={"MaxDocumentsInFlight": str(max_in_flight)})
    inputs = dataclasses.replace(inputs, admit_tick_seconds=TICK_SECONDS, start_max_concurrency=1)
    documents = sim_documents(docs, inputs)
    limits = sim_quotas(quotas)
    runs = []
    for seed in range(1, seeds + 1):
        options = Options(True, max_in_flight, seed=seed, latencies=latencies)
        runs.append(simulate(inputs, limits, documents, options))
    return SimRuns(runs)


# -- the comparison -------------------------------------------------------------------------------


@dataclass
class Validation:
    documents: int
    max_in_flight: int
    quotas: dict[str, tuple[float, float]]
    calibration: Calibration
    real: RealRun
    sim: SimRuns

    @property
    def ratio(self) -> float:
        return self.sim.completion / self.real.completion

    @property
    def agrees(self) -> bool:
        return abs(self.ratio - 1) <= GOAL


def validate(
    documents: int = DOCUMENTS,
    quotas: Mapping[str, tuple[float, float]] | None = None,
    max_in_flight: int = MAX_IN_FLIGHT,
    calibration_documents: int = CALIBRATION_DOCUMENTS,
    log: Any = print,
) -> Validation:
    quotas = dict(QUOTAS if quotas is None else quotas)
    probe = run_real(
        samples(calibration_documents, prefix="calibration"), {}, LATENCIES, max_in_flight
    )
    calibration = calibrate(probe, LATENCIES, max_in_flight)
    log(f"calibration: {calibration_documents} documents in {probe.completion:.1f} s")
    docs = samples(documents)
    real = run_real(docs, quotas, LATENCIES, max_in_flight)
    log(f"real: {real.completion:.1f} s, {dict(real.status)}, {dict(real.throttles)} throttled")
    sim = run_sim(docs, quotas, calibration.latencies, max_in_flight)
    log(f"simulated: {sim.completion:.1f} s")
    return Validation(documents, max_in_flight, quotas, calibration, real, sim)


def result(validation: Validation) -> BenchResult:
    real, sim, calibration = validation.real, validation.sim, validation.calibration
    low, high = sim.spread()
    table = Table(
        ["run", "completion", "throttled requests", "state retries", "failed", "partial", "wall"]
    )
    table.add(
        "local stack (wall clock)",
        f"{real.completion:.1f} s",
        sum(real.throttles.values()),
        real.retries,
        real.status["failed"],
        real.status["partial"],
        f"{real.wall:.0f} s",
    )
    table.add(
        f"simulation (virtual time, median of {len(sim.runs)} seeds)",
        f"{sim.completion:.1f} s ({low:.1f}–{high:.1f})",
        f"{sim.median('throttles'):.0f}",
        f"{sim.median('retries'):.0f}",
        f"{sim.median('failed'):.0f}",
        f"{sim.median('partial'):.0f}",
        "",
    )
    quotas = ", ".join(
        f"{op} {rate:g}/s (burst {burst:g})" for op, (rate, burst) in validation.quotas.items()
    )
    bound = validation.documents / min(rate for rate, _ in validation.quotas.values())
    out = BenchResult(
        key="scale_validation",
        title="The simulation against the local stack (same burst, same quotas)",
        table=table,
    )
    out.goals.append(
        Goal.at_most(
            f"{validation.documents} documents: |simulated / real completion − 1|",
            abs(validation.ratio - 1),
            GOAL,
            f"{validation.ratio:.3f} (sim {sim.completion:.0f} s, real {real.completion:.0f} s)",
            f"within {GOAL:.0%}",
        )
    )
    failed = real.status["failed"] + sim.median("failed")
    out.goals.append(
        Goal.at_most("failed documents (real + simulated)", failed, 0, f"{failed:.0f}", "0")
    )
    bodies = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in calibration.bodies.items())
    out.notes += [
        f"The case: {validation.documents} text PDFs of 1–3 pages (a fixed, seeded mix) put into "
        f"the input bucket at once; MaxDocumentsInFlight {validation.max_in_flight}; quota "
        f"{quotas} ({bound:.0f} s for the documents' requests alone); the fakes' latency a call: "
        + ", ".join(f"{op} {s:g} s" for op, s in LATENCIES.items())
        + f"; the admitter's tick every {TICK_SECONDS:g} s. The other services without a quota.",
        "Real: LocalCloud (moto's ASL interpreter, the handlers in one process, the AWS engines "
        "against the fakes of tests/e2e/aws_services.py with a token bucket on the quota'd "
        "operation), completion from the first upload to the last execution's end. Simulated: "
        "bench/scale/model.py with the same documents, the template as the local stack reads it, "
        "the quotas set to the fakes' and the latency profile below.",
        f"Calibration (a run of {calibration.documents} documents without quotas, same "
        f"MaxDocumentsInFlight): Task handler times (median, fake latency included) {bodies}; "
        f"the executor around each Task {calibration.task_overhead * 1000:.0f} ms; the states "
        f"between Tasks {calibration.execution_overhead * 1000:.0f} ms an execution; the starter "
        f"{calibration.starter_message * 1000:.0f} ms a message; an execution's end to the "
        f"start of the next admitted {calibration.admission_gap:.2f} s; spread (sigma of log "
        f"times) {calibration.sigma:.2f}. No cold starts, one SDK attempt per call (the fakes "
        "answer ahead of botocore's retries).",
        "Throttled requests: real, as the fakes counted them; simulated, the model's throttled "
        "attempts. State retries: Lambda attempts beyond each Task's first.",
    ]
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=DOCUMENTS)
    parser.add_argument("--in-flight", type=int, default=MAX_IN_FLIGHT)
    arguments = parser.parse_args(argv)
    started = time.perf_counter()
    validation = validate(arguments.documents, max_in_flight=arguments.in_flight)
    out = result(validation)
    out.seconds = time.perf_counter() - started
    print_result(out)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
