"""Events the enrollment service consumes: its own copies of schools and visits.

Copies are kept by aggregate version (``apply_if_newer``), so redeliveries and reordering
(``visit.rescheduled`` before ``visit.scheduled``) end in the right state.
"""

from __future__ import annotations

from shared.bus import Consumer
from shared.envelope import CloudEvent
from shared.events import models as ev
from shared.service import Runtime
from shared.store import apply_if_newer

consumer = Consumer("enrollment")

SCHOOLS = "schools"
VISITS = "visits"


@consumer.on("school.registered")
@consumer.on("school.updated")
async def on_school(event: CloudEvent, data: ev.SchoolData, rt: Runtime) -> None:
    await apply_if_newer(rt.db[SCHOOLS], data.npsn, data.version,
                         {**data.model_dump(mode="json", exclude={"version"}), "last_event_id": event.id})


@consumer.on("visit.scheduled")
@consumer.on("visit.rescheduled")
@consumer.on("visit.cancelled")
@consumer.on("visit.started")
@consumer.on("visit.completed")
async def on_visit(event: CloudEvent, data: ev.EventData, rt: Runtime) -> None:
    status = event.routing_key.split(".", 1)[1]
    fields = {**data.model_dump(mode="json", exclude={"version"}), "status": status, "last_event_id": event.id}
    await apply_if_newer(rt.db[VISITS], data.visit_id, data.version, fields)
