"""Speak function: narrate one translation as an MP3."""

from typing import Any

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from scriba.observability import logger, tracer
from scriba.stages import speak


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@event_parser(model=speak.SpeakRequest)
def handler(event: speak.SpeakRequest, context: LambdaContext) -> dict[str, Any]:
    return speak.speak(event).model_dump(mode="json")
