"""Admit function: on each ended execution (EventBridge) and once a minute, frees the admission
slots of ended executions and starts waiting documents in their place."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from scriba.config import AdmitSettings
from scriba.context import FunctionContext
from scriba.observability import logger, tracer
from scriba.stages import admission

# The state machine, the semaphore's table and the waiting queue are checked here, at init.
function = FunctionContext(AdmitSettings)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = admission.parse_event(event)
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    result = admission.admit(
        request,
        function.current(),
        remaining_seconds=(lambda: remaining() / 1000) if callable(remaining) else None,
    )
    return result.model_dump(mode="json")
