"""Events for downstream consumers: "Document Processed" and "Document Failed" on EventBridge."""

from __future__ import annotations

import json

from pydantic import Field

from scriba.aws import client, service_errors
from scriba.document import Model, Source
from scriba.errors import TransientServiceError
from scriba.manifest import Failure, Manifest, Status

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


def publish(event: DocumentEvent, bus: str | None) -> bool:
    """Puts the event on ``bus``; returns False when no bus is configured."""
    if not bus:
        return False
    with service_errors("events", event.name):
        response = client("events").put_events(
            Entries=[
                {
                    "Source": EVENT_SOURCE,
                    "DetailType": event.detail_type,
                    "Detail": json.dumps(event.model_dump(mode="json")),
                    "EventBusName": bus,
                }
            ]
        )
    if response.get("FailedEntryCount", 0):
        entry = response["Entries"][0]
        raise TransientServiceError(
            f"EventBridge refused the event: {entry.get('ErrorCode')}: {entry.get('ErrorMessage')}",
            document=event.name,
        )
    return True
