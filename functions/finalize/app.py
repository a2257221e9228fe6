"""Finalize function: write the manifest and publish the event, or record a failure."""

from typing import Any

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from scriba.observability import logger, tracer
from scriba.stages import finalize


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@event_parser(model=finalize.FinalizeAction)
def handler(event: finalize.FinalizeAction, context: LambdaContext) -> dict[str, Any]:
    return finalize.handle(event).model_dump(mode="json")
