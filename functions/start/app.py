"""Start function: one workflow execution per uploaded object version, from the queue.

Messages are EventBridge ``Object Created`` events (or re-drive requests from the sweeper). Each
record is handled on its own: a bad one is reported back to SQS (partial batch response) and
retried or dead-lettered, while the others go through.
"""

from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from scriba.config import StartSettings
from scriba.context import FunctionContext
from scriba.observability import logger, tracer
from scriba.stages import start

# SCRIBA_STATE_MACHINE_ARN is checked here, at init: without it no message could be started.
function = FunctionContext(StartSettings)
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> dict[str, Any]:
    started = start.start_from_message(record.body, function.current())
    return started.model_dump(mode="json")


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
