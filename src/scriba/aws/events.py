"""Events for downstream consumers: "Document Processed" and "Document Failed" on EventBridge."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from scriba.aws.errors import service_errors
from scriba.errors import TransientServiceError
from scriba.models.event import EVENT_SOURCE, DocumentEvent

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient


def publish(events: EventBridgeClient, event: DocumentEvent, bus: str | None) -> bool:
    """Puts the event on ``bus``; returns False when no bus is configured."""
    if not bus:
        return False
    with service_errors("events", event.name):
        response = events.put_events(
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
