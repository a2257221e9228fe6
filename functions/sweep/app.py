"""Sweep function: re-send inputs that have neither results nor a failure record; on request
(``{"redrive_failed": true}``, optionally ``"all": true``) re-run failed documents too."""

from typing import Any

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from scriba.config import SweepSettings
from scriba.context import FunctionContext
from scriba.observability import logger, tracer
from scriba.stages import sweep

# The input bucket and the upload queue are checked here, at init.
function = FunctionContext(SweepSettings)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@event_parser(model=sweep.SweepRequest)
def handler(event: sweep.SweepRequest, context: LambdaContext) -> dict[str, Any]:
    return sweep.sweep(event, function.current()).model_dump(mode="json")
