"""Mapping domain objects to MongoDB documents and to event data."""

from __future__ import annotations

import datetime as dt
from typing import Any

from shared.events import models as ev

from ..domain.closure import Closure
from ..domain.school import School
from ..domain.unit import MobileUnit
from ..domain.visit import Visit


def school_doc(school: School) -> dict[str, Any]:
    return school.model_dump(mode="json")


def school_from(doc: dict[str, Any]) -> School:
    return School.model_validate({k: v for k, v in doc.items() if k in School.model_fields})


def school_event_data(school: School, version: int, model: type) -> ev.SchoolData:
    contact = None
    if school.contact is not None:
        contact = ev.SchoolContact(name=school.contact.name, phone=school.contact.office_phone,
                                   email=school.contact.email)
    return model(
        npsn=school.npsn, name=school.name, kind=school.kind.value, status=school.ownership.value,
        kecamatan=school.kecamatan, address=school.address,
        latitude=school.coordinates.lat if school.coordinates else None,
        longitude=school.coordinates.lon if school.coordinates else None,
        contact=contact, version=version,
    )


def unit_doc(unit: MobileUnit) -> dict[str, Any]:
    doc = unit.model_dump(mode="json")
    doc["working_days"] = sorted(unit.working_days)
    return doc


def unit_from(doc: dict[str, Any]) -> MobileUnit:
    return MobileUnit.model_validate({k: v for k, v in doc.items() if k in MobileUnit.model_fields})


def closure_from(doc: dict[str, Any]) -> Closure:
    return Closure.model_validate({k: v for k, v in doc.items() if k in Closure.model_fields})


def clock(t: dt.time) -> str:
    return t.strftime("%H:%M")


def visit_doc(v: Visit) -> dict[str, Any]:
    doc = v.model_dump(mode="json")
    doc["_id"] = doc.pop("visit_id")
    doc["session_start"] = clock(v.start)
    doc["session_end"] = clock(v.end)
    return doc


def visit_from(doc: dict[str, Any]) -> Visit:
    fields = {k: v for k, v in doc.items() if k in Visit.model_fields}
    fields["visit_id"] = doc["_id"]
    if "start" not in fields:  # a visit scheduled by hand: only its clock times are stored
        fields["start"] = doc["session_start"]
        fields["end"] = doc["session_end"]
        fields.setdefault("session", "full_day")
    return Visit.model_validate(fields)


def _visit_common(v: Visit) -> dict[str, Any]:
    return dict(visit_id=v.visit_id, plan_id=v.plan_id, npsn=v.npsn, school_name=v.school_name,
                kecamatan=v.kecamatan, unit_id=v.unit_id, date=v.date, session_start=clock(v.start),
                session_end=clock(v.end), expected_students=v.expected_students,
                catch_up=v.catch_up_of is not None, version=v.version)


def scheduled_data(v: Visit) -> ev.VisitScheduled:
    return ev.VisitScheduled(**_visit_common(v))


def rescheduled_data(v: Visit, previous_date: dt.date, reason: str) -> ev.VisitRescheduled:
    return ev.VisitRescheduled(**_visit_common(v), previous_date=previous_date, reason=reason[:200])


def cancelled_data(v: Visit, reason: str) -> ev.VisitCancelled:
    return ev.VisitCancelled(visit_id=v.visit_id, npsn=v.npsn, unit_id=v.unit_id, date=v.date,
                             reason=reason[:200], version=v.version)


def started_data(v: Visit) -> ev.VisitStarted:
    return ev.VisitStarted(visit_id=v.visit_id, npsn=v.npsn, unit_id=v.unit_id, date=v.date,
                           started_at=v.started_at, version=v.version)


def completed_data(v: Visit) -> ev.VisitCompleted:
    return ev.VisitCompleted(visit_id=v.visit_id, npsn=v.npsn, unit_id=v.unit_id, date=v.date,
                             completed_at=v.completed_at, recorded=v.recorded or 0, absent=v.absent or 0,
                             version=v.version)
