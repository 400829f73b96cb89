"""Events the notifications service consumes, turned into planned deliveries.

Every handler is idempotent: copies of schools, students and visits are applied
only when newer (by aggregate version), and each planned message is inserted
under its unique key (cause event, kind, recipient, channel), so a redelivered
or duplicated event plans nothing twice. Sending is the dispatcher's job.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from shared.bus import Consumer
from shared.envelope import CloudEvent
from shared.events import models as ev
from shared.service import Runtime

from . import translate
from .adapters.repository import DeliveryRepository, Directory
from .domain.delivery import Delivery
from .domain.planning import (
    PlannedMessage,
    plan_stock_low,
    plan_student_notice,
    plan_student_reminders,
    plan_visit_cancelled,
    plan_visit_rescheduled,
    plan_visit_scheduled,
    visit_about,
)
from .domain.views import VisitCancelledView, VisitRescheduledView
from .settings import NotificationsSettings

log = logging.getLogger("jemput.notifications")

consumer = Consumer("notifications")

VISITS = "visits"


def _now(rt: Runtime) -> datetime:
    clock = rt.state.get("clock")
    return clock() if clock is not None else datetime.now(UTC)


def _directory(rt: Runtime) -> Directory:
    return rt.state.get("directory") or Directory(rt.db)


def _deliveries(rt: Runtime) -> DeliveryRepository:
    return rt.state.get("deliveries") or DeliveryRepository(rt.db)


def settings_of(rt: Runtime) -> NotificationsSettings:
    """The service's own settings, also when started with the plain platform settings."""
    settings = rt.state.get("settings")
    if settings is None:
        settings = rt.settings if isinstance(rt.settings, NotificationsSettings) else \
            NotificationsSettings.model_validate(rt.settings.model_dump(by_alias=True))
        rt.state["settings"] = settings
    return settings


async def store_plans(
    rt: Runtime, plans: Sequence[PlannedMessage], cause_type: str, correlation_id: str | None,
    about_version: int = 0,
) -> int:
    """Insert the planned deliveries not already known; wake the dispatcher for those due now."""
    now = _now(rt)
    deliveries = [
        Delivery.from_plan(p, now, cause_type=cause_type, about_version=about_version).model_copy(
            update={"correlation_id": correlation_id}
        )
        for p in plans
    ]
    inserted = await _deliveries(rt).insert_new(deliveries)
    if inserted:
        wake = rt.state.get("dispatcher_wakeup")
        if wake is not None and any(d.due_at <= now for d in deliveries):
            wake.set()
    log.info("deliveries planned", extra={"cause_type": cause_type, "planned": len(deliveries),
                                          "inserted": len(inserted)})
    return len(inserted)


# --- the directory --------------------------------------------------------------------------


@consumer.on("school.registered")
@consumer.on("school.updated")
async def on_school(event: CloudEvent, data: ev.SchoolData, rt: Runtime) -> None:
    contact = data.contact
    fields: dict[str, Any] = {
        "name": data.name,
        "kecamatan": data.kecamatan,
        "contact": None if contact is None else {"email": contact.email, "phone": contact.phone},
        "last_event_id": event.id,
    }
    directory = _directory(rt)
    await directory.keep_school(data.npsn, data.version, fields)
    school = await directory.school(data.npsn)
    if school is None or school.version != data.version or school.email is None:
        return
    # a school whose contact arrives after its visit was booked still hears of it
    now = _now(rt)
    for copy in await directory.upcoming_visits(data.npsn, translate.local_date(now).isoformat()):
        plans = plan_visit_scheduled(copy["last_event_id"], translate.visit_view(copy, school.name), school, [],
                                     now, settings_of(rt).reminders())
        await store_plans(rt, plans, copy.get("last_event_type", "visit.scheduled"), None,
                          about_version=copy.get("version", 0))


@consumer.on("student.contact_updated")
async def on_contact(event: CloudEvent, data: ev.StudentContactUpdated, rt: Runtime) -> None:
    """Keep the contact; then plan the reminders of upcoming visits the student would miss."""
    directory = _directory(rt)
    await directory.keep_student(data.student_id, data.version, translate.student_fields(data))
    student = await directory.student(data.student_id)
    if student is None or student.version != data.version:
        return  # an older update than the one kept
    now = _now(rt)
    policy = settings_of(rt).reminders()
    for copy in await directory.upcoming_visits(data.npsn, translate.local_date(now).isoformat()):
        visit = translate.visit_view(copy, await directory.school_name(data.npsn))
        plans = plan_student_reminders(copy["last_event_id"], visit, [student], now, policy)
        await store_plans(rt, plans, copy.get("last_event_type", "visit.scheduled"), None,
                          about_version=copy.get("version", 0))


# --- visits -----------------------------------------------------------------------------------


