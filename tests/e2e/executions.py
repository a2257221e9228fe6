"""Waiting for an execution of the local stack to end."""

from __future__ import annotations

import time

from scriba.local.cloud import LocalCloud


def wait_for_execution(cloud: LocalCloud, arn: str, seconds: float) -> str:
    """The execution's final status; PENDING until the starter has started it."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            status = str(cloud.sfn.describe_execution(executionArn=arn)["status"])
        except cloud.sfn.exceptions.ExecutionDoesNotExist:
            status = "PENDING"
        if status not in ("RUNNING", "PENDING"):
            return status
        time.sleep(0.25)
    raise AssertionError(f"{arn} did not finish within {seconds:g} s")
