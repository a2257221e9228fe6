"""Translate function: translate the summary into one target language."""

from typing import Any

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from scriba.config import Settings
from scriba.context import FunctionContext
from scriba.observability import log_about, logger, tracer
from scriba.stages import translate

function = FunctionContext(Settings)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@event_parser(model=translate.TranslateRequest)
def handler(event: translate.TranslateRequest, context: LambdaContext) -> dict[str, Any]:
    log_about(event)
    return translate.translate(event, function.current()).model_dump(mode="json")
