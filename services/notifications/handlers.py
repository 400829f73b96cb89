"""Events the notifications service consumes: for now, its own record of each visit."""

from __future__ import annotations

from shared.bus import Consumer
from shared.envelope import CloudEvent
from shared.events import models as ev
from shared.service import Runtime
from shared.store import apply_if_newer

consumer = Consumer("notifications")

VISITS = "visits"


@consumer.on("visit.scheduled")
@consumer.on("visit.rescheduled")
@consumer.on("visit.cancelled")
async def on_visit(event: CloudEvent, data: ev.EventData, rt: Runtime) -> None:
    status = event.routing_key.split(".", 1)[1]
    fields = {**data.model_dump(mode="json", exclude={"version"}), "status": status, "last_event_id": event.id}
    await apply_if_newer(rt.db[VISITS], data.visit_id, data.version, fields)
