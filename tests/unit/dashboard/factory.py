"""Synthetic public events for the dashboard's unit tests (no personal data: pseudonymous ids)."""

from __future__ import annotations

import datetime as dt
from datetime import UTC

from shared.events import models as ev

T0 = dt.datetime(2026, 5, 6, 2, 0, tzinfo=UTC)  # 09:00 in Jakarta


def recorded(student: str, npsn: str = "20600001", unit: str = "unit-1", at: dt.datetime = T0, version: int = 1):
    return ev.StudentRecorded(student_id=student, npsn=npsn, visit_id="V-1", unit_id=unit,
                              nik_masked="3603********0001", recorded_at=at, version=version)


def printed(student: str, npsn: str = "20600001", unit: str = "unit-1", at: dt.datetime = T0, reprint: bool = False,
            job: str | None = None, version: int = 2):
    return ev.CardPrinted(job_id=job or f"J-{student}", request_id=f"R-{student}", student_id=student, npsn=npsn,
                          unit_id=unit, visit_id="V-1", card_serial=f"BLK-{student}-{version}", reprint=reprint,
                          printed_at=at, version=version)


def handed_over(student: str, npsn: str = "20600001", at: dt.datetime = T0):
    return ev.CardHandedOver(job_id=f"J-{student}", student_id=student, npsn=npsn, card_serial=f"BLK-{student}",
                             handed_over_at=at, handed_over_by="op-1", version=3)


def certificate(student: str, npsn: str = "20600001", unit: str = "unit-1", at: dt.datetime = T0):
    return ev.CertificateIssued(certificate_id=f"SK-{student}", request_id=f"R-{student}", student_id=student,
                                npsn=npsn, unit_id=unit, issued_at=at, valid_until=dt.date(2026, 11, 6), version=2)


def visit(kind: str, visit_id: str = "V-1", version: int = 1, npsn: str = "20600001", unit: str = "unit-1",
          date: dt.date = dt.date(2026, 5, 6), **extra):
    base = dict(visit_id=visit_id, npsn=npsn, unit_id=unit, date=date, version=version)
    if kind in {"scheduled", "rescheduled"}:
        base.update(plan_id="P-1", school_name="SMAN 1 Contoh", kecamatan="Balaraja", session_start="08:00",
                    session_end="12:00", expected_students=120)
    if kind == "rescheduled":
        base.update(previous_date=dt.date(2026, 5, 5), reason="ujian sekolah")
    if kind == "cancelled":
        base.update(reason="sekolah libur")
    if kind == "started":
        base.update(started_at=T0)
    if kind == "completed":
        base.update(completed_at=T0 + dt.timedelta(hours=4), recorded=100, absent=7)
    model = {"scheduled": ev.VisitScheduled, "rescheduled": ev.VisitRescheduled, "cancelled": ev.VisitCancelled,
             "started": ev.VisitStarted, "completed": ev.VisitCompleted}[kind]
    return model(**{**base, **extra})
