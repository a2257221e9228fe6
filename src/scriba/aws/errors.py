"""The translation of AWS service errors into scriba's typed errors.

Throttling must stay recognisable all the way to the state machine's ``Retry``: every AWS call
goes through ``service_errors`` so that a ``ThrottlingException`` becomes ``Throttled`` instead of
a generic failure.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from scriba.errors import (
    AccessDenied,
    EngineFailed,
    ScribaError,
    SourceNotFound,
    Throttled,
    TransientServiceError,
)

THROTTLING_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "LimitExceededException",
        "RequestLimitExceeded",
        "SlowDown",
        "ServiceQuotaExceededException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequests",
    }
)

TRANSIENT_CODES = frozenset(
    {
        "InternalServerError",
        "InternalServerException",
        "InternalFailure",
        "InternalError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "ServiceFailure",
        "RequestTimeout",
        "RequestTimeoutException",
        "ModelNotReadyException",
        "ModelTimeoutException",
    }
)

NOT_FOUND_CODES = frozenset({"NoSuchKey", "NoSuchBucket", "404", "NotFound", "NoSuchVersion"})
ACCESS_CODES = frozenset({"AccessDenied", "AccessDeniedException", "403", "Forbidden"})


def error_for(
    error: ClientError,
    service: str,
    document: str | None = None,
    specific: Mapping[str, type[ScribaError]] | None = None,
) -> ScribaError:
    """The typed error for a botocore ``ClientError``; ``specific`` maps a service's own codes
    (e.g. Textract's ``UnsupportedDocumentException``) to the error that says what it means."""
    info = error.response.get("Error", {})
    code = str(info.get("Code", ""))
    message = str(info.get("Message", "")) or code
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    text = f"{service} {error.operation_name}: {code}: {message}"
    if specific and code in specific:
        return specific[code](text, document=document)
    if code in THROTTLING_CODES or status == 429:
        return Throttled(text, document=document)
    if code in TRANSIENT_CODES or status >= 500:
        return TransientServiceError(text, document=document)
    if code in NOT_FOUND_CODES:
        return SourceNotFound(text, document=document)
    if code in ACCESS_CODES:
        return AccessDenied(text, document=document)
    return EngineFailed(text, document=document)


@contextmanager
def service_errors(
    service: str,
    document: str | None = None,
    specific: Mapping[str, type[ScribaError]] | None = None,
) -> Iterator[None]:
    """Re-raises botocore errors of ``service`` as typed scriba errors."""
    try:
        yield
    except ClientError as error:
        raise error_for(error, service, document, specific) from error
    except (
        EndpointConnectionError,
        ConnectTimeoutError,
        ReadTimeoutError,
        ConnectionClosedError,
    ) as error:
        raise TransientServiceError(f"{service}: {error}", document=document) from error
