"""The document being processed and the references that travel between workflow states.

Only these small models cross the state boundaries; every artifact itself lives in the bucket.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Model(BaseModel):
    """Base of every model that crosses a boundary: unknown fields are errors, not silence."""

    model_config = ConfigDict(extra="forbid", frozen=False, populate_by_name=True)


class S3Location(Model):
    bucket: str = Field(min_length=3, max_length=63)
    key: str = Field(min_length=1, max_length=1024)
    version_id: str | None = None

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def child(self, relative: str) -> S3Location:
        """The location of ``relative`` under this location taken as a prefix."""
        return S3Location(bucket=self.bucket, key=f"{self.key.rstrip('/')}/{relative}")


class Source(S3Location):
    """The uploaded object. Never modified, never deleted."""

    etag: str | None = None
    size: int | None = Field(default=None, ge=0)


class DocumentKind(StrEnum):
    PDF = "pdf"
    PNG = "png"
    JPEG = "jpeg"
    TIFF = "tiff"

    @property
    def media_type(self) -> str:
        return {
            DocumentKind.PDF: "application/pdf",
            DocumentKind.PNG: "image/png",
            DocumentKind.JPEG: "image/jpeg",
            DocumentKind.TIFF: "image/tiff",
        }[self]

    @property
    def is_image(self) -> bool:
        return self is not DocumentKind.PDF


class OcrMode(StrEnum):
    NONE = "none"  # every page has a usable text layer
    PAGES = "pages"  # pages OCR'd in batches, one task per batch (a Map state)
    JOB = "job"  # one asynchronous OCR job, awaited by the state machine


class OcrPlan(Model):
    mode: OcrMode = OcrMode.NONE
    pages: list[int] = Field(default_factory=list, description="1-based pages that need OCR")
    batches: list[list[int]] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list, description="ISO 639-1 hints for OCR")


class Options(Model):
    """What the caller may ask for when starting a document."""

    languages: list[str] | None = None
    force: bool = Field(default=False, description="Process again even if the same bytes were seen")
    attempt: int = Field(
        default=0, ge=0, description="A re-run of the same version needs a new one"
    )


class PipelineInput(Model):
    """The input of one execution of the state machine."""

    source: Source
    options: Options = Field(default_factory=Options)


class Document(Model):
    """What the inspect step learned about the input; passed to every later state."""

    id: str = Field(description="Deterministic id from bucket, key and version or etag")
    name: str = Field(description="The source key, for people")
    source: Source
    output: S3Location = Field(description="Prefix of the results; key ends without '/'")
    work: S3Location = Field(description="Prefix of intermediate files; key ends without '/'")
    kind: DocumentKind
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    pages: int = Field(ge=1)
    text_layer_pages: int = Field(default=0, ge=0)
    language: str | None = Field(default=None, description="Detected from the text layer, if any")
    languages: list[str] = Field(description="Target languages of translation and narration")
    ocr: OcrPlan = Field(default_factory=OcrPlan)
    reused_from: S3Location | None = Field(
        default=None, description="Output prefix of identical content whose results were reused"
    )
    warnings: list[str] = Field(default_factory=list)
