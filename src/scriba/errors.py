"""Typed errors.

The class name of an exception raised by a handler becomes the Lambda ``errorType`` and so the
error name that the state machine's ``Retry`` and ``Catch`` match. Retryable errors are the only
ones the state machine retries; everything else is permanent and is recorded as a failure with the
``reason`` code of its class. Rename a class and you must rename it in
``statemachine/pipeline.asl.json`` too (a test checks both agree).
"""

from __future__ import annotations

from typing import ClassVar


class ScribaError(Exception):
    """Base of every error scriba raises on purpose."""

    reason: ClassVar[str] = "internal_error"
    retryable: ClassVar[bool] = False

    def __init__(self, message: str, *, document: str | None = None) -> None:
        self.document = document
        text = f"{document}: {message}" if document else message
        super().__init__(text)

    @property
    def message(self) -> str:
        return str(self)


# -- retryable: matched by Retry in the state machine -------------------------------------------


class RetryableError(ScribaError):
    retryable = True
    reason = "transient"


class Throttled(RetryableError):
    """A service refused the call for rate or quota reasons; retry with backoff."""

    reason = "throttled"


class TransientServiceError(RetryableError):
    """A service failed in a way that usually passes (5xx, timeouts, connection resets)."""

    reason = "service_unavailable"


# -- permanent: caught and recorded -----------------------------------------------------------


class PermanentError(ScribaError):
    reason = "permanent"


class BadDocument(PermanentError):
    """The input itself cannot be processed. Retrying will never help."""

    reason = "bad_document"


class EmptyDocument(BadDocument):
    reason = "empty_file"


class UnsupportedDocumentType(BadDocument):
    reason = "unsupported_type"


class CorruptDocument(BadDocument):
    reason = "corrupt_document"


class EncryptedDocument(BadDocument):
    reason = "encrypted_document"


class NoPages(BadDocument):
    reason = "no_pages"


class DocumentTooLarge(BadDocument):
    reason = "too_large"


class TooManyPages(BadDocument):
    reason = "too_many_pages"


class ImageTooLarge(BadDocument):
    reason = "image_too_large"


class ImageTooSmall(BadDocument):
    reason = "image_too_small"


class DecompressionBomb(BadDocument):
    reason = "decompression_bomb"


class SourceNotFound(PermanentError):
    reason = "source_not_found"


class UnsupportedLanguage(PermanentError):
    reason = "unsupported_language"


class UnsupportedLanguagePair(UnsupportedLanguage):
    reason = "unsupported_language_pair"


class EngineFailed(PermanentError):
    """An engine returned an error that is not about throttling or availability."""

    reason = "engine_failed"


class AccessDenied(PermanentError):
    reason = "access_denied"


class ConfigurationError(PermanentError, ValueError):
    """A function's settings are missing or invalid: a deployment problem, not a document's."""

    reason = "configuration_error"


class OcrJobFailed(PermanentError):
    reason = "ocr_job_failed"


class OcrJobTimedOut(PermanentError):
    reason = "ocr_job_timed_out"


def _all_subclasses(cls: type[ScribaError]) -> list[type[ScribaError]]:
    found: list[type[ScribaError]] = []
    subclasses: list[type[ScribaError]] = cls.__subclasses__()
    for sub in subclasses:
        found.append(sub)
        found.extend(_all_subclasses(sub))
    return found


_ALL: list[type[ScribaError]] = [ScribaError, *_all_subclasses(ScribaError)]
ERROR_TYPES: dict[str, type[ScribaError]] = {cls.__name__: cls for cls in _ALL}

RETRYABLE_ERROR_NAMES: tuple[str, ...] = tuple(
    sorted(name for name, cls in ERROR_TYPES.items() if cls.retryable and name != "RetryableError")
)

# Errors that Step Functions itself raises, and the reason we record for them.
_STATES_REASONS = {
    "States.Timeout": "timeout",
    "States.TaskFailed": "task_failed",
    "States.HeartbeatTimeout": "timeout",
    "Sandbox.Timedout": "timeout",
    "Runtime.ExitError": "function_crashed",
    # Lambda's errorType when a function exceeds its MemorySize: a re-run with the same memory
    # fails the same way, so it is its own reason (not transient, not internal_error).
    "Runtime.OutOfMemory": "out_of_memory",
    "SweeperGaveUp": "retries_exhausted",
    "Lambda.Unknown": "function_crashed",
}


def reason_for(error_type: str) -> str:
    """The reason code recorded for an ``errorType`` seen by the state machine."""
    if error_type in ERROR_TYPES:
        return ERROR_TYPES[error_type].reason
    if error_type in _STATES_REASONS:
        return _STATES_REASONS[error_type]
    if error_type.startswith("Lambda."):
        return "function_error"
    return "internal_error"
