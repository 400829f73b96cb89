"""What the dashboard keeps of each public event: pure translations, no I/O.

Each event becomes one idempotent write (see ``adapters/projections.py``):

- copies of other services' aggregates (schools, visits, blank stock, a student's latest
  recording) are kept at the highest aggregate ``version`` seen (``apply_if_newer``);
- things that happened once (a card printed, a card handed over, a certificate issued, a roster
  verified) are recorded under a key derived from the event (``record_once``), so a redelivered
  message counts once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo

from shared.events import models as ev

FactKind = Literal["recorded", "printed", "handed_over", "certificate"]
VisitStatus = Literal["scheduled", "rescheduled", "in_progress", "completed", "cancelled"]
OPEN_STATUSES: tuple[VisitStatus, ...] = ("scheduled", "rescheduled", "in_progress")


def local_day(at: dt.datetime, tz: ZoneInfo) -> str:
    """The office's calendar day of an instant (ISO date): a card printed at 23:30 UTC is tomorrow in Jakarta."""
    return at.astimezone(tz).date().isoformat()


@dataclass(frozen=True)
class Fact:
    """One counted happening: the key makes it count once, whatever the deliveries."""

    key: str
    kind: FactKind
    fields: dict[str, Any]
    version: int | None = None  # set: a copy kept at the newest version (apply_if_newer); None: record once


def fact_of(data: Any, event_id: str, tz: ZoneInfo) -> Fact:
    """The fact a student or card event contributes to the figures."""
    match data:
        case ev.StudentRecorded():
            # one per student: a capture taken again (after a failed one) replaces the first
            return Fact(f"recorded:{data.student_id}", "recorded",
                        _common(data, data.recorded_at, tz, unit_id=data.unit_id, visit_id=data.visit_id),
                        version=data.version)
        case ev.CardPrinted():
            return Fact(f"printed:{event_id}", "printed",
                        _common(data, data.printed_at, tz, unit_id=data.unit_id, visit_id=data.visit_id,
                                job_id=data.job_id, reprint=data.reprint))
        case ev.CardHandedOver():
            return Fact(f"handed_over:{event_id}", "handed_over",
                        _common(data, data.handed_over_at, tz, job_id=data.job_id))
        case ev.CertificateIssued():
            return Fact(f"certificate:{data.certificate_id}", "certificate",
                        _common(data, data.issued_at, tz, unit_id=data.unit_id))
    raise TypeError(f"no dashboard fact for {type(data).__name__}")


def _common(data: Any, at: dt.datetime, tz: ZoneInfo, **extra: Any) -> dict[str, Any]:
    return {"student_id": data.student_id, "npsn": data.npsn, "at": at, "day": local_day(at, tz), **extra}


# --- visits ---------------------------------------------------------------------------------

DETAIL_FIELDS = ("plan_id", "school_name", "kecamatan", "session_start", "session_end",
                 "expected_students", "catch_up")


def visit_state(data: Any) -> tuple[VisitStatus, dict[str, Any]]:
    """A visit event's status and the fields of the visit it fixes (kept if the event is the newest)."""
    if not isinstance(data, ev.VisitData | ev.VisitCancelled | ev.VisitStarted | ev.VisitCompleted):
        raise TypeError(f"not a visit event: {type(data).__name__}")
    common = {"npsn": data.npsn, "unit_id": data.unit_id, "date": data.date.isoformat()}
    match data:
        case ev.VisitRescheduled():
            return "rescheduled", {**common, "previous_date": data.previous_date.isoformat(), "reason": data.reason}
        case ev.VisitScheduled():
            return "scheduled", common
        case ev.VisitCancelled():
            return "cancelled", {**common, "reason": data.reason}
        case ev.VisitStarted():
            return "in_progress", {**common, "started_at": data.started_at}
        case ev.VisitCompleted():
            return "completed", {**common, "completed_at": data.completed_at,
                                 "recorded": data.recorded, "absent": data.absent}
    raise TypeError(f"not a visit event: {type(data).__name__}")


def visit_details(data: ev.VisitData) -> dict[str, Any]:
    """What only ``visit.scheduled``/``visit.rescheduled`` say (school name, session, expected students).

    Kept under their own version, so a ``visit.started`` that overtook its ``visit.scheduled``
    still leaves the school name and session on the dashboard once the older event arrives.
    """
    return {name: getattr(data, name) for name in DETAIL_FIELDS}
