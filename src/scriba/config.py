"""Settings, from environment variables prefixed ``SCRIBA_`` (the Lambda environment in
``template.yaml``, or the local executor). One place for every tunable and every limit.

``Settings`` holds everything, with defaults. A function that cannot work without a variable
has a subclass that makes it required (``StartSettings``, ``SweepSettings``,
``BackfillSettings``): its handler loads
it at init, so a missing variable fails the cold start with its name instead of the first
document.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Annotated, Literal, TypeVar, overload

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from scriba.errors import ConfigurationError

MB = 1024 * 1024


def _split(value: object) -> object:
    if isinstance(value, str):
        return [part.strip().lower() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    # Built on first use: a function loads one class of settings, not all of them.
    model_config = SettingsConfigDict(env_prefix="SCRIBA_", extra="ignore", defer_build=True)

    engines: Literal["aws", "local"] = "aws"
    output_bucket: str = "scriba-output"
    results_prefix: str = "documents"
    work_prefix: str = "work"
    index_prefix: str = Field(default="index", description="Content-hash index (kept, not expired)")
    event_bus: str | None = Field(default=None, description="EventBridge bus for completion events")
    state_machine_arn: str | None = Field(default=None, description="For the starter and sweeper")

    # Where documents come from, and the sweeper (which re-sends what was missed).
    input_bucket: str | None = Field(default=None, description="The bucket documents arrive in")
    input_prefix: str = Field(default="", description="Only keys with this prefix are documents")
    input_suffix: str = Field(default="", description="Only keys with this suffix are documents")
    start_queue_url: str | None = Field(default=None, description="Where the sweeper sends work")
    sweep_grace_minutes: int = Field(
        default=30, ge=0, description="Younger inputs may still be in flight: not swept"
    )
    sweep_max_messages: int = Field(default=1000, ge=1, description="Documents sent per sweep")
    sweep_max_attempts: int = Field(
        default=3, ge=1, le=10, description="Re-runs of one document version, at most"
    )

    # Admission control: at most so many documents in flight; the rest wait in a queue.
    admission_table: str | None = Field(
        default=None, description="The semaphore's table; without it every document starts at once"
    )
    waiting_queue_url: str | None = Field(
        default=None, description="Where the starter parks documents when no slot is free"
    )
    max_documents_in_flight: int = Field(
        default=17, ge=1, le=3000, description="Executions running at once, at most"
    )

    # What to make.
    languages: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["es", "fr"])
    ocr_languages: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="ISO 639-1 hints for OCR; empty: detect"
    )
    default_language: str | None = Field(
        default="en", description="Assumed source language when detection is unsure; empty: fail"
    )
    summary_sentences: int = Field(default=5, ge=1, le=50)
    min_text_confidence: float = Field(
        default=60.0,
        ge=0,
        le=100,
        description="OCR lines read with less confidence stay in text.json but are not summarized",
    )
    min_label_confidence: float = Field(default=70.0, ge=0, le=100)
    max_labels: int = Field(default=10, ge=1, le=1000)
    max_images: int = Field(default=20, ge=0, le=1000, description="Pictures tagged per document")
    voices: dict[str, str] = Field(default_factory=dict, description="Voice per language code")

    # Extraction.
    text_layer_fast_path: bool = Field(
        default=True, description="Pages with a good text layer skip OCR (no Textract spend)"
    )
    tables: bool = Field(
        default=True,
        description="Find the ruled tables in the text layer of born-digital pages (free, local)",
    )
    ocr_dpi: int = Field(default=300, ge=72, le=600)
    # Small batches keep the workers evenly busy to the end: 20 pages in batches of 4 make 5
    # batches, and on 2 workers one does 3 of them while the other idles (bench/ocr_throughput).
    # Each batch downloads the source once, so single pages would cost more.
    ocr_batch_pages: int = Field(default=2, ge=1, le=100)
    ocr_job_min_pages: int = Field(
        default=2, ge=1, description="Use an asynchronous OCR job from this many pages (AWS)"
    )
    # How long the state machine waits for an OCR job (AWS), polling between Wait states: a
    # base, plus an allowance per page (docs/architecture.md says where the figures come from).
    ocr_job_wait_minutes: float = Field(
        default=30, gt=0, description="Wait at least this long for any OCR job"
    )
    ocr_job_wait_minutes_per_100_pages: float = Field(
        default=3, ge=0, description="And this much longer per 100 pages of the job"
    )

    # Limits (defaults from the Textract and Rekognition limits).
    max_document_bytes: int = Field(default=500 * MB, ge=1)
    max_pages: int = Field(default=3000, ge=1)
    max_image_side: int = Field(default=10000, ge=1, description="Pixels, either side")
    min_image_side: int = Field(default=32, ge=1, description="Smaller images cannot be read")
    max_image_pixels: int = Field(default=100_000_000, ge=1, description="Decompression-bomb guard")

    # Cost ledger.
    price_region: str = Field(default="us-east-1", description="Region whose prices apply")
    function_memory_mb: dict[str, int] = Field(
        default_factory=dict, description="Memory of each function (logical id) for GB-seconds"
    )

    # AWS engines.
    bedrock_model_id: str = "amazon.titan-text-express-v1"
    bedrock_read_timeout_seconds: float = Field(
        default=300,
        gt=0,
        le=900,
        description="How long a Converse call may take to answer (botocore's default is 60 s; a "
        "long context or a large model takes minutes)",
    )
    kms_key_arn: str | None = Field(
        default=None,
        description="The stack's KMS key (KmsKeyArn), if any: Textract encrypts job output with it",
    )
    textract_features: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="TABLES and/or FORMS: use AnalyzeDocument"
    )

    @field_validator("languages", "ocr_languages", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        return _split(value)

    @field_validator("default_language", "kms_key_arn", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("textract_features", mode="before")
    @classmethod
    def _features(cls, value: object) -> object:
        split = _split(value)
        return [item.upper() for item in split] if isinstance(split, list) else split


class StartSettings(Settings):
    """The start function's: it starts executions of the state machine."""

    state_machine_arn: str = Field(description="The state machine the starter starts")


