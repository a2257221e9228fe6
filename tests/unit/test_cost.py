"""The cost ledger: units priced from the table, transitions and Lambda time from the history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scriba.cost.ledger import Metered, PriceTable, ledger, run_cost
from scriba.cost.metering import execution_metered, execution_usage
from scriba.cost.units import comprehend_units, textract_item
from scriba.models.manifest import Stage

T0 = datetime(2026, 11, 25, tzinfo=UTC)


def usd(service: str, item: str) -> float:
    price = PriceTable.bundled().price("us-east-1", service, item)
    assert price is not None, (service, item)
    return price.usd


def test_the_bundled_table_is_dated_and_prices_what_the_brief_quotes() -> None:
    assert PriceTable.bundled().version == "2026-11-01"
    assert usd("textract", "DetectDocumentText page") == pytest.approx(1.50 / 1000)
    assert usd("translate", "TranslateText character") == pytest.approx(15 / 1e6)
    assert usd("polly", "neural character") == pytest.approx(16 / 1e6)
    assert usd("polly", "standard character") == pytest.approx(4 / 1e6)
    assert usd("stepfunctions", "Standard state transition") == pytest.approx(0.025 / 1000)


def test_ledger_multiplies_units_by_prices_and_sums() -> None:
    cost = ledger(
        [
            Metered(Stage.EXTRACT, "textract", "DetectDocumentText page", 10),
            Metered(Stage.TAG, "rekognition", "DetectLabels image", 3),
            Metered(Stage.TRANSLATE, "translate", "TranslateText character", 2000),
            Metered(Stage.SPEAK, "polly", "neural character", 1000),
            Metered(Stage.SUMMARIZE, "bedrock", "amazon.titan-text-express-v1 input", 4.0),
            Metered(Stage.SUMMARIZE, "bedrock", "amazon.titan-text-express-v1 output", 0.5),
        ],
        [Metered(Stage.EXTRACT, "textract", "DetectDocumentText page", 90)],
        region="us-east-1",
        estimated=False,
    )
    expected = 10 * 0.0015 + 3 * 0.001 + 2000 * 15e-6 + 1000 * 16e-6 + 4 * 0.0002 + 0.5 * 0.0006
    assert cost.total_usd == pytest.approx(expected)
    assert cost.savings[0].usd == pytest.approx(90 * 0.0015)
    assert cost.prices == "2026-11-01" and cost.estimated is False


def test_zero_quantities_and_unknown_items_are_left_out() -> None:
    cost = ledger(
        [
            Metered(Stage.EXTRACT, "textract", "DetectDocumentText page", 0),
            Metered(Stage.SUMMARIZE, "bedrock", "some.unpriced-model input", 3),
        ],
        [],
        region="eu-west-1",
        estimated=True,
    )
    assert cost.lines == [] and cost.total_usd == 0
    assert cost.region == "us-east-1"  # the table's fallback region


@pytest.mark.parametrize(
    ("features", "item"),
    [
        ([], "DetectDocumentText page"),
        (["TABLES"], "AnalyzeDocument TABLES page"),
        (["forms", "TABLES"], "AnalyzeDocument FORMS+TABLES page"),
    ],
)
def test_textract_item_follows_the_features(features: list[str], item: str) -> None:
    assert textract_item(features) == item
    # Every item an engine can report has a price (TABLES with FORMS too: AnalyzeDocument).
    assert PriceTable.bundled().price("us-east-1", "textract", item) is not None


def test_comprehend_bills_at_least_three_units() -> None:
    assert comprehend_units(0) == 0
    assert comprehend_units(50) == 3
    assert comprehend_units(1001) == 11


def event(
    number: int, kind: str, previous: int, seconds: float, **details: object
) -> dict[str, object]:
    return {
        "id": number,
        "previousEventId": previous,
        "type": kind,
        "timestamp": T0 + timedelta(seconds=seconds),
        **details,
    }


def scheduled(number: int, previous: int, seconds: float, function: str) -> dict[str, object]:
    resource = f"arn:aws:lambda:us-east-1:123456789012:function:scriba-{function}-AbC"
    return event(
        number,
        "LambdaFunctionScheduled",
        previous,
        seconds,
        lambdaFunctionScheduledEventDetails={"resource": resource},
    )


def test_history_gives_transitions_retries_and_gb_seconds() -> None:
    history = [
        event(1, "ExecutionStarted", 0, 0),
        event(2, "TaskStateEntered", 1, 0),
        scheduled(3, 2, 0, "ExtractFunction"),
        event(4, "LambdaFunctionStarted", 3, 0.1),
        event(5, "LambdaFunctionFailed", 4, 1.1),  # throttled, retried
        scheduled(6, 5, 3, "ExtractFunction"),
        event(7, "LambdaFunctionStarted", 6, 3.0),
        event(8, "LambdaFunctionSucceeded", 7, 5.0),
        event(9, "TaskStateExited", 8, 5.0),
        event(10, "ChoiceStateEntered", 9, 5.0),
        event(11, "TaskStateEntered", 10, 5.0),
        scheduled(12, 11, 5.0, "SpeakFunction"),
        event(13, "LambdaFunctionStarted", 12, 5.0),
        event(14, "LambdaFunctionSucceeded", 13, 5.5),
    ]
    usage = execution_usage(
        history, {"ExtractFunction": 2048, "SpeakFunction": 1024}, remaining_transitions=1
    )
    # 3 states entered + 1 retry + 1 still to come
    assert usage.transitions == 5
    assert usage.gb_seconds_by_stage[Stage.EXTRACT] == pytest.approx((1.0 + 2.0) * 2)
    assert usage.gb_seconds_by_stage[Stage.SPEAK] == pytest.approx(0.5)
    assert usage.invocations_by_stage == {Stage.EXTRACT: 2, Stage.SPEAK: 1}
    priced = ledger(execution_metered(usage), [], region="us-east-1", estimated=False)
    transitions = next(line for line in priced.lines if line.service == "stepfunctions")
    assert transitions.usd == pytest.approx(5 * 0.000025)


def test_run_cost_sums_per_document_stage_and_service() -> None:
    one = ledger(
        [Metered(Stage.TRANSLATE, "translate", "TranslateText character", 1000)],
        [],
        region="us-east-1",
        estimated=True,
    )
    two = ledger(
        [
            Metered(Stage.TRANSLATE, "translate", "TranslateText character", 3000),
            Metered(Stage.TAG, "rekognition", "DetectLabels image", 2),
        ],
        [Metered(Stage.EXTRACT, "textract", "DetectDocumentText page", 4)],
        region="us-east-1",
        estimated=True,
    )
    summary = run_cost([("a.pdf", one), ("b.pdf", two), ("broken.pdf", None)])
    assert summary.total_usd == pytest.approx(4000 * 15e-6 + 0.002)
    assert summary.by_stage["translate"] == pytest.approx(4000 * 15e-6)
    assert summary.by_service["rekognition"] == pytest.approx(0.002)
    assert summary.savings_usd == pytest.approx(4 * 0.0015)
    assert summary.unpriced == ["broken.pdf"]
