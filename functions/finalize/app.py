"""Finalize function: write the manifest and publish the event, or record a failure.

It also publishes the document's cost as a CloudWatch metric (embedded metric format).
"""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from scriba.config import Settings
from scriba.context import FunctionContext
from scriba.observability import log_about, logger, metrics, tracer, with_metrics
from scriba.stages import finalize

function = FunctionContext(Settings)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@with_metrics
@event_parser(model=finalize.FinalizeAction)
def handler(event: finalize.FinalizeAction, context: LambdaContext) -> dict[str, Any]:
    log_about(event)
    outcome = finalize.handle(event, function.current())
    metrics.add_metric(
        name=f"Documents{outcome.status.value.title()}", unit=MetricUnit.Count, value=1
    )
    if outcome.cost_usd is not None:
        metrics.add_metric(name="DocumentCostUSD", unit=MetricUnit.NoUnit, value=outcome.cost_usd)
    if outcome.pages:
        metrics.add_metric(name="Pages", unit=MetricUnit.Count, value=outcome.pages)
    return outcome.model_dump(mode="json")
