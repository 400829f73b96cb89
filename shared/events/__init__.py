"""Event contracts: the catalogue of DESIGN.md and a builder for new events."""

from __future__ import annotations

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
    kwargs = {"time": time or datetime.now(UTC)}
    event = CloudEvent(
        source=f"/jemput/{service}",
        type=spec.type,
        subject=subject,
        data=data.model_dump(mode="json", exclude_none=False),
        causationid=causationid,
        correlationid=correlationid or "",
        **kwargs,
    )
    if not correlationid:  # a new conversation: it is its own correlation
        event = event.model_copy(update={"correlationid": event.id})
    return event
