"""Public events the dashboard keeps, each as one idempotent write to its projections.

The dashboard binds ``jemput.events`` only, as an outside subscriber would: nothing here reads
the restricted exchange or another service's database.
"""

from __future__ import annotations

from typing import Any

from shared.bus import Consumer
from shared.envelope import CloudEvent
from shared.events import models as ev
from shared.service import Runtime

from .adapters.projections import ProjectionStore
from .domain.facts import fact_of, visit_details, visit_state
from .settings import DashboardSettings

consumer = Consumer("dashboard")


def settings_of(rt: Runtime) -> DashboardSettings:
    """The dashboard's settings, also when started with the plain platform settings."""
    settings = rt.state.get("settings")
    if settings is None:
        settings = rt.settings if isinstance(rt.settings, DashboardSettings) else \
            DashboardSettings.model_validate(rt.settings.model_dump(by_alias=True))
        rt.state["settings"] = settings
    return settings


def store_of(rt: Runtime) -> ProjectionStore:
    store = rt.state.get("projections")
    if store is None:
        store = rt.state["projections"] = ProjectionStore(rt.db)
    return store


@consumer.on("school.registered")
@consumer.on("school.updated")
async def on_school(event: CloudEvent, data: ev.SchoolData, rt: Runtime) -> None:
    await store_of(rt).school(data.npsn, data.version, {"name": data.name, "kind": data.kind,
                                                        "status": data.status, "kecamatan": data.kecamatan})


@consumer.on("roster.verified")
async def on_roster_verified(event: CloudEvent, data: ev.RosterVerified, rt: Runtime) -> None:
    await store_of(rt).roster(data.npsn, data.roster_id, data.version, data.model_dump(
        include={"total", "already_recorded", "ready_to_record", "not_yet_eligible", "invalid", "verified_at"}))


@consumer.on("visit.scheduled")
@consumer.on("visit.rescheduled")
@consumer.on("visit.cancelled")
@consumer.on("visit.started")
@consumer.on("visit.completed")
async def on_visit(event: CloudEvent, data: Any, rt: Runtime) -> None:
    status, fields = visit_state(data)
    details = visit_details(data) if isinstance(data, ev.VisitData) else None
    await store_of(rt).visit(data.visit_id, data.version, status, fields, details)


@consumer.on("student.recorded")
@consumer.on("card.printed")
@consumer.on("card.handed_over")
@consumer.on("certificate.issued")
async def on_fact(event: CloudEvent, data: Any, rt: Runtime) -> None:
    await store_of(rt).fact(fact_of(data, event.id, settings_of(rt).zone))


@consumer.on("stock.low")
async def on_stock_low(event: CloudEvent, data: ev.StockLow, rt: Runtime) -> None:
    await store_of(rt).stock_low(data.unit_id, data.version, data.remaining, data.threshold, data.at)
