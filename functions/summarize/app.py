"""Summarize function: plan the summary (a short document is summarized at once), summarize one
chunk of a long one (an iteration of the state machine's Map), or reduce the chunks' summaries."""

from typing import Any

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from scriba.config import Settings
from scriba.context import FunctionContext
from scriba.observability import log_about, logger, tracer
from scriba.stages import summarize

function = FunctionContext(Settings)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@event_parser(model=summarize.SummarizeAction)
def handler(event: summarize.SummarizeAction, context: LambdaContext) -> dict[str, Any]:
    log_about(event)
    return summarize.handle(event, function.current()).model_dump(mode="json")
