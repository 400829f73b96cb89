"""Events the scheduling service consumes: ``roster.verified`` gives a school's ready count."""

from __future__ import annotations

import logging

from shared.bus import Consumer
from shared.bus.errors import TransientError
from shared.envelope import CloudEvent
from shared.events import models as ev
from shared.service import Runtime

from .adapters.lease import LeaseBusy
from .adapters.visit_repository import ConcurrentChange
from .programme import Programme

consumer = Consumer("scheduling")
log = logging.getLogger("jemput.scheduling.handlers")


@consumer.on("roster.verified")
async def on_roster_verified(event: CloudEvent, data: ev.RosterVerified, rt: Runtime) -> None:
    """Keep the newest count per school (by roster version); when it changed, re-plan so the
    committed visits match it (moved, shrunk, dropped or added, each announced)."""
    programme = Programme(rt)
    changed = await programme.repo.record_roster(data, event)
    if not changed:
        return
    try:
        result = await programme.replan(f"roster verified for {data.npsn}: {data.ready_to_record} ready", event)
    except (ConcurrentChange, LeaseBusy) as exc:
        raise TransientError(str(exc)) from exc
    log.info("re-planned after roster.verified", extra={
        "npsn": data.npsn, "moved": len(result.moved), "dropped": len(result.dropped),
        "resized": len(result.resized), "added": len(result.added)})