async def _keep_visit(rt: Runtime, event: CloudEvent, data: Any, fields: dict[str, Any]) -> dict[str, Any] | None:
    """The stored copy if this event is the visit's current state; None if a newer one is kept."""
    fields = {**fields, "status": event.routing_key.split(".", 1)[1], "last_event_id": event.id,
              "last_event_type": event.routing_key}
    copy = await _directory(rt).keep_visit(data.visit_id, data.version, fields)
    if copy is None or copy.get("version") != data.version:
        log.info("stale visit event ignored", extra={"cause_type": event.routing_key})
        return None
    return copy


@consumer.on("visit.scheduled")
async def on_visit_scheduled(event: CloudEvent, data: ev.VisitScheduled, rt: Runtime) -> None:
    copy = await _keep_visit(rt, event, data, translate.visit_fields(data))
    if copy is None:
        return
    directory = _directory(rt)
    plans = plan_visit_scheduled(
        event.id, translate.visit_view(copy), await directory.school(data.npsn),
        await directory.students_of(data.npsn), _now(rt), settings_of(rt).reminders(),
    )
    await store_plans(rt, plans, event.routing_key, event.correlationid, about_version=data.version)


@consumer.on("visit.rescheduled")
async def on_visit_rescheduled(event: CloudEvent, data: ev.VisitRescheduled, rt: Runtime) -> None:
    copy = await _keep_visit(rt, event, data, translate.visit_fields(data))
    if copy is None:
        return
    await _deliveries(rt).withdraw_reminders(visit_about(data.visit_id), data.version, "visit rescheduled")
    directory = _directory(rt)
    change = VisitRescheduledView(visit=translate.visit_view(copy), previous_date=data.previous_date,
                                  reason=data.reason)
    plans = plan_visit_rescheduled(
        event.id, change, await directory.school(data.npsn), await directory.students_of(data.npsn),
        _now(rt), settings_of(rt).reminders(),
    )
    await store_plans(rt, plans, event.routing_key, event.correlationid, about_version=data.version)


@consumer.on("visit.cancelled")
async def on_visit_cancelled(event: CloudEvent, data: ev.VisitCancelled, rt: Runtime) -> None:
    fields = {"npsn": data.npsn, "unit_id": data.unit_id, "date": data.date.isoformat(), "reason": data.reason}
    copy = await _keep_visit(rt, event, data, fields)
    if copy is None:
        return
    await _deliveries(rt).withdraw_reminders(visit_about(data.visit_id), data.version, "visit cancelled")
    directory = _directory(rt)
    view = translate.visit_view(copy, await directory.school_name(data.npsn))
    plans = plan_visit_cancelled(
        event.id, VisitCancelledView(visit=view, reason=data.reason), await directory.school(data.npsn),
        await directory.students_of(data.npsn), _now(rt),
    )
    await store_plans(rt, plans, event.routing_key, event.correlationid, about_version=data.version)


# --- students -------------------------------------------------------------------------------


async def _student_notice(rt: Runtime, event: CloudEvent, student_id: str, view_of) -> None:
    directory = _directory(rt)
    student = await directory.student(student_id)
    if student is None:
        log.info("no contact for student; nothing to send", extra={"cause_type": event.routing_key})
        return
    view = view_of(await directory.school_name(student.school_id))
    await store_plans(rt, plan_student_notice(event.id, view, student, _now(rt)), event.routing_key,
                      event.correlationid)


@consumer.on("student.recorded")
async def on_student_recorded(event: CloudEvent, data: ev.StudentRecorded, rt: Runtime) -> None:
    await _student_notice(rt, event, data.student_id, lambda school: translate.recorded_view(data, school))


@consumer.on("card.printed")
async def on_card_printed(event: CloudEvent, data: ev.CardPrinted, rt: Runtime) -> None:
    await _student_notice(rt, event, data.student_id, lambda school: translate.card_printed_view(data, school))


@consumer.on("certificate.issued")
async def on_certificate_issued(event: CloudEvent, data: ev.CertificateIssued, rt: Runtime) -> None:
    await _student_notice(rt, event, data.student_id, lambda school: translate.certificate_view(data, school))


@consumer.on("student.enrollment_rejected")
async def on_enrollment_rejected(event: CloudEvent, data: ev.StudentEnrollmentRejected, rt: Runtime) -> None:
    s = settings_of(rt)
    await _student_notice(
        rt, event, data.student_id,
        lambda school: translate.rejected_view(data, school, s.office_address, s.office_hours),
    )


# --- operations -----------------------------------------------------------------------------


@consumer.on("stock.low")
async def on_stock_low(event: CloudEvent, data: ev.StockLow, rt: Runtime) -> None:
    emails = settings_of(rt).operations()
    if not emails:
        log.warning("stock.low but NOTIFY_OPERATIONS_EMAILS is empty: nobody to alert")
        return
    plans = plan_stock_low(event.id, translate.stock_view(data), emails, _now(rt))
    await store_plans(rt, plans, event.routing_key, event.correlationid)
