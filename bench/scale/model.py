"""The pipeline in virtual time (SimPy): every state of the ASL a document passes through, every
service call against its quota, every Retry and Catch as the definition says.

A Task attempt is one Lambda invocation: it takes a concurrency slot (the function's reserved
concurrency, else the account's unreserved pool; a new execution environment needs the scaling
rate's token and pays a cold start), runs its calls one after the other, and fails with the
service's throttling error (``Throttled``, as scriba's AWS adapters raise it) when a call is still
throttled after the SDK's own attempts (botocore standard mode: 3 attempts, jittered backoff).
The state's ``Retry`` then waits (IntervalSeconds x BackoffRate^n, capped by MaxDelaySeconds,
full jitter) up to MaxAttempts; beyond, its ``Catch`` (if any) decides: an optional stage (tag,
summary, a language) leaves the document partial, the others end in RecordFailure (failed).
Quotas are token buckets (rate per second, bucket = burst, or one period's worth for per-minute
quotas), Textract's asynchronous jobs a count of jobs in progress. A throttled request consumes
nothing; a Bedrock request reserves its input plus maxTokens and gives back what it did not use.

Latency model (medians; log-normal with sigma 0.3 unless said): Lambda cold start 1.2 s, warm
overhead 30 ms; Inspect 0.6 s + 4 ms a page; a rendered page for OCR 0.3 s; DetectDocumentText
1.2 s; StartDocumentTextDetection 0.25 s (after a 0.3 s upload of the page subset);
GetDocumentTextDetection 0.12 s; an asynchronous job 20 s + a page per second
(``textract.job_pages_per_second``); assemble 0.4 s + 3 ms a page; BatchDetectDominantLanguage
0.15 s; DetectLabels 0.45 s (+0.1 s to cut the picture out); Bedrock 0.4 s + input/8,000 tokens
+ output/55 tokens per second; TranslateText 0.35 s; SynthesizeSpeech 1.5 s; finalize 0.5 s;
the starter 60 ms a message (HEAD, the slot's conditional write, StartExecution); an execution
status event reaches the admitter in 1 s (sigma 0.5); the admitter takes 0.15 s an invocation,
50 ms a receive of up to 10 waiting messages and 60 ms a start.
"""

from __future__ import annotations

import math
import random
from collections import Counter, deque
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import simpy

from bench.scale.inputs import ModelInputs
from bench.scale.quotas import Quota
from bench.scale.workload import COMPREHEND_UNITS_PER_PAGE, Document, Request
from scriba.config import Settings
from scriba.stages.extract.ocr import MAX_BATCHES, batches, job_wait_budget, next_wait

THROTTLED = "Throttled"
TOO_MANY = "Lambda.TooManyRequestsException"
SDK_ATTEMPTS = 3  # botocore standard retry mode (scriba.aws.clients)
SIGMA = 0.3

Gen = Generator[Any, Any, Any]

# Which quotas each call draws on.
SERVICE_QUOTAS = {
    "textract.start": ("textract.StartDocumentTextDetection.tps",),
    "textract.get": ("textract.GetDocumentTextDetection.tps",),
    "textract.detect": ("textract.DetectDocumentText.tps",),
    "rekognition": ("rekognition.DetectLabels.tps",),
    "bedrock": (
        "bedrock.amazon.titan-text-express-v1.requests_per_minute",
        "bedrock.amazon.titan-text-express-v1.tokens_per_minute",
    ),
    "translate": ("translate.TranslateText.tps",),
    "polly": ("polly.SynthesizeSpeech.neural.tps",),
    "comprehend": ("comprehend.BatchDetectDominantLanguage.tps",),
}
PER_MINUTE = ("requests_per_minute", "tokens_per_minute")
JOBS = "textract.concurrent_text_detection_jobs"


class Failure(Exception):
    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class ExecutionTimedOut(Exception):
    """The execution's own TimeoutSeconds: terminal, no Catch sees it."""


