"""Logging, tracing and metrics for the Lambda handlers (Powertools).

The service name comes from ``POWERTOOLS_SERVICE_NAME`` (set per function in ``template.yaml``).
Library modules log through the standard ``logging`` module under ``scriba.*``; the handler's
structured JSON configuration (one handler, one formatter) is copied onto them, so the keys a
handler appends (``log_about``: the document's id and key, the execution) are on every line a
stage writes, its library modules' included. Nothing logs document content at INFO level.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

if TYPE_CHECKING:
    from scriba.workflow import StageRequest

logger = Logger()
tracer = Tracer()
# CloudWatch embedded metric format: metrics travel in the logs, no PutMetricData call.
metrics = Metrics(namespace="scriba")

R = TypeVar("R")

logging.getLogger("scriba")
copy_config_to_registered_loggers(source_logger=logger, include={"scriba"})


def with_metrics(handler: Callable[[Any, Any], R]) -> Callable[[Any, Any], R]:
    """Powertools' ``log_metrics``, plus a reset: with metrics disabled (local runs) Powertools
    keeps every value in memory and prints them all once a metric holds 100."""
    flushing: Callable[[Any, Any], R] = metrics.log_metrics(handler)

    @wraps(handler)
    def wrapper(event: Any, context: Any) -> R:
        try:
            return flushing(event, context)
        finally:
            metrics.clear_metrics()

    return wrapper


def log_about(request: StageRequest) -> None:
    """Every log line of this invocation names the document and the execution, as keys
    (``inject_lambda_context(clear_state=True)`` drops them when it ends)."""
    document_id, key = request.subject()
    logger.append_keys(document_id=document_id, document_key=key, execution=request.execution)
