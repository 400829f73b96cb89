"""From the public event models to this service's views, contacts and outgoing events."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any

from shared.envelope import CloudEvent
from shared.events import models as ev
from shared.events import new_event

from .domain.contacts import normalise_phone
from .domain.delivery import Delivery, NotificationFailed, NotificationSent
from .domain.timing import JAKARTA
from .domain.views import (
    CardPrintedView,
    CertificateIssuedView,
    EnrollmentRejectedView,
    RejectionCategory,
    StockLowView,
    StudentRecordedView,
    VisitView,
)

SERVICE = "notifications"


def _clock(value: str | None, default: time | None = None) -> time | None:
    if not value:
        return default
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def local_date(moment: datetime) -> date:
    return moment.astimezone(JAKARTA).date()


def visit_view(copy: dict[str, Any], school_name: str | None = None) -> VisitView:
    """A visit as kept in this service's `visits` collection (fields of VisitData)."""
    return VisitView(
        visit_id=copy["_id"] if "_id" in copy else copy["visit_id"],
        school_id=copy["npsn"],
        school_name=copy.get("school_name") or school_name or f"NPSN {copy['npsn']}",
        visit_date=date.fromisoformat(str(copy["date"])),
        start_time=_clock(copy.get("session_start"), time(8, 0)),
        end_time=_clock(copy.get("session_end")),
        unit_name=copy.get("unit_id"),
    )


def visit_fields(data: ev.VisitData) -> dict[str, Any]:
    return data.model_dump(mode="json", exclude={"version"})


def student_fields(data: ev.StudentContactUpdated) -> dict[str, Any]:
    """What the directory keeps of a contact: no names, phones as E.164, opt-outs."""
    def phone(value: str | None) -> str | None:
        if not value:
            return None
        try:
            return normalise_phone(value)
        except ValueError:
            return None

    guardians = []
    if data.guardian is not None and phone(data.guardian.phone):
        guardians.append({"guardian_id": "guardian", "phone": phone(data.guardian.phone)})
    return {
        "npsn": data.npsn,
        "phone": phone(data.phone),
        "language": data.language,
        "is_minor": data.is_minor,
        "guardians": guardians,
        "opted_out": list(data.opted_out),
    }


def recorded_view(data: ev.StudentRecorded, school_name: str) -> StudentRecordedView:
    return StudentRecordedView(student_id=data.student_id, school_name=school_name,
                               recorded_on=local_date(data.recorded_at))


def card_printed_view(data: ev.CardPrinted, school_name: str) -> CardPrintedView:
    return CardPrintedView(student_id=data.student_id, school_name=school_name, printed_on=local_date(data.printed_at))


def certificate_view(data: ev.CertificateIssued, school_name: str) -> CertificateIssuedView:
    return CertificateIssuedView(student_id=data.student_id, school_name=school_name,
                                 issued_on=local_date(data.issued_at), valid_until=data.valid_until)


def rejected_view(data: ev.StudentEnrollmentRejected, school_name: str, office_address: str | None,
                  office_hours: str | None) -> EnrollmentRejectedView:
    try:
        category = RejectionCategory(data.reason_category)
    except ValueError:
        category = RejectionCategory.OTHER
    return EnrollmentRejectedView(student_id=data.student_id, school_name=school_name, category=category,
                                  office_address=office_address, office_hours=office_hours)


def stock_view(data: ev.StockLow) -> StockLowView:
    return StockLowView(unit_id=data.unit_id, unit_name=data.unit_id, remaining=data.remaining,
                        threshold=data.threshold, as_of=data.at)


def recipient_ref(recipient_id: str) -> str:
    """Pseudonymous: the NPSN, the student id (also for a guardian), or 'operations'."""
    kind, _, rest = recipient_id.partition(":")
    if kind == "operations":
        return "operations"
    if kind == "guardian":
        return rest.rsplit(":", 1)[0]
    return rest or recipient_id


def _uuid_or_none(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        uuid.UUID(value)
    except ValueError:
        return None
    return value


def outgoing_event(delivery: Delivery, outcome: NotificationSent | NotificationFailed, version: int) -> CloudEvent:
    common = {
        "delivery_id": delivery.delivery_id,
        "cause_event_id": delivery.cause_event_id,
        "cause_type": delivery.cause_type or "unknown",
        "channel": delivery.channel.value,
        "recipient_kind": delivery.recipient_kind.value,
        "recipient_ref": recipient_ref(delivery.recipient_id),
        "version": version,
    }
    if isinstance(outcome, NotificationSent):
        data: Any = ev.NotificationSent(**common, sent_at=outcome.sent_at)
    else:
        data = ev.NotificationFailed(**common, reason=outcome.reason[:200], attempts=outcome.attempts,
                                     failed_at=outcome.failed_at)
    return new_event(SERVICE, data, subject=delivery.delivery_id,
                     causationid=_uuid_or_none(delivery.cause_event_id),
                     correlationid=delivery.correlation_id)
