"""Extract function: inspect the source, OCR page batches or run an OCR job, assemble the text."""

from typing import Any

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from scriba.config import Settings
from scriba.context import FunctionContext
from scriba.observability import log_about, logger, tracer
from scriba.stages import extract

function = FunctionContext(Settings)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@event_parser(model=extract.ExtractRequest)
def handler(event: extract.ExtractRequest, context: LambdaContext) -> dict[str, Any]:
    log_about(event)
    return extract.handle(event, function.current()).model_dump(mode="json")