class Bucket:
    """A token bucket, full at the start; ``unlimited`` never throttles."""

    __slots__ = ("capacity", "last", "rate", "tokens", "unlimited")

    def __init__(self, rate: float, capacity: float, unlimited: bool = False) -> None:
        self.rate, self.capacity, self.tokens, self.last = rate, capacity, capacity, 0.0
        self.unlimited = unlimited

    def _refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.last) * self.rate)
        self.last = now

    def available(self, now: float, amount: float) -> bool:
        if self.unlimited:
            return True
        self._refill(now)
        return self.tokens >= amount

    def take(self, now: float, amount: float) -> None:
        if not self.unlimited:
            self._refill(now)
            self.tokens -= amount

    def give(self, now: float, amount: float) -> None:
        if not self.unlimited:
            self._refill(now)
            self.tokens = min(self.capacity, self.tokens + amount)


def bucket_of(quota: Quota, unlimited: bool = False) -> Bucket:
    capacity = max(1.0, quota.burst or quota.value)  # a request needs a whole token
    if quota.key.endswith(PER_MINUTE):
        return Bucket(quota.value / 60, capacity, unlimited)
    return Bucket(quota.value, capacity, unlimited)


@dataclass
class Stats:
    throttles: Counter[str] = field(default_factory=Counter)
    retries: Counter[str] = field(default_factory=Counter)
    units: Counter[str] = field(default_factory=Counter)  # what is billed / drawn on quotas
    transitions: int = 0
    executions: int = 0
    lambda_gb_seconds: float = 0.0
    lambda_seconds: float = 0.0
    lambda_requests: int = 0
    cold_starts: int = 0
    job_seconds: float = 0.0
    express_requests: int = 0
    status: Counter[str] = field(default_factory=Counter)
    timed_out: int = 0
    first_use: dict[str, float] = field(default_factory=dict)  # earliest use of each service
    min_after: dict[str, float] = field(default_factory=dict)  # least time from a last use to end
    completion: float = 0.0
    slowest: float = 0.0  # the longest execution


@dataclass(frozen=True)
class Latencies:
    """The latency model's medians (seconds; see the module's docstring). The defaults are AWS's;
    another profile (bench.scale.validation's, measured on the local stack) replaces them whole.
    ``task_overhead`` is the executor's own time around each Task's invocation and
    ``execution_overhead`` its time per execution in the states that are not Tasks (both 0 on AWS,
    where they are a few milliseconds); ``sdk_attempts`` the SDK's attempts per service call."""

    sigma: float = SIGMA
    cold_start: float = 1.2
    warm: float = 0.03
    inspect: float = 0.6
    inspect_page: float = 0.004
    render_page: float = 0.3
    detect_text: float = 1.2
    upload_subset: float = 0.3
    upload_subset_page: float = 0.003
    start_job: float = 0.25
    get_job: float = 0.12
    job_startup: float = 20.0
    assemble: float = 0.4
    assemble_page: float = 0.003
    comprehend: float = 0.15
    tag: float = 0.0  # the Tag function's own time, besides its pictures
    cut_picture: float = 0.1
    detect_labels: float = 0.45
    plan: float = 0.2
    plan_page: float = 0.001
    bedrock: float = 0.4
    bedrock_input_tokens_per_second: float = 8000.0
    bedrock_output_tokens_per_second: float = 55.0
    reduce: float = 0.1
    translate_prepare: float = 0.05
    translate: float = 0.35
    speak_prepare: float = 0.1
    polly: float = 1.5
    speak_write: float = 0.1
    finalize: float = 0.5
    record_failure: float = 0.4
    starter_message: float = 0.06
    status_event: float = 1.0
    status_event_sigma: float = 0.5
    admit: float = 0.15
    admit_receive: float = 0.05
    admit_start: float = 0.06
    task_overhead: float = 0.0
    execution_overhead: float = 0.0
    sdk_attempts: int = SDK_ATTEMPTS


AWS_LATENCIES = Latencies()


@dataclass
class Options:
    admission: bool
    max_in_flight: int
    unlimited: bool = False  # no quotas at all (the bound's critical path)
    seed: int = 1
    latencies: Latencies = AWS_LATENCIES


@dataclass
class _Doc:
    spec: Document
    start: float = 0.0
    end: float = 0.0
    partial: bool = False
    last_use: dict[str, float] = field(default_factory=dict)
    ocr_done: int = 0
    job_end: float | None = None
    job_waited: int = 0
    job_wait: int = 0


