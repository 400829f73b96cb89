"""Synthetic events for the notifications integration tests (no real people, numbers or schools)."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import aio_pika

from shared.bus.topology import exchange_of
from shared.events import models as ev
from shared.events import new_event
from services.notifications.domain.timing import JAKARTA

NPSN = "20699999"


def today() -> dt.date:
    return dt.datetime.now(JAKARTA).date()


def school_registered(email: str = "tu@sman99.example.sch.id", version: int = 1):
    data = ev.SchoolRegistered(
        npsn=NPSN, name="SMAN 99 Contoh", kind="SMA", status="negeri", kecamatan="Balaraja",
        contact=ev.SchoolContact(name="Tata Usaha", email=email, phone="0215550001"), version=version,
    )
    return new_event("scheduling", data, subject=NPSN)


def contact_updated(student_id: str, phone: str | None, *, minor: bool, guardian_phone: str | None = None,
                    opted_out: list[str] | None = None, language: str = "id", version: int = 1):
    data = ev.StudentContactUpdated(
        student_id=student_id, npsn=NPSN, name="SISWA CONTOH", phone=phone, language=language, is_minor=minor,
        guardian=None if guardian_phone is None else ev.Guardian(name="WALI CONTOH", phone=guardian_phone),
        opted_out=opted_out or [], version=version,
    )
    return new_event("enrollment", data, subject=student_id)


def visit_scheduled(visit_id: str, date: dt.date, version: int = 1):
    data = ev.VisitScheduled(
        visit_id=visit_id, npsn=NPSN, school_name="SMAN 99 Contoh", kecamatan="Balaraja", unit_id="unit-1",
        date=date, session_start="08:00", session_end="12:00", expected_students=3, version=version,
    )
    return new_event("scheduling", data, subject=visit_id)


def visit_rescheduled(visit_id: str, date: dt.date, previous: dt.date, version: int = 2):
    data = ev.VisitRescheduled(
        visit_id=visit_id, npsn=NPSN, school_name="SMAN 99 Contoh", kecamatan="Balaraja", unit_id="unit-1",
        date=date, session_start="09:00", session_end="12:00", expected_students=3, previous_date=previous,
        reason="Ujian sekolah", version=version,
    )
    return new_event("scheduling", data, subject=visit_id)


def visit_cancelled(visit_id: str, date: dt.date, version: int = 2):
    data = ev.VisitCancelled(visit_id=visit_id, npsn=NPSN, unit_id="unit-1", date=date, reason="Banjir",
                             version=version)
    return new_event("scheduling", data, subject=visit_id)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def student_recorded(student_id: str):
    data = ev.StudentRecorded(student_id=student_id, npsn=NPSN, visit_id="V-1", unit_id="unit-1",
                              nik_masked="3603********0001", recorded_at=now(), version=1)
    return new_event("enrollment", data, subject=student_id)


def card_printed(student_id: str):
    data = ev.CardPrinted(job_id=f"J-{student_id}", request_id=f"R-{student_id}", student_id=student_id, npsn=NPSN,
                          unit_id="unit-1", card_serial="C-1", printed_at=now(), version=1)
    return new_event("printing", data, subject=f"J-{student_id}")


def certificate_issued(student_id: str):
    data = ev.CertificateIssued(certificate_id=f"SK-{student_id}", request_id=f"R-{student_id}",
                                student_id=student_id, npsn=NPSN, unit_id="unit-1", issued_at=now(),
                                valid_until=today() + dt.timedelta(days=182), version=1)
    return new_event("printing", data, subject=f"SK-{student_id}")


def enrollment_rejected(student_id: str, category: str = "data_mismatch"):
    data = ev.StudentEnrollmentRejected(student_id=student_id, npsn=NPSN, nik_masked="3603********0001",
                                        reason_category=category, reason="synthetic", rejected_at=now(), version=1)
    return new_event("enrollment", data, subject=student_id)


def stock_low(remaining: int = 3):
    data = ev.StockLow(unit_id="unit-1", remaining=remaining, threshold=20, at=now(), version=1)
    return new_event("printing", data, subject="unit-1")


async def publish(url: str, topology, *events: Any) -> None:
    """Publish as the producing services would: persistent, with confirms, to the right exchange."""
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        for event in events:
            exchange = await channel.get_exchange(topology.exchange_name(exchange_of(event.routing_key)))
            await exchange.publish(
                aio_pika.Message(event.to_json(), message_id=event.id, content_type="application/cloudevents+json",
                                 delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                routing_key=event.routing_key, mandatory=True,
            )


async def eventually(predicate, timeout: float = 30.0, interval: float = 0.1):
    async with asyncio.timeout(timeout):
        while not (result := await predicate()):
            await asyncio.sleep(interval)
    return result
