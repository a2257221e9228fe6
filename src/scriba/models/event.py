"""The event downstream consumers receive: "Document Processed" or "Document Failed"."""

from __future__ import annotations

from pydantic import Field

from scriba.models.base import Model
from scriba.models.document import Source
from scriba.models.manifest import Failure, Manifest, Status

EVENT_SOURCE = "scriba"
PROCESSED = "Document Processed"
FAILED = "Document Failed"


class DocumentEvent(Model):
    """The ``detail`` of both events. Consumers read the manifest for everything else."""

    document_id: str
    name: str
    source: Source
    status: Status
    manifest: str = Field(description="s3:// URI of manifest.json")
    output: str = Field(description="s3:// URI of the document's output prefix")
    pages: int | None = None
    languages: list[str] = Field(default_factory=list)
    failure: Failure | None = None

    @property
    def detail_type(self) -> str:
        return FAILED if self.status is Status.FAILED else PROCESSED

    @classmethod
    def of(cls, manifest: Manifest, manifest_uri: str) -> DocumentEvent:
        return cls(
            document_id=manifest.document_id,
            name=manifest.name,
            source=manifest.source,
            status=manifest.status,
            manifest=manifest_uri,
            output=manifest.output,
            pages=manifest.pages,
            languages=manifest.languages,
            failure=manifest.failure,
        )
