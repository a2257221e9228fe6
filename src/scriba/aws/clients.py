"""Typed boto3 clients, one session behind all of them.

``AwsClients`` makes each service's client on first use and keeps it, so a warm Lambda reuses its
connections; every accessor is typed with boto3-stubs, so each call scriba makes is checked by
mypy against the service model. Tests and the local executor register botocore event hooks on
the ``session()`` (the Lambda ``Invoke`` seam, the fake AI services) or give a session of their
own.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_bedrock_runtime import BedrockRuntimeClient
    from mypy_boto3_comprehend import ComprehendClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_polly import PollyClient
    from mypy_boto3_rekognition import RekognitionClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_stepfunctions import SFNClient
    from mypy_boto3_textract import TextractClient
    from mypy_boto3_translate import TranslateClient

# A short client-side retry absorbs blips; the state machine's Retry (with backoff and jitter)
# handles sustained throttling without holding a Lambda open.
CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3}, connect_timeout=10, read_timeout=60
)


@lru_cache(maxsize=1)
def session() -> boto3.session.Session:
    """The process's session (tests and the local executor register botocore hooks on it)."""
    return boto3.session.Session()


class AwsClients:
    """The clients of every AWS service scriba calls, each made on first use, then kept.

    ``endpoint_url`` and ``region`` are for the local stack (moto on a port); on AWS both come
    from the Lambda environment.
    """

    def __init__(
        self,
        boto_session: boto3.session.Session | None = None,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        config: Config = CONFIG,
    ) -> None:
        self._session = boto_session  # the process's session() unless given, when first needed
        self._options: dict[str, Any] = {"config": config}
        if endpoint_url:
            self._options["endpoint_url"] = endpoint_url
        if region:
            self._options["region_name"] = region
        self._made: dict[str, Any] = {}
        # boto3 sessions are not thread-safe for making clients (the local executor's in-process
        # mode runs handlers on threads); the clients themselves are.
        self._lock = threading.Lock()

    def _client(self, service: str, read_timeout: float | None = None) -> Any:
        """``service``'s client, made once (once per read timeout, when one is given)."""
        key = service if read_timeout is None else f"{service}@{read_timeout:g}s"
        with self._lock:
            if key not in self._made:
                if self._session is None:
                    self._session = session()
                options = dict(self._options)
                if read_timeout is not None:
                    options["config"] = options["config"].merge(Config(read_timeout=read_timeout))
                self._made[key] = self._session.client(service, **options)  # type: ignore[call-overload]
            return self._made[key]

    @property
    def s3(self) -> S3Client:
        client: S3Client = self._client("s3")
        return client

    @property
    def sqs(self) -> SQSClient:
        client: SQSClient = self._client("sqs")
        return client

    @property
    def stepfunctions(self) -> SFNClient:
        client: SFNClient = self._client("stepfunctions")
        return client

    @property
    def dynamodb(self) -> DynamoDBClient:
        client: DynamoDBClient = self._client("dynamodb")
        return client

    @property
    def events(self) -> EventBridgeClient:
        client: EventBridgeClient = self._client("events")
        return client

    @property
    def textract(self) -> TextractClient:
        client: TextractClient = self._client("textract")
        return client

    @property
    def rekognition(self) -> RekognitionClient:
        client: RekognitionClient = self._client("rekognition")
        return client

    @property
    def bedrock_runtime(self) -> BedrockRuntimeClient:
        client: BedrockRuntimeClient = self._client("bedrock-runtime")
        return client

    def bedrock_runtime_waiting(self, read_timeout: float) -> BedrockRuntimeClient:
        """The Bedrock runtime client, waiting up to ``read_timeout`` seconds for an answer: a
        Converse call over a long context can take minutes, past the 60 s the others get."""
        client: BedrockRuntimeClient = self._client("bedrock-runtime", read_timeout)
        return client

    @property
    def translate(self) -> TranslateClient:
        client: TranslateClient = self._client("translate")
        return client

    @property
    def polly(self) -> PollyClient:
        client: PollyClient = self._client("polly")
        return client

    @property
    def comprehend(self) -> ComprehendClient:
        client: ComprehendClient = self._client("comprehend")
        return client
