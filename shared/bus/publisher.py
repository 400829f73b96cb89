"""Publishing events: persistent, confirmed, mandatory — on every publisher, as DESIGN.md asks.

FastStream's default is *not* persistent, so each publisher sets ``persist=True`` explicitly. The
broker's channel runs with publisher confirms and ``on_return_raises`` (see ``shared.service``),
so an unroutable message raises instead of vanishing. One FastStream publisher per event the
service produces: the relay publishes through exactly the objects the AsyncAPI document is
generated from.
"""

from __future__ import annotations

from typing import Any

from pydantic import create_model

from shared.bus.topology import Topology
from shared.envelope import CONTENT_TYPE, CloudEvent
from shared.events.catalogue import EventSpec, produced_by, spec_for_type


def envelope_schema(spec: EventSpec) -> type[CloudEvent]:
    """A CloudEvent whose ``data`` is the event's model: the payload schema in AsyncAPI."""
    name = "".join(part.title() for part in spec.routing_key.replace("_", ".").split(".")) + f"V{spec.version}"
    return create_model(name, __base__=CloudEvent, data=(spec.model, ...), __doc__=spec.summary)


class EventPublisher:
    def __init__(self, broker: Any, topology: Topology, service: str) -> None:
        self.service = service
        self._publishers = {
            spec.type: broker.publisher(
                routing_key=spec.routing_key,
                exchange=topology.exchange(spec.exchange),
                persist=True,
                mandatory=True,
                content_type=CONTENT_TYPE,
                schema=envelope_schema(spec),
                title=f"{topology.exchange_name(spec.exchange)}:{spec.routing_key}:publish",
                description=spec.summary,
            )
            for spec in produced_by(service)
        }

    async def publish(self, event: CloudEvent | dict[str, Any]) -> None:
        """Publish one event and wait for the broker's confirm; raises if it is not routed."""
        if isinstance(event, dict):
            event = CloudEvent.model_validate(event)
        spec = spec_for_type(event.type)
        publisher = self._publishers.get(spec.type)
        if publisher is None:
            raise ValueError(f"{self.service} does not publish {spec.type}")
        await publisher.publish(
            event.to_json(),
            message_id=event.id,
            correlation_id=event.correlationid,
            content_type=CONTENT_TYPE,
            persist=True,
            mandatory=True,
            timestamp=event.time,
        )
