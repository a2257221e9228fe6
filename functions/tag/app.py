"""Tag function: label the pictures of a document."""

from typing import Any

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from scriba.observability import logger, tracer
from scriba.stages import tag


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@event_parser(model=tag.TagRequest)
def handler(event: tag.TagRequest, context: LambdaContext) -> dict[str, Any]:
    return tag.tag(event).model_dump(mode="json")