class Simulation:
    def __init__(
        self,
        inputs: ModelInputs,
        quotas: dict[str, Quota],
        docs: list[Document],
        options: Options,
    ) -> None:
        self.inputs, self.quotas, self.options = inputs, quotas, options
        self.env = simpy.Environment()
        self.rng = random.Random(options.seed)
        self.stats = Stats()
        self.docs = [_Doc(doc) for doc in docs]
        self.remaining = len(docs)
        self.done = self.env.event()
        unlimited = options.unlimited
        self.buckets = {key: bucket_of(quota, unlimited) for key, quota in quotas.items()}
        self.jobs_limit = math.inf if unlimited else quotas[JOBS].value
        self.jobs_active = 0
        # Lambda: reserved functions, the unreserved pool, warm environments, the scaling rate.
        account = quotas["lambda.concurrent_executions"].value
        scaling = quotas["lambda.scaling_rate"]
        self.reserved = {
            name: spec.reserved for name, spec in inputs.functions.items() if spec.reserved
        }
        self.unreserved = math.inf if unlimited else account - sum(self.reserved.values())
        self.busy: Counter[str] = Counter()
        self.pool_busy = 0
        self.idle: Counter[str] = Counter()
        self.scaling = {
            name: Bucket(scaling.value / 10, scaling.value, unlimited) for name in inputs.functions
        }
        self.start_bucket = bucket_of(quotas["stepfunctions.StartExecution"], unlimited)
        self.settings = Settings()
        self.languages = inputs.languages
        self.start_queue: simpy.Store = simpy.Store(self.env)
        self.waiting: deque[_Doc] = deque()
        self.in_flight = 0
        self.admitter = simpy.Resource(self.env, capacity=inputs.admit_concurrency)
        self.t = options.latencies

    # -- the run ----------------------------------------------------------------------------------

    def lat(self, median: float, sigma: float | None = None) -> float:
        sigma = self.t.sigma if sigma is None else sigma
        return median * math.exp(sigma * self.rng.gauss(0, 1))

    def run(self, feeder: Callable[[], Gen] | None = None) -> Stats:
        if feeder is None:
            for doc in self.docs:
                self.start_queue.put(doc)
        else:
            self.env.process(feeder())
        for _ in range(self.inputs.start_max_concurrency):
            self.env.process(self.starter())
        if self.options.admission:
            self.env.process(self.ticks())
        if self.docs:
            self.env.run(until=self.done)
        self.stats.completion = self.env.now
        return self.stats

    def lambda_bill(self, function: str, seconds: float) -> None:
        memory = self.inputs.functions[function].memory_mb
        self.stats.lambda_gb_seconds += seconds * memory / 1024
        self.stats.lambda_seconds += seconds
        self.stats.lambda_requests += 1

    # -- starting executions: the starter, admission control, the admitter -------------------

    def starter(self) -> Gen:
        """One of the StartConcurrency pollers of the upload queue: batches of BatchSize."""
        while True:
            first = yield self.start_queue.get()
            batch = [first]
            while self.start_queue.items and len(batch) < self.inputs.start_batch_size:
                batch.append(self.start_queue.items.pop(0))
            began = self.env.now
            for doc in batch:
                yield self.env.timeout(self.lat(self.t.starter_message))
                if not self.options.admission or self.in_flight < self.options.max_in_flight:
                    self.in_flight += 1
                    yield from self.start(doc)
                else:
                    self.waiting.append(doc)
            self.lambda_bill("StartFunction", self.env.now - began + 0.03)

    def start(self, doc: _Doc) -> Gen:
        while not self.start_bucket.available(self.env.now, 1):
            self.stats.throttles["stepfunctions.StartExecution"] += 1
            yield self.env.timeout(self.rng.random())
        self.start_bucket.take(self.env.now, 1)
        self.stats.executions += 1
        self.env.process(self.execute(doc))

    def ended(self, doc: _Doc) -> None:
        if self.options.admission:
            self.env.process(self.status_event())
        else:
            self.in_flight -= 1

    def status_event(self) -> Gen:
        """The execution's status change event reaches the admitter (one at a time): it frees
        the slot and starts waiting documents while slots are free."""
        yield self.env.timeout(self.lat(self.t.status_event, self.t.status_event_sigma))
        with self.admitter.request() as turn:
            yield turn
            began = self.env.now
            yield self.env.timeout(self.lat(self.t.admit))
            self.in_flight -= 1
            yield from self.fill()
            self.lambda_bill("AdmitFunction", self.env.now - began)

    def fill(self) -> Gen:
        while self.waiting and self.in_flight < self.options.max_in_flight:
            yield self.env.timeout(self.lat(self.t.admit_receive))  # one receive: up to 10
            for _ in range(min(10, len(self.waiting), self.options.max_in_flight - self.in_flight)):
                doc = self.waiting.popleft()
                self.in_flight += 1
                yield self.env.timeout(self.lat(self.t.admit_start))
                yield from self.start(doc)

    def ticks(self) -> Gen:
        while True:
            yield self.env.timeout(self.inputs.admit_tick_seconds)
            with self.admitter.request() as turn:
                yield turn
                began = self.env.now
                yield self.env.timeout(self.lat(self.t.admit))
                yield from self.fill()
                self.lambda_bill("AdmitFunction", self.env.now - began)

    # -- Lambda, service calls, tasks with Retry --------------------------------------------------

    def acquire(self, function: str) -> bool:
        """A concurrency slot for ``function``; True when it needs a new environment."""
        limit = self.reserved.get(function)
        if limit is not None:
            if self.busy[function] >= limit and not self.options.unlimited:
                raise Failure(TOO_MANY)
        elif self.pool_busy >= self.unreserved:
            raise Failure(TOO_MANY)
        cold = self.idle[function] == 0
        if cold:
            scaling = self.scaling[function]
            if not scaling.available(self.env.now, 1):
                raise Failure(TOO_MANY)
            scaling.take(self.env.now, 1)
        else:
            self.idle[function] -= 1
        self.busy[function] += 1
        if limit is None:
            self.pool_busy += 1
        return cold

    def release(self, function: str) -> None:
        self.busy[function] -= 1
        if function not in self.reserved:
            self.pool_busy -= 1
        self.idle[function] += 1

    def invoke(self, function: str, body: Callable[[], Gen]) -> Gen:
        cold = self.acquire(function)
        began = self.env.now
        try:
            if cold:
                self.stats.cold_starts += 1
                yield self.env.timeout(self.lat(self.t.cold_start, 0.25))
            yield self.env.timeout(self.lat(self.t.warm))
            result = yield from body()
        finally:
            self.release(function)
            self.lambda_bill(function, self.env.now - began)
        return result

    def call(self, doc: _Doc, service: str, seconds: float, request: Request | None = None) -> Gen:
        """One request to a service, with the SDK's attempts; Throttled when they are spent."""
        keys = SERVICE_QUOTAS[service]
        amounts = [1.0] * len(keys)
        if request is not None:
            amounts = [1.0, float(request.reserved)]
        attempts = self.t.sdk_attempts
        for attempt in range(attempts):
            now = self.env.now
            buckets = [self.buckets[key] for key in keys]
            if all(b.available(now, a) for b, a in zip(buckets, amounts, strict=True)):
                for b, a in zip(buckets, amounts, strict=True):
                    b.take(now, a)
                self.stats.first_use.setdefault(service, now)
                yield self.env.timeout(seconds)
                if request is not None:
                    buckets[1].give(self.env.now, request.reserved_output - request.output_tokens)
                    self.stats.units["bedrock.input"] += request.input_tokens
                    self.stats.units["bedrock.output"] += request.output_tokens
                self.stats.units[service] += 1
                doc.last_use[service] = self.env.now
                return
            self.stats.throttles[service] += 1
            if attempt < attempts - 1:
                yield self.env.timeout(self.rng.random() * 2**attempt)
        raise Failure(THROTTLED)

    def enter(self, doc: _Doc, states: int = 1) -> None:
        """States entered (Choice, Pass, Map, Parallel, Wait, Succeed, Fail: one transition)."""
        self.stats.transitions += states
        if self.env.now - doc.start > self.inputs.execution_timeout:
            raise ExecutionTimedOut

    def task(self, doc: _Doc, name: str, body: Callable[[], Gen]) -> Gen:
        spec = self.inputs.tasks[name]
        self.enter(doc)
        tries = [0] * len(spec.retry)
        while True:
            try:
                if self.t.task_overhead:
                    yield self.env.timeout(self.lat(self.t.task_overhead))
                return (yield from self.invoke(spec.function, body))
            except Failure as failure:
                index = next(
                    (i for i, r in enumerate(spec.retry) if r.matches(failure.error)), None
                )
                if index is None or tries[index] >= spec.retry[index].max_attempts:
                    raise
                tries[index] += 1
                self.stats.retries[name] += 1
                self.enter(doc)  # a retry is billed as a transition
                yield self.env.timeout(spec.retry[index].delay(tries[index], self.rng.random()))

    def caught(self, name: str, failure: Failure) -> bool:
        """Whether the state's Catch handles the error (it goes on to its handler)."""
        catchers = self.inputs.catches.get(name, ())
        return any(failure.error in errors or "States.ALL" in errors for errors, _ in catchers)

    def map_each(self, items: Iterable[Any], concurrency: int, each: Callable[[Any], Gen]) -> Gen:
        """A Map state: at most ``concurrency`` iterations at once (0: all); the first error an
        iteration does not catch fails the Map."""
        pending = deque(items)
        errors: list[Failure] = []

        def worker() -> Gen:
            while pending and not errors:
                item = pending.popleft()
                try:
                    yield from each(item)
                except Failure as failure:
                    errors.append(failure)

        workers = min(concurrency or len(pending), len(pending))
        yield self.env.all_of([self.env.process(worker()) for _ in range(workers)])
        if errors:
            raise errors[0]

    # -- the workflow -----------------------------------------------------------------------------

    def execute(self, doc: _Doc) -> Gen:
        doc.start = self.env.now
        try:
            status = yield from self.pipeline(doc)
        except ExecutionTimedOut:
            status = "failed"
            self.stats.timed_out += 1
        except Failure:  # no Catch on the way: the execution fails, without a failure record
            status = "failed"
        doc.end = self.env.now
        self.stats.status[status] += 1
        self.stats.slowest = max(self.stats.slowest, doc.end - doc.start)
        for service, used in doc.last_use.items():
            after = doc.end - used
            self.stats.min_after[service] = min(self.stats.min_after.get(service, after), after)
        self.ended(doc)
        self.remaining -= 1
        if self.remaining == 0:
            self.done.succeed()

    def pipeline(self, doc: _Doc) -> Gen:
        state: str | None = "Inspect"  # the state whose Catch sees a failure
        if self.t.execution_overhead:
            yield self.env.timeout(self.lat(self.t.execution_overhead))
        try:
            yield from self.task(doc, "Inspect", lambda: self.inspect(doc))
            self.enter(doc, 2)  # Reused, Analyze
            state = "Analyze"
            text = self.env.process(self.branch(self.text(doc)))
            tags = self.env.process(self.branch(self.tag(doc)))
            text_error = yield text
            tag_error = yield tags
            if text_error or tag_error:
                raise text_error or tag_error
            state = None  # summary and languages catch their own failures
            if (yield from self.summarize(doc)):
                yield from self.languages_map(doc)
            state = "Finalize"
            yield from self.task(doc, "Finalize", lambda: self.work(self.t.finalize))
        except Failure as failure:
            if state is None or not self.caught(state, failure):
                return "failed"
            return (yield from self.record_failure(doc))
        self.enter(doc)  # Done
        return "partial" if doc.partial else "succeeded"

    def branch(self, steps: Gen) -> Gen:
        try:
            yield from steps
        except Failure as failure:
            return failure
        return None

    def record_failure(self, doc: _Doc) -> Gen:
        self.enter(doc)  # the ...Failed Pass state
        yield from self.task(doc, "RecordFailure", lambda: self.work(self.t.record_failure))
        self.enter(doc)  # DocumentFailed
        return "failed"

    def work(self, seconds: float) -> Gen:
        yield self.env.timeout(self.lat(seconds))

    def inspect(self, doc: _Doc) -> Gen:
        yield self.env.timeout(self.lat(self.t.inspect + self.t.inspect_page * doc.spec.pages))
        if doc.spec.kind == "born-digital":
            yield from self.detect_languages(doc)

    def detect_languages(self, doc: _Doc) -> Gen:
        for _ in range(doc.spec.language_batches):
            yield from self.call(doc, "comprehend", self.lat(self.t.comprehend))
        self.stats.units["comprehend.units"] += doc.spec.pages * COMPREHEND_UNITS_PER_PAGE

    def text(self, doc: _Doc) -> Gen:
        self.enter(doc)  # RouteOcr
        if doc.spec.ocr_job:
            yield from self.ocr_job(doc)
            yield from self.task(doc, "AssembleJobText", lambda: self.assemble(doc))
            return
        if doc.spec.ocr_pages:
            self.enter(doc)  # OcrPages
            size = max(self.settings.ocr_batch_pages, -(-doc.spec.ocr_pages // MAX_BATCHES))
            pages = batches(range(doc.spec.ocr_pages), size)
            yield from self.map_each(
                pages,
                self.inputs.map_concurrency["OcrPages"],
                lambda batch: self.task(doc, "OcrBatch", self.ocr_batch(doc, batch)),
            )
        yield from self.task(doc, "AssembleText", lambda: self.assemble(doc))

    def ocr_batch(self, doc: _Doc, batch: list[int]) -> Callable[[], Gen]:
        """The batch's attempts: each page is written when read, so a retry resumes."""
        left = deque(batch)

        def attempt() -> Gen:
            while left:
                yield self.env.timeout(self.lat(self.t.render_page))
                yield from self.call(doc, "textract.detect", self.lat(self.t.detect_text))
                self.stats.units["textract.pages"] += 1
                left.popleft()

        return attempt

    def assemble(self, doc: _Doc) -> Gen:
        yield self.env.timeout(self.lat(self.t.assemble + self.t.assemble_page * doc.spec.pages))
        if doc.spec.kind != "born-digital":
            yield from self.detect_languages(doc)

    def ocr_job(self, doc: _Doc) -> Gen:
        yield from self.task(doc, "StartOcrJob", lambda: self.start_job(doc))
        budget = job_wait_budget(doc.spec.pages, self.settings)
        doc.job_waited, doc.job_wait = 0, next_wait(0)
        while True:
            self.enter(doc)  # WaitForOcrJob
            yield self.env.timeout(doc.job_wait)
            finished = yield from self.task(doc, "CheckOcrJob", lambda: self.check_job(doc, budget))
            self.enter(doc)  # OcrJobDone
            if finished:
                return

    def start_job(self, doc: _Doc) -> Gen:
        t = self.t
        yield self.env.timeout(self.lat(t.upload_subset + t.upload_subset_page * doc.spec.pages))
        if self.jobs_active >= self.jobs_limit:
            self.stats.throttles["textract.jobs"] += 1
            raise Failure(THROTTLED)  # LimitExceededException
        yield from self.call(doc, "textract.start", self.lat(self.t.start_job))
        self.jobs_active += 1
        per_second = self.quotas["textract.job_pages_per_second"].value
        duration = self.lat(self.t.job_startup + doc.spec.pages / per_second, 0.25)
        self.stats.job_seconds += duration
        self.stats.units["textract.pages"] += doc.spec.pages
        doc.job_end = self.env.now + duration
        self.env.process(self.job_runs(duration))

    def job_runs(self, duration: float) -> Gen:
        yield self.env.timeout(duration)
        self.jobs_active -= 1

    def check_job(self, doc: _Doc, budget: int) -> Gen:
        yield from self.call(doc, "textract.get", self.lat(self.t.get_job))
        doc.job_waited += doc.job_wait
        assert doc.job_end is not None
        if self.env.now >= doc.job_end:
            return True
        if doc.job_waited >= budget:
            raise Failure("OcrJobTimedOut")
        doc.job_wait = min(next_wait(doc.job_waited), max(1, budget - doc.job_waited))
        return False

    def tag(self, doc: _Doc) -> Gen:
        try:
            yield from self.task(doc, "Tag", lambda: self.tag_images(doc))
        except Failure as failure:
            if not self.caught("Tag", failure):
                raise
            self.enter(doc)  # TagFailed
            doc.partial = True

    def tag_images(self, doc: _Doc) -> Gen:
        if self.t.tag:
            yield self.env.timeout(self.lat(self.t.tag))
        for _ in range(doc.spec.images):
            yield self.env.timeout(self.lat(self.t.cut_picture))
            yield from self.call(doc, "rekognition", self.lat(self.t.detect_labels))

    def bedrock(self, doc: _Doc, request: Request) -> Gen:
        t = self.t
        seconds = (
            t.bedrock
            + request.input_tokens / t.bedrock_input_tokens_per_second
            + request.output_tokens / t.bedrock_output_tokens_per_second
        )
        yield from self.call(doc, "bedrock", self.lat(seconds), request)

    def summarize(self, doc: _Doc) -> Gen:
        """Summarize (plan), then the map-reduce levels; False when the summary failed."""
        single = doc.spec.single
        state = "Summarize"
        try:
            yield from self.task(doc, state, lambda: self.plan(doc, single))
            self.enter(doc)  # HasSummary
            maps = doc.spec.levels[:-1]
            for number, level in enumerate(maps):
                state = "SummarizeChunks"
                self.enter(doc)
                yield from self.map_each(
                    level,
                    self.inputs.map_concurrency["SummarizeChunks"],
                    lambda request: self.task(
                        doc, "SummarizeChunk", lambda: self.bedrock(doc, request)
                    ),
                )
                final = doc.spec.levels[-1][0] if number == len(maps) - 1 else None
                state = "ReduceSummary"
                yield from self.task(doc, state, partial(self.reduce, doc, final))
                self.enter(doc)  # HasSummary
        except Failure as failure:
            if not self.caught(state, failure):
                raise
            self.enter(doc)  # SummarizeFailed
            doc.partial = True
            return False
        return True

    def plan(self, doc: _Doc, single: Request | None) -> Gen:
        yield self.env.timeout(self.lat(self.t.plan + self.t.plan_page * doc.spec.pages))
        if single is not None:
            yield from self.bedrock(doc, single)

    def reduce(self, doc: _Doc, final: Request | None) -> Gen:
        yield self.env.timeout(self.lat(self.t.reduce))
        if final is not None:
            yield from self.bedrock(doc, final)

    def languages_map(self, doc: _Doc) -> Gen:
        self.enter(doc)  # Languages
        yield from self.map_each(
            self.languages,
            self.inputs.map_concurrency["Languages"],
            lambda language: self.language(doc),
        )

    def language(self, doc: _Doc) -> Gen:
        chars = doc.spec.summary_chars
        try:
            yield from self.task(doc, "Translate", lambda: self.translate(doc, chars))
        except Failure as failure:
            if not self.caught("Translate", failure):
                raise
            self.enter(doc)  # TranslateFailed
            doc.partial = True
            return
        try:
            yield from self.task(doc, "Speak", lambda: self.speak(doc, chars))
        except Failure as failure:
            if not self.caught("Speak", failure):
                raise
            self.enter(doc)  # SpeakFailed
            doc.partial = True
            return
        self.enter(doc)  # LanguageDone

    def translate(self, doc: _Doc, chars: int) -> Gen:
        yield self.env.timeout(self.lat(self.t.translate_prepare))
        yield from self.call(doc, "translate", self.lat(self.t.translate))
        self.stats.units["translate.chars"] += chars

    def speak(self, doc: _Doc, chars: int) -> Gen:
        yield self.env.timeout(self.lat(self.t.speak_prepare))
        yield from self.call(doc, "polly", self.lat(self.t.polly))
        self.stats.units["polly.chars"] += chars
        yield self.env.timeout(self.lat(self.t.speak_write))


def simulate(
    inputs: ModelInputs,
    quotas: dict[str, Quota],
    docs: list[Document],
    options: Options,
    feeder: Callable[[Simulation], Gen] | None = None,
) -> Stats:
    simulation = Simulation(inputs, quotas, docs, options)
    return simulation.run((lambda: feeder(simulation)) if feeder else None)