class AdmitSettings(StartSettings):
    """The admitter's: it frees the slots of ended executions and starts waiting documents (as
    the starter does)."""

    admission_table: str = Field(description="The semaphore's table")
    waiting_queue_url: str = Field(description="Where waiting documents are")


class SweepSettings(Settings):
    """The sweeper's: it lists the inputs and sends what was missed to the upload queue."""

    input_bucket: str = Field(description="The bucket documents arrive in")
    start_queue_url: str = Field(description="Where the sweeper sends work")


class BackfillSettings(Settings):
    """The backfill function's: it checks a batch of listed inputs and sends those without
    results to the upload queue, as the sweeper does."""

    input_bucket: str = Field(description="The bucket documents arrive in")
    start_queue_url: str = Field(description="Where the backfill sends work")


S = TypeVar("S", bound=Settings)


def environment_variable(field: str) -> str:
    """The variable that sets a field: ``state_machine_arn`` is ``SCRIBA_STATE_MACHINE_ARN``."""
    return f"SCRIBA_{field.upper()}"


def _configuration_error(kind: type[Settings], error: ValidationError) -> ConfigurationError:
    problems = []
    for item in error.errors():
        name = environment_variable(str(item["loc"][0])) if item["loc"] else "SCRIBA_*"
        problems.append(
            f"{name} is not set" if item["type"] == "missing" else f"{name}: {item['msg']}"
        )
    return ConfigurationError(
        f"{kind.__name__}: {'; '.join(problems)} (template.yaml sets it for the function)"
    )


@lru_cache(maxsize=32)
def _cached(kind: type[Settings], environment: frozenset[tuple[str, str]]) -> Settings:
    try:
        return kind()
    except ValidationError as error:
        raise _configuration_error(kind, error) from None


def require(settings: Settings, kind: type[S]) -> S:
    """``settings`` as ``kind``, whose required fields they must have (a function given settings
    of another class, by a test or a caller): ``ConfigurationError`` names what is missing."""
    values = {k: v for k, v in settings.model_dump().items() if v is not None}
    try:
        return kind.model_validate(values)
    except ValidationError as error:
        raise _configuration_error(kind, error) from None


@overload
def load_settings() -> Settings: ...


@overload
def load_settings(kind: type[S]) -> S: ...


def load_settings(kind: type[Settings] = Settings) -> Settings:
    """Settings of ``kind`` from the current environment, cached per distinct environment.

    Raises ``ConfigurationError`` naming every variable that is missing or invalid.
    """
    relevant = frozenset((k, v) for k, v in os.environ.items() if k.startswith("SCRIBA_"))
    return _cached(kind, relevant)
