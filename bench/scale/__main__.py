"""Bursts of 1,000, 10,000 and 100,000 documents and a 1,000,000-object backfill, in virtual time,
before admission control (every upload starts its execution at once) and after (at most
MaxDocumentsInFlight executions; the rest wait in the waiting queue), against the default
quotas. See bench/scale/model.py for what is modelled and docs/performance.md for the figures.

    .venv/bin/python -m bench.scale                          # the whole benchmark
    .venv/bin/python -m bench.scale --docs 1000 --param MaxDocumentsInFlight=30 --no-sweep
    .venv/bin/python -m bench.scale --quota polly.SynthesizeSpeech.neural.tps=2 --docs 500
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bench.results import BenchResult, Goal, Table, Verdict, print_result
from bench.scale.bound import Bound, Cost, cost, quota_bound
from bench.scale.inputs import ModelInputs, read_inputs
from bench.scale.model import Gen, Options, Simulation, Stats, simulate
from bench.scale.quotas import Quota, load_prices, load_quotas
from bench.scale.workload import Document, SummaryShape, documents

SIZES = (1_000, 10_000, 100_000)
SWEEP = (12, 14, 16, 17, 18, 20, 24, 30)
SWEEP_SIZES = (1_000, 10_000)
BACKFILL_OBJECTS = 1_000_000
BACKFILL_SIMULATED = 20_000
RATIO_GOAL = 1.25
SEED = 20261207


@dataclass
class Case:
    documents: int
    admission: bool
    max_in_flight: int
    stats: Stats
    bound: Bound
    cost: Cost
    wall: float

    @property
    def ratio(self) -> float:
        return self.stats.completion / self.bound.seconds

    @property
    def failed(self) -> int:
        return self.stats.status["failed"]

    @property
    def partial(self) -> int:
        return self.stats.status["partial"]


def duration(seconds: float) -> str:
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.1f} d"
    if seconds >= 2 * 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 120:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"


class Bench:
    def __init__(self, inputs: ModelInputs, quotas: dict[str, Quota], seed: int) -> None:
        self.inputs, self.quotas, self.seed = inputs, quotas, seed
        self.shape = SummaryShape.of(
            str(inputs.parameters["BedrockModelId"]), int(inputs.parameters["SummarySentences"])
        )
        self.prices = load_prices(str(inputs.parameters["BedrockModelId"]))
        self._docs: dict[int, list[Document]] = {}
        self._bounds: dict[tuple[int, bool], tuple[Bound, Stats]] = {}

    def docs(self, count: int) -> list[Document]:
        if count not in self._docs:
            images = int(self.inputs.parameters["MaxImages"])
            self._docs[count] = documents(count, self.seed, self.shape, images)
        return self._docs[count]

    def bound(self, count: int, backfill: bool = False) -> Bound:
        if (count, backfill) not in self._bounds:
            options = Options(admission=False, max_in_flight=0, unlimited=True, seed=self.seed)
            free = self.simulate(count, options, backfill)
            self._bounds[(count, backfill)] = (quota_bound(free, self.quotas), free)
        return self._bounds[(count, backfill)][0]

    def simulate(self, count: int, options: Options, backfill: bool = False) -> Stats:
        feeder = self.backfill_feeder if backfill else None
        return simulate(self.inputs, self.quotas, self.docs(count), options, feeder)

    def backfill_feeder(self, simulation: Simulation) -> Gen:
        """The Distributed Map: BackfillConcurrency child executions (Express) at a time, each
        one backfill function invocation over MaxItemsPerBatch listed objects, which sends those
        without a manifest to the upload queue (where the starter admits them as uploads)."""
        env, inputs = simulation.env, self.inputs
        pending = list(simulation.docs)
        size = inputs.backfill_batch_items
        simulation.stats.transitions += 3  # Limits, Reader, the Map state

        def child() -> Gen:
            while pending:
                batch, pending[:size] = pending[:size], []
                simulation.stats.transitions += 1  # each child execution is one of the Map's
                simulation.stats.express_requests += 1
                began = env.now
                yield env.timeout(simulation.lat(0.3 + 0.015 * len(batch)))
                simulation.lambda_bill("BackfillFunction", env.now - began)
                for doc in batch:
                    simulation.start_queue.put(doc)

        yield env.all_of([env.process(child()) for _ in range(inputs.backfill_concurrency)])

    def case(self, count: int, admission: bool, max_in_flight: int, backfill: bool = False) -> Case:
        started = time.perf_counter()
        options = Options(admission, max_in_flight, seed=self.seed)
        stats = self.simulate(count, options, backfill)
        return Case(
            count,
            admission,
            max_in_flight,
            stats,
            self.bound(count, backfill),
            cost(stats, self.prices),
            time.perf_counter() - started,
        )


def row(table: Table, case: Case, label: str | None = None) -> None:
    stats = case.stats
    table.add(
        label or f"{case.documents:,}",
        f"after (≤ {case.max_in_flight})" if case.admission else "before",
        duration(stats.completion),
        f"{duration(case.bound.seconds)} ({case.bound.quota})",
        f"{case.ratio:.3f}",
        f"{sum(stats.throttles.values()):,}",
        f"{sum(stats.retries.values()):,}",
        f"{case.failed:,}",
        f"{case.partial:,}",
        f"{stats.transitions:,}",
        f"{case.cost.total:,.2f}",
        f"{case.cost.total / case.documents * 1000:,.2f}",
    )


HEADERS = [
    "documents",
    "admission",
    "completion",
    "quota bound (tightest quota)",
    "completion / bound",
    "throttled requests",
    "state retries",
    "failed",
    "partial",
    "state transitions",
    "USD",
    "USD per 1,000",
]


def choose(sweep: dict[int, list[Case]]) -> int:
    """The MaxDocumentsInFlight that meets both goals at every swept size, fewest partial
    documents first, then the best worst ratio."""
    good = [
        value
        for value, cases in sweep.items()
        if all(c.failed == 0 and c.ratio <= RATIO_GOAL for c in cases)
    ]
    pool = good or list(sweep)
    return min(
        pool,
        key=lambda v: (sum(c.partial for c in sweep[v]), max(c.ratio for c in sweep[v]), v),
    )


def measure(arguments: argparse.Namespace) -> BenchResult:
    inputs = read_inputs(parameters=arguments.param)
    quotas = load_quotas(arguments.quota)
    bench = Bench(inputs, quotas, arguments.seed)
    table = Table(HEADERS)
    result = BenchResult(
        key="scale",
        title="Bursts and a backfill at the default quotas (simulated, virtual time)",
        table=table,
    )
    given = "MaxDocumentsInFlight" in arguments.param
    chosen = inputs.max_in_flight
    sweep_table = Table(
        ["MaxDocumentsInFlight", *[f"{n:,}: ratio, failed, partial" for n in SWEEP_SIZES]]
    )
    if arguments.sweep and not given:
        sweep: dict[int, list[Case]] = {}
        for value in SWEEP:
            sweep[value] = [bench.case(n, True, value) for n in SWEEP_SIZES]
            sweep_table.add(
                value,
                *[f"{c.ratio:.3f}, {c.failed}, {c.partial}" for c in sweep[value]],
            )
            print(f"sweep {value}: " + "; ".join(sweep_table.rows[-1][1:]), flush=True)
        chosen = choose(sweep)
    cases: list[Case] = []
    for count in arguments.docs:
        for admission in (False, True):
            case = bench.case(count, admission, chosen)
            cases.append(case)
            row(table, case)
            print(" | ".join(table.rows[-1]), f"({case.wall:.0f} s wall)", flush=True)
    backfill: Case | None = None
    if arguments.backfill:
        backfill = bench.case(BACKFILL_SIMULATED, True, chosen, backfill=True)
        scale = BACKFILL_OBJECTS / BACKFILL_SIMULATED
        stats = backfill.stats
        table.add(
            f"{BACKFILL_OBJECTS:,} (backfill; {BACKFILL_SIMULATED:,} simulated, × {scale:g})",
            f"after (≤ {chosen})",
            duration(stats.completion * scale),
            f"{duration(backfill.bound.seconds * scale)} ({backfill.bound.quota})",
            f"{backfill.ratio:.3f}",
            f"{sum(stats.throttles.values()) * scale:,.0f}",
            f"{sum(stats.retries.values()) * scale:,.0f}",
            f"{backfill.failed * scale:,.0f}",
            f"{backfill.partial * scale:,.0f}",
            f"{stats.transitions * scale:,.0f}",
            f"{backfill.cost.total * scale:,.2f}",
            f"{backfill.cost.total / BACKFILL_SIMULATED * 1000:,.2f}",
        )
    for case in cases:
        if case.admission:
            result.goals.append(
                Goal.at_most(
                    f"{case.documents:,} documents after admission: failed documents",
                    case.failed,
                    0,
                    f"{case.failed} ({case.partial} partial)",
                    "0",
                )
            )
            result.goals.append(
                Goal.at_most(
                    f"{case.documents:,} documents after admission: completion / quota bound",
                    case.ratio,
                    RATIO_GOAL,
                    f"{case.ratio:.3f}×",
                    f"≤ {RATIO_GOAL}×",
                )
            )
        else:
            result.goals.append(
                Goal(
                    f"{case.documents:,} documents before admission: failed (partial)",
                    f"{case.failed:,} ({case.partial:,})",
                    "report",
                    Verdict.REPORTED,
                )
            )
    result.goals.append(
        Goal(
            "recommended MaxDocumentsInFlight (sweep)",
            str(chosen),
            "meets both goals at every size",
            Verdict.REPORTED,
        )
    )
    result.notes += notes(inputs, quotas, bench, chosen, given, backfill)
    if sweep_table.rows:
        result.notes.append(
            "Sweep of MaxDocumentsInFlight (after admission; completion / bound, failed, "
            "partial):<br><br>" + sweep_table.markdown().replace("\n", "<br>")
        )
    return result


def notes(
    inputs: ModelInputs,
    quotas: dict[str, Quota],
    bench: Bench,
    chosen: int,
    given: bool,
    backfill: Case | None,
) -> list[str]:
    unconfirmed = sorted(key for key, quota in quotas.items() if not quota.confirmed)
    confirmed = sorted(key for key, quota in quotas.items() if quota.confirmed)
    sample = bench.docs(max(1, min(10_000, max(SIZES))))
    pages = sum(d.pages for d in sample) / len(sample)
    tokens = sum(r.billed for d in sample for r in d.requests) / len(sample)
    parameters = ", ".join(
        f"{name} {value}"
        for name, value in inputs.parameters.items()
        if name not in ("BedrockModelId",)
    )
    lines = [
        "Simulated, not measured: SimPy in virtual time (bench/scale/model.py), driven by "
        "statemachine/pipeline.asl.json (states, Retry, Catch, Map MaxConcurrency, the OCR poll "
        "Wait, TimeoutSeconds) and template.yaml (parameters, the starter's BatchSize and "
        f"MaximumConcurrency, the admitter's tick, memory of each function). Template values: "
        f"{parameters}.",
        f"MaxDocumentsInFlight {chosen}"
        + (
            " (given with --param)."
            if given
            else " (the sweep's choice; the template's default is set separately)."
        ),
        "A burst: every upload in the queue at once. Before: no admission control, every upload's "
        "execution starts as the starters reach it (StartConcurrency pollers). After: the starter "
        "takes a slot of the DynamoDB semaphore or parks the document in the waiting queue; the "
        "admitter frees a slot on each execution's status event (about 1 s later) and every tick, "
        "and starts up to 10 waiting documents a receive while slots are free.",
        "Mix: 55 % born-digital PDFs, 30 % scanned PDFs, 15 % photos; pages log-normal (1–300), "
        f"{pages:.1f} on average, {tokens:,.0f} Bedrock tokens a document on average "
        f"(model {inputs.parameters['BedrockModelId']}, {bench.shape.chunk_chars:,} characters a "
        "chunk). Seeded: the same documents every run.",
        "Quota bound: for each quota, its demand (from a run without quotas) less its bucket, over "
        "its rate, plus the least time a document needs before its first and after its last use "
        "of the service; the largest such term, or the run without quotas itself. Completion / "
        "bound below 1 means work was dropped (partial documents do not consume their quota).",
        "Failed: the execution ends in RecordFailure (or without a Catch); partial: an optional "
        "stage (tag, summary, a language) was caught and the rest delivered.",
        "Cost: list prices of src/scriba/cost/prices/aws.json (us-east-1, version "
        f"{bench.prices.version}): Textract per page, Bedrock per 1,000 input and output tokens, "
        "Translate and Polly (neural) per character, Rekognition per image, Comprehend per unit, "
        "Step Functions per transition (Express children of the backfill per request), Lambda "
        "GB-seconds and requests. Throttled requests are not billed; their Lambda time is.",
        "Quotas with an AWS page as source: " + ", ".join(confirmed) + ". Without a page that "
        "could be confirmed here (source null in bench/scale/quotas.json, value as last "
        "published or an assumption): " + ", ".join(unconfirmed) + ".",
    ]
    if backfill is not None:
        lines.append(
            f"Backfill: the Distributed Map ({inputs.backfill_concurrency} children of "
            f"{inputs.backfill_batch_items} objects) sends every object to the upload queue; "
            f"{BACKFILL_SIMULATED:,} objects were simulated and the time, counts and cost scaled "
            f"to {BACKFILL_OBJECTS:,} (the run is bound by the same quota throughout, so both grow "
            "linearly). The waiting queue keeps a message 14 days (MessageRetentionPeriod): a "
            "backfill longer than that needs a larger quota, or to be run in parts."
        )
    return lines


def _pairs(values: Sequence[str]) -> dict[str, Any]:
    pairs = {}
    for value in values:
        key, _, text = value.partition("=")
        if not text:
            raise SystemExit(f"expected key=value, got {value!r}")
        pairs[key] = text
    return pairs


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--param", action="append", default=[], help="template parameter K=V")
    parser.add_argument("--quota", action="append", default=[], help="quota key=value")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--no-sweep", dest="sweep", action="store_false")
    parser.add_argument("--no-backfill", dest="backfill", action="store_false")
    arguments = parser.parse_args(argv)
    arguments.param = _pairs(arguments.param)
    arguments.quota = {key: float(value) for key, value in _pairs(arguments.quota).items()}
    started = time.perf_counter()
    result = measure(arguments)
    result.seconds = time.perf_counter() - started
    print_result(result)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
