"""Logging, tracing and metrics for the Lambda handlers (Powertools).

The service name comes from ``POWERTOOLS_SERVICE_NAME`` (set per function in ``template.yaml``).
Library modules log through the standard ``logging`` module under ``scriba.*``; the handler's
structured JSON configuration is copied onto them. Nothing logs document content at INFO level.
"""

from __future__ import annotations

import logging

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

logger = Logger()
tracer = Tracer()
# CloudWatch embedded metric format: metrics travel in the logs, no PutMetricData call.
metrics = Metrics(namespace="scriba")

logging.getLogger("scriba")
copy_config_to_registered_loggers(source_logger=logger, include={"scriba"})
