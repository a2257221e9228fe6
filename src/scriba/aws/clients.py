"""boto3 clients: one session behind every client scriba makes."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config

# A short client-side retry absorbs blips; the state machine's Retry (with backoff and jitter)
# handles sustained throttling without holding a Lambda open.
_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3}, connect_timeout=10, read_timeout=60
)


@lru_cache(maxsize=1)
def session() -> boto3.session.Session:
    """The session behind every scriba client (tests register botocore event hooks on it)."""
    return boto3.session.Session()


@lru_cache(maxsize=32)
def client(service: str, region: str | None = None) -> Any:
    """A boto3 client, cached per process so warm Lambdas reuse connections."""
    return session().client(service, region_name=region, config=_CONFIG)  # type: ignore[call-overload]
