"""Backfill function: one batch of a backfill's Distributed Map (items of an S3 listing or an S3
Inventory); the documents without results go to the upload queue, as the sweeper sends them."""

from typing import Any

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from scriba.config import BackfillSettings
from scriba.context import FunctionContext
from scriba.observability import logger, tracer
from scriba.stages import backfill

# The input bucket and the upload queue are checked here, at init.
function = FunctionContext(BackfillSettings)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@event_parser(model=backfill.BackfillBatch)
def handler(event: backfill.BackfillBatch, context: LambdaContext) -> dict[str, Any]:
    return backfill.backfill(event, function.current()).model_dump(mode="json")
