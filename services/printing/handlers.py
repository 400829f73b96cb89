"""Events the printing service consumes: card requests, each kept exactly once."""

from __future__ import annotations

from shared.bus import Consumer
from shared.envelope import CloudEvent
from shared.events import models as ev
from shared.service import Runtime
from shared.store import record_once

consumer = Consumer("printing")

REQUESTS = "card_requests"


@consumer.on("card.requested")
async def on_card_requested(event: CloudEvent, data: ev.CardRequested, rt: Runtime) -> None:
    await record_once(rt.db[REQUESTS], event.id, {
        "request_id": data.request_id, "student_id": data.student_id, "npsn": data.npsn,
        "unit_id": data.unit_id, "visit_id": data.visit_id, "status": "received", "received_at": event.time,
    })
