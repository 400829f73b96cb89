"""Event contracts: the catalogue of DESIGN.md and a builder for new events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from pydantic import BaseModel

from shared.envelope import CloudEvent
from shared.events import models
from shared.events.catalogue import CATALOGUE, ROUTING_KEYS, EventSpec, UnknownEventType, current, spec_for_type

__all__ = [
    "CATALOGUE", "ROUTING_KEYS", "CloudEvent", "EventSpec", "UnknownEventType", "current",
    "models", "new_event", "spec_for_type",
]


def new_event(
    service: str,
    data: BaseModel,
    *,
    subject: str,
    correlationid: str | None = None,
    causationid: str | None = None,
    time: datetime | None = None,
) -> CloudEvent:
    """Build the envelope for ``data``; the type and version come from the data's model."""
    spec = next((s for s in CATALOGUE.values() if s.model is type(data)), None)
    if spec is None:
        raise UnknownEventType(f"{type(data).__name__} is not in the event catalogue")
    if spec.producer != service:
        raise ValueError(f"{spec.routing_key} is published by {spec.producer}, not {service}")
    event_id = str(uuid.uuid4())
    event = CloudEvent(
        id=event_id,
        time=time or datetime.now(UTC),
        source=f"/jemput/{service}",
        type=spec.type,
        subject=subject,
        data=data.model_dump(mode="json", exclude_none=False),
        causationid=causationid,
        correlationid=correlationid or event_id,  # a new conversation correlates to itself
    )
    return event
