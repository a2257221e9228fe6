"""bench.scale: its inputs are the deployed definitions (a changed copy changes the model), the
simulation throttles without admission and fails nothing with it, the bound and the cost."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bench.__main__ import Kept, gathered, kept_sections, page
from bench.results import BenchResult, Goal, Table, Verdict, to_json
from bench.scale.bound import cost, quota_bound
from bench.scale.inputs import PARAMETERS, read_inputs, walk_states
from bench.scale.model import Options, Stats, simulate
from bench.scale.quotas import load_prices, load_quotas
from bench.scale.workload import SummaryShape, documents

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A copy of the stack's definitions to change."""
    shutil.copy(ROOT / "template.yaml", tmp_path / "template.yaml")
    shutil.copytree(ROOT / "statemachine", tmp_path / "statemachine")
    return tmp_path


def asl(root: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((root / "statemachine" / "pipeline.asl.json").read_text())
    return data


def bedrock_states(definition: dict[str, Any]) -> list[dict[str, Any]]:
    """The Tasks that call Bedrock: the summarize function's."""
    return [
        state
        for _, state in walk_states(definition["States"])
        if state.get("Type") == "Task" and "SummarizeFunctionArn" in state["Resource"]
    ]


def test_the_retry_policies_are_the_asl_s() -> None:
    inputs = read_inputs(ROOT)
    for name, state in walk_states(asl(ROOT)["States"]):
        if state.get("Type") != "Task":
            continue
        model = inputs.tasks[name].retry
        assert [list(r.errors) for r in model] == [e["ErrorEquals"] for e in state["Retry"]]
        assert [r.max_attempts for r in model] == [e["MaxAttempts"] for e in state["Retry"]]
        assert [r.max_delay for r in model] == [e.get("MaxDelaySeconds") for e in state["Retry"]]


def test_a_changed_bedrock_retry_policy_changes_the_model(copy: Path) -> None:
    definition = asl(copy)
    for state in bedrock_states(definition):
        throttled = state["Retry"][0]
        throttled.update(MaxAttempts=3, IntervalSeconds=5, MaxDelaySeconds=30, BackoffRate=3.0)
    (copy / "statemachine" / "pipeline.asl.json").write_text(json.dumps(definition))
    inputs = read_inputs(copy)
    chunk = inputs.tasks["SummarizeChunk"].retrier("Throttled")
    assert chunk is not None
    assert (chunk.max_attempts, chunk.interval, chunk.max_delay, chunk.backoff) == (3, 5, 30, 3)
    assert chunk.delay(2, 1.0) == 15  # 5 x 3
    assert chunk.delay(5, 1.0) == 30  # capped by MaxDelaySeconds
    assert read_inputs(ROOT).tasks["SummarizeChunk"].retrier("Throttled") != chunk


def test_map_concurrency_catch_and_timeouts_are_read(copy: Path) -> None:
    definition = asl(copy)
    definition["States"]["SummarizeChunks"]["MaxConcurrency"] = 2
    definition["TimeoutSeconds"] = 3600
    del definition["States"]["Summarize"]["Catch"]
    (copy / "statemachine" / "pipeline.asl.json").write_text(json.dumps(definition))
    inputs = read_inputs(copy)
    assert inputs.map_concurrency["SummarizeChunks"] == 2
    assert inputs.execution_timeout == 3600
    assert "Summarize" not in inputs.catches
    assert read_inputs(ROOT).catches["Summarize"]


def test_template_parameters_change_the_model(copy: Path) -> None:
    default = read_inputs(copy)
    assert default.max_in_flight == int(default.parameters["MaxDocumentsInFlight"])
    text = (copy / "template.yaml").read_text()
    marker = "  MaxDocumentsInFlight:\n    Type: Number\n    Default: "
    assert marker in text
    head, tail = text.split(marker, 1)
    tail = "7" + tail[tail.index("\n") :]
    (copy / "template.yaml").write_text(head + marker + tail)
    assert read_inputs(copy).max_in_flight == 7
    assert read_inputs(copy, {"MaxDocumentsInFlight": 3}).max_in_flight == 3


def test_reserved_concurrency_parameters_reach_their_functions() -> None:
    inputs = read_inputs(ROOT, {"PollyConcurrency": 5, "BedrockConcurrency": 0})
    assert set(inputs.concurrency_functions) == {
        "TextractConcurrency",
        "RekognitionConcurrency",
        "BedrockConcurrency",
        "TranslateConcurrency",
        "PollyConcurrency",
    }
    speak = inputs.concurrency_functions["PollyConcurrency"]
    assert inputs.functions[speak].reserved == 5
    assert inputs.functions[inputs.concurrency_functions["BedrockConcurrency"]].reserved is None
    assert inputs.start_batch_size >= 1
    assert inputs.admit_tick_seconds == 60


def test_every_parameter_the_model_reads_is_the_template_s() -> None:
    inputs = read_inputs(ROOT)
    assert set(inputs.parameters) == set(PARAMETERS)
    assert inputs.poll_wait_state in inputs.states


def test_every_quota_has_a_source_or_says_why_not() -> None:
    data = json.loads((ROOT / "bench" / "scale" / "quotas.json").read_text())
    assert data["region"] == "us-east-1"
    for key, entry in data["quotas"].items():
        assert entry["value"] > 0, key
        assert entry["unit"], key
        if entry["source"] is None:
            assert entry["note"], key
        else:
            assert entry["source"].startswith("https://docs.aws.amazon.com/"), key


def small_run(quotas: dict[str, float], admission: bool, count: int = 50) -> Stats:
    inputs = read_inputs(ROOT)
    shape = SummaryShape.of(str(inputs.parameters["BedrockModelId"]), 5)
    docs = documents(count, 7, shape, 20)
    return simulate(inputs, load_quotas(quotas), docs, Options(admission, 3, seed=3))


TINY: dict[str, float] = {
    "bedrock.amazon.titan-text-express-v1.tokens_per_minute": 30_000,
    "polly.SynthesizeSpeech.neural.tps": 1,
}


def test_a_tiny_quota_throttles_before_and_fails_nothing_after() -> None:
    before = small_run(TINY, admission=False)
    after = small_run(TINY, admission=True)
    assert before.throttles["bedrock"] > 0
    assert before.status["partial"] + before.status["failed"] > 0
    assert after.status["failed"] == 0
    assert after.status["partial"] == 0
    assert after.status["succeeded"] == 50
    assert after.completion > before.completion  # waiting in the queue, not in retries


def test_the_bound_is_demand_over_rate_and_the_run_respects_it() -> None:
    inputs = read_inputs(ROOT)
    quotas = load_quotas(TINY)
    shape = SummaryShape.of(str(inputs.parameters["BedrockModelId"]), 5)
    docs = documents(50, 7, shape, 20)
    free = simulate(inputs, quotas, docs, Options(False, 0, unlimited=True))
    bound = quota_bound(free, quotas)
    key = "bedrock.amazon.titan-text-express-v1.tokens_per_minute"
    tokens = sum(r.billed for d in docs for r in d.requests)
    assert free.units["bedrock.input"] + free.units["bedrock.output"] == tokens
    rate = 30_000 / 60
    around = free.first_use["bedrock"] + free.min_after["bedrock"]
    assert bound.terms[key] == pytest.approx((tokens - 30_000) / rate + around)
    assert bound.seconds == max(bound.terms.values())
    after = simulate(inputs, quotas, docs, Options(True, 3, seed=3))
    assert after.completion >= bound.seconds


def test_cost_of_a_known_case() -> None:
    prices = load_prices("amazon.titan-text-express-v1")
    stats = Stats(
        units=Counter(
            {
                "textract.pages": 1000,
                "rekognition": 100,
                "bedrock.input": 10_000,
                "bedrock.output": 1_000,
                "translate.chars": 1_000_000,
                "polly.chars": 1_000_000,
                "comprehend.units": 10,
            }
        ),
        transitions=40_000,
        lambda_gb_seconds=3600.0,
        lambda_requests=1_000_000,
    )
    result = cost(stats, prices)
    assert result.parts["Textract"] == pytest.approx(1.5)
    assert result.parts["Rekognition"] == pytest.approx(0.1)
    assert result.parts["Bedrock"] == pytest.approx(10 * 0.0002 + 1 * 0.0006)
    assert result.parts["Translate"] == pytest.approx(15.0)
    assert result.parts["Polly"] == pytest.approx(16.0)
    assert result.parts["Step Functions"] == pytest.approx(1.0)
    assert result.parts["Lambda"] == pytest.approx(3600 * 0.0000166667 + 0.2)
    assert result.total == pytest.approx(sum(result.parts.values()))


def test_the_same_seed_makes_the_same_documents() -> None:
    shape = SummaryShape.of("amazon.titan-text-express-v1", 5)
    first = documents(200, 11, shape, 20)
    again = documents(200, 11, shape, 20)
    assert [(d.kind, d.pages, d.chars) for d in first] == [
        (d.kind, d.pages, d.chars) for d in again
    ]
    assert {d.kind for d in first} == {"born-digital", "scanned", "photo"}
    assert max(d.pages for d in first) <= 300


def result(key: str, figure: str) -> BenchResult:
    table = Table(["a"])
    table.add(figure)
    goal = Goal("check", figure, "report", Verdict.MET)
    return BenchResult(key=key, title=f"Title {key}", table=table, goals=[goal])


def test_a_partial_bench_run_keeps_the_other_sections(tmp_path: Path) -> None:
    store = tmp_path / "performance"
    store.mkdir()
    old = page([result("transitions", "old"), result("memory", "kept")], {}, 1.0, "bench")
    assert set(kept_sections(old)) == {"transitions", "memory"}
    (store / "transitions.json").write_text(to_json(result("transitions", "new")))
    sections = gathered(old, store)
    assert [type(s) for s in sections] == [BenchResult, Kept]
    rebuilt = page(sections, {}, 1.0, "bench transitions")
    assert "| new |" in rebuilt
    assert "| old |" not in rebuilt
    assert "| kept |" in rebuilt
    assert "| Title memory | check | kept | report | met |" in rebuilt


# -- the local latency profile and the validation's quotas (bench.scale.validation) ------------


def test_the_default_latency_profile_is_the_model_s_own() -> None:
    from dataclasses import replace

    from bench.scale.model import AWS_LATENCIES, Latencies

    inputs = read_inputs(ROOT)
    quotas = load_quotas(TINY)
    docs = documents(30, 5, SummaryShape.of(str(inputs.parameters["BedrockModelId"]), 5), 20)
    default = simulate(inputs, quotas, docs, Options(True, 5, seed=2))
    given = simulate(inputs, quotas, docs, Options(True, 5, seed=2, latencies=Latencies()))
    assert Options(True, 5).latencies == AWS_LATENCIES
    assert (given.completion, given.throttles) == (default.completion, default.throttles)
    slower = replace(AWS_LATENCIES, task_overhead=0.5, execution_overhead=2.0)
    assert simulate(inputs, quotas, docs, Options(True, 5, seed=2, latencies=slower)).completion > (
        default.completion
    )


def test_one_sdk_attempt_makes_every_throttle_a_state_retry() -> None:
    from dataclasses import replace

    from bench.scale.model import AWS_LATENCIES

    inputs = read_inputs(ROOT)
    quotas = load_quotas(TINY)
    docs = documents(30, 5, SummaryShape.of(str(inputs.parameters["BedrockModelId"]), 5), 20)
    once = replace(AWS_LATENCIES, sdk_attempts=1)
    stats = simulate(inputs, quotas, docs, Options(False, 0, seed=2, latencies=once))
    assert sum(stats.throttles.values()) > 0
    assert sum(stats.retries.values()) >= sum(stats.throttles.values()) - stats.status["partial"]


def test_the_validation_sets_the_fakes_quotas_and_lifts_the_others() -> None:
    from bench.scale.validation import sim_quotas

    quotas = sim_quotas({"Converse": (0.4, 1.0), "SynthesizeSpeech": (3.0, 2.0)})
    rpm = quotas["bedrock.amazon.titan-text-express-v1.requests_per_minute"]
    assert rpm.value == pytest.approx(24.0)
    assert rpm.burst == 1.0
    polly = quotas["polly.SynthesizeSpeech.neural.tps"]
    assert (polly.value, polly.burst) == (3.0, 2.0)
    assert quotas["bedrock.amazon.titan-text-express-v1.tokens_per_minute"].value >= 1e9
    assert quotas["textract.DetectDocumentText.tps"].value >= 1e9
    assert quotas["lambda.concurrent_executions"] == load_quotas()["lambda.concurrent_executions"]


def test_the_fakes_token_bucket_refills_at_its_rate() -> None:
    from tests.e2e.aws_services import TokenBucket

    now = [0.0]
    bucket = TokenBucket(2.0, 1.0, clock=lambda: now[0])
    assert bucket.take()
    assert not bucket.take()  # empty: nothing taken
    now[0] = 0.25
    assert not bucket.take()  # half a token
    now[0] = 0.5
    assert bucket.take()
    now[0] = 10.0
    assert bucket.take()
    assert not bucket.take()  # the burst caps what accrues
