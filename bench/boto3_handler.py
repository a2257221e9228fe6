"""The cold-start baseline: a Lambda handler that only imports boto3."""

from typing import Any

import boto3


def handler(event: Any, context: Any) -> dict[str, Any]:
    return {"boto3": boto3.__version__}
