"""Summarize function: summarize the document's text (or describe its pictures)."""

from typing import Any

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from scriba.observability import logger, tracer
from scriba.stages import summarize


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@event_parser(model=summarize.SummarizeRequest)
def handler(event: summarize.SummarizeRequest, context: LambdaContext) -> dict[str, Any]:
    return summarize.summarize(event).model_dump(mode="json")
