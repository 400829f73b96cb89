"""Helpers of the dashboard's integration tests (copied from the platform's, not imported):
publishing real events to the real broker, and a small synthetic programme of public events."""

from __future__ import annotations

import asyncio
import datetime as dt
from datetime import UTC
from typing import Any

import aio_pika

from shared.envelope import CloudEvent
from shared.events import models as ev
from shared.events import new_event

T0 = dt.datetime(2026, 5, 6, 2, 0, tzinfo=UTC)  # 09:00 in Jakarta
A, B = "20600001", "20600002"


async def publish_raw(url: str, exchange: str, routing_key: str, body: bytes, *, message_id: str | None = None) -> None:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        ex = await channel.get_exchange(exchange)
        await ex.publish(
            aio_pika.Message(body, message_id=message_id, content_type="application/cloudevents+json",
                             delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key=routing_key, mandatory=True,
        )


async def publish_all(url: str, exchange: str, events: list[CloudEvent]) -> None:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        ex = await channel.get_exchange(exchange)
        for event in events:
            await ex.publish(
                aio_pika.Message(event.to_json(), message_id=event.id, content_type="application/cloudevents+json",
                                 delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                routing_key=event.routing_key, mandatory=True,
            )


async def eventually(predicate, timeout: float = 20.0, interval: float = 0.1):
    async with asyncio.timeout(timeout):
        while not (result := await predicate()):
            await asyncio.sleep(interval)
    return result


def _e(service: str, data: Any, subject: str) -> CloudEvent:
    return new_event(service, data, subject=subject)


def school(npsn: str, name: str, kind: str, version: int = 1, updated: bool = False) -> CloudEvent:
    model = ev.SchoolUpdated if updated else ev.SchoolRegistered
    return _e("scheduling", model(npsn=npsn, name=name, kind=kind, status="negeri", kecamatan="Balaraja",
                                  version=version), npsn)


def visit(kind: str, visit_id: str, version: int, npsn: str, unit: str, date: dt.date, **extra: Any) -> CloudEvent:
    base: dict[str, Any] = dict(visit_id=visit_id, npsn=npsn, unit_id=unit, date=date, version=version)
    if kind in {"scheduled", "rescheduled"}:
        base.update(plan_id="P-1", school_name={A: "SMAN 1 Contoh", B: "SMKN 2 Contoh"}[npsn], kecamatan="Balaraja",
                    session_start="08:00", session_end="12:00", expected_students=60)
    model = {"scheduled": ev.VisitScheduled, "rescheduled": ev.VisitRescheduled, "cancelled": ev.VisitCancelled,
             "started": ev.VisitStarted, "completed": ev.VisitCompleted}[kind]
    return _e("scheduling", model(**{**base, **extra}), visit_id)


def recorded(student: str, at: dt.datetime, version: int = 1) -> CloudEvent:
    return _e("enrollment", ev.StudentRecorded(student_id=student, npsn=A, visit_id="V-A1", unit_id="unit-1",
                                               nik_masked="3603********0001", recorded_at=at, version=version), student)


def printed(student: str, at: dt.datetime, reprint: bool = False, version: int = 2) -> CloudEvent:
    return _e("printing", ev.CardPrinted(job_id=f"J-{student}", request_id=f"R-{student}", student_id=student, npsn=A,
                                         unit_id="unit-1", visit_id="V-A1", card_serial=f"BLK-{student}-{version}",
                                         reprint=reprint, printed_at=at, version=version), f"J-{student}")


def programme() -> list[CloudEvent]:
    """Two schools, four visits, three students: every kind of event the dashboard reads.

    Deliberately out of order and with duplicates: an older school event after a newer one,
    ``visit.started`` before its ``visit.scheduled``, one recording delivered twice and one taken again.
    """
    day1 = dt.date(2026, 5, 6)
    s1 = recorded("S-1", T0)
    events = [
        school(A, "SMAN 1 Contoh Tangerang", "SMA", version=2, updated=True),
        school(A, "SMAN 1 Contoh", "SMA", version=1),
        school(B, "SMKN 2 Contoh", "SMK"),
        _e("enrollment", ev.RosterVerified(npsn=A, roster_id="ROS-1", total=200, already_recorded=80,
                                           ready_to_record=100, not_yet_eligible=15, invalid=5, verified_at=T0,
                                           version=1), "ROS-1"),
        visit("started", "V-A1", 2, A, "unit-1", day1, started_at=T0),
        visit("scheduled", "V-A1", 1, A, "unit-1", day1),
        visit("completed", "V-A1", 3, A, "unit-1", day1, completed_at=T0 + dt.timedelta(hours=4), recorded=3, absent=1),
        visit("scheduled", "V-B1", 1, B, "unit-2", dt.date(2026, 5, 8)),
        visit("rescheduled", "V-B1", 2, B, "unit-2", dt.date(2026, 5, 9), previous_date=dt.date(2026, 5, 8),
              reason="ujian sekolah"),
        visit("scheduled", "V-B2", 1, B, "unit-2", dt.date(2026, 5, 10)),
        visit("cancelled", "V-B2", 2, B, "unit-2", dt.date(2026, 5, 10), reason="sekolah libur"),
        visit("scheduled", "V-B3", 1, B, "unit-2", dt.date(2026, 5, 12), catch_up=True),
        s1, s1,  # the same event twice (a redelivery)
        recorded("S-2", T0 + dt.timedelta(minutes=10)),
        recorded("S-3", T0 + dt.timedelta(minutes=20)),
        recorded("S-3", T0 + dt.timedelta(days=1), version=2),  # captured again the next day
        printed("S-1", T0 + dt.timedelta(minutes=30)),
        _e("printing", ev.StockLow(unit_id="unit-1", remaining=4, threshold=10, at=T0 + dt.timedelta(hours=1),
                                   version=7), "unit-1"),
        printed("S-2", T0 + dt.timedelta(hours=2)),
        printed("S-1", T0 + dt.timedelta(hours=3), reprint=True, version=4),
        _e("printing", ev.CardHandedOver(job_id="J-S-1", student_id="S-1", npsn=A, card_serial="BLK-S-1-4",
                                         handed_over_at=T0 + dt.timedelta(hours=3), handed_over_by="op-1",
                                         version=5), "J-S-1"),
        _e("printing", ev.CertificateIssued(certificate_id="SK-1", request_id="R-S-3", student_id="S-3", npsn=A,
                                            unit_id="unit-1", issued_at=T0 + dt.timedelta(days=1, hours=1),
                                            valid_until=dt.date(2026, 11, 7), version=2), "J-S-3"),
    ]
    return events


# What the dashboard must show once it has every event of programme() and one poison message.
EXPECTED_TOTALS = {"schools": 2, "target": 160, "recorded": 3, "printed": 2, "handed_over": 1, "certificates": 1,
                   "absent": 1, "roster_total": 200, "already_recorded": 80}
