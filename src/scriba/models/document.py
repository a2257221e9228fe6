"""The uploaded object, where things are in the bucket, and the kinds of document scriba reads."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from scriba.models.base import Model


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
