"""Speak function: narrate one translation as an MP3."""

from typing import Any

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from scriba.config import Settings
from scriba.context import FunctionContext
from scriba.observability import log_about, logger, tracer
from scriba.stages import speak

function = FunctionContext(Settings)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@event_parser(model=speak.SpeakRequest)
def handler(event: speak.SpeakRequest, context: LambdaContext) -> dict[str, Any]:
    log_about(event)
    return speak.speak(event, function.current()).model_dump(mode="json")
