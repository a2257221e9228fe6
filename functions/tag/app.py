"""Tag function: label the pictures of a document."""

from typing import Any

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from scriba.config import Settings
from scriba.context import FunctionContext
from scriba.observability import log_about, logger, tracer
from scriba.stages import tag

function = FunctionContext(Settings)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@event_parser(model=tag.TagRequest)
def handler(event: tag.TagRequest, context: LambdaContext) -> dict[str, Any]:
    log_about(event)
    return tag.tag(event, function.current()).model_dump(mode="json")
