"""The figures of the operations page, built from the projections (pure: no I/O).

Every figure is a count of distinct students or of events the dashboard has seen on
``jemput.events``. What a public subscriber cannot know is listed in ``Overview.unknowns``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field

from .facts import OPEN_STATUSES
from .stock import StockReport, StockView, stock_view

TargetSource = Literal["roster", "visits", "none"]

UNKNOWNS = (
    "Blank stock: deliveries, spoiled blanks and write-offs are not public events; a unit's level is "
    "known only from its last stock.low, minus the cards printed since.",
    "Handover per unit: card.handed_over does not name the unit.",
    "Absent students: only the counts in visit.completed (per visit), not who.",
    "Students already holding a KTP-el: counted by roster.verified, never recorded or printed here.",
)


class SchoolProgress(BaseModel):
    npsn: str
    name: str
    kind: str | None = None
    kecamatan: str | None = None
    target: int
    target_source: TargetSource
    roster_total: int | None = None
    already_recorded: int | None = Field(None, description="already held a KTP-el record before the programme")
    recorded: int = 0
    printed: int = 0
    handed_over: int = 0
    certificates: int = 0
    absent: int = 0
    visits_completed: int = 0
    visits_open: int = 0


class DayProgress(BaseModel):
    day: dt.date
    recorded: int = 0
    printed: int = 0
    handed_over: int = 0
    certificates: int = 0


class UnitProgress(BaseModel):
    unit_id: str
    visits_completed: int = 0
    visits_open: int = 0
    recorded: int = 0
    printed: int = Field(0, description="students whose card this unit printed")
    cards_printed: int = Field(0, description="blanks used: cards including reprints")
    reprints: int = 0
    certificates: int = 0
    stock: StockView


class VisitRow(BaseModel):
    visit_id: str
    date: dt.date
    status: str
    npsn: str
    school_name: str
    unit_id: str
    session_start: str | None = None
    session_end: str | None = None
    expected_students: int | None = None
    catch_up: bool = False
    previous_date: dt.date | None = None
    reason: str | None = None


class QueueDepth(BaseModel):
    queue: str
    depth: int | None = None
    dlq: str
    dlq_depth: int | None = None
    error: str | None = Field(None, description="why a depth could not be read")


class Totals(BaseModel):
    schools: int = 0
    target: int = 0
    recorded: int = 0
    printed: int = 0
    handed_over: int = 0
    certificates: int = 0
    absent: int = 0
    roster_total: int = 0
    already_recorded: int = 0


class Overview(BaseModel):
    generated_at: dt.datetime
    timezone: str
    totals: Totals
    schools: list[SchoolProgress]
    days: list[DayProgress]
    units: list[UnitProgress]
    visit_counts: dict[str, int]
    upcoming_visits: list[VisitRow]
    queues: list[QueueDepth]
    dlq_total: int | None = Field(None, description="messages in all DLQs; null when a DLQ could not be read")
    unknowns: list[str] = Field(default_factory=lambda: list(UNKNOWNS))


@dataclass
class Projections:
    """What the repository reads, in plain shapes."""

    schools: list[dict[str, Any]] = field(default_factory=list)
    rosters: list[dict[str, Any]] = field(default_factory=list)  # every roster.verified kept
    visits: list[dict[str, Any]] = field(default_factory=list)
    students_by_school: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (kind, npsn) -> students
    students_by_unit: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (kind, unit) -> students
    events_by_unit: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (kind, unit) -> events
    reprints_by_unit: Mapping[str, int] = field(default_factory=dict)
    by_day: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (kind, day) -> events, no reprints
    stock: list[StockReport] = field(default_factory=list)


def latest_rosters(rosters: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per school, the roster verified last (a school's roster may be imported again)."""
    out: dict[str, dict[str, Any]] = {}
    for roster in rosters:
        held = out.get(roster["npsn"])
        if held is None or (roster["verified_at"], roster["roster_id"]) > (held["verified_at"], held["roster_id"]):
            out[roster["npsn"]] = roster
    return out


def school_progress(p: Projections) -> list[SchoolProgress]:
    schools = {s["_id"]: s for s in p.schools}
    rosters = latest_rosters(p.rosters)
    visits_by_school: dict[str, list[dict[str, Any]]] = {}
    for visit in p.visits:
        visits_by_school.setdefault(visit["npsn"], []).append(visit)
    npsns = set(schools) | set(rosters) | set(visits_by_school) | {n for _, n in p.students_by_school}
    rows = []
    for npsn in sorted(npsns):
        school, roster, visits = schools.get(npsn, {}), rosters.get(npsn), visits_by_school.get(npsn, [])
        name = school.get("name") or next((v["school_name"] for v in visits if v.get("school_name")), None)
        if roster is not None:
            target, source = roster["ready_to_record"], "roster"
        else:
            planned = [v.get("expected_students") for v in visits
                       if v.get("status") != "cancelled" and not v.get("catch_up")
                       and v.get("expected_students") is not None]
            target, source = (sum(planned), "visits") if planned else (0, "none")
        rows.append(SchoolProgress(
            npsn=npsn, name=name or f"NPSN {npsn}", kind=school.get("kind"), kecamatan=school.get("kecamatan")
            or next((v["kecamatan"] for v in visits if v.get("kecamatan")), None),
            target=target, target_source=source,
            roster_total=roster["total"] if roster else None,
            already_recorded=roster["already_recorded"] if roster else None,
            recorded=p.students_by_school.get(("recorded", npsn), 0),
            printed=p.students_by_school.get(("printed", npsn), 0),
            handed_over=p.students_by_school.get(("handed_over", npsn), 0),
            certificates=p.students_by_school.get(("certificate", npsn), 0),
            absent=sum(v.get("absent") or 0 for v in visits if v.get("status") == "completed"),
            visits_completed=sum(v.get("status") == "completed" for v in visits),
            visits_open=sum(v.get("status") in OPEN_STATUSES for v in visits),
        ))
    return rows


def day_progress(by_day: Mapping[tuple[str, str], int]) -> list[DayProgress]:
    days: dict[str, DayProgress] = {}
    columns = {"recorded": "recorded", "printed": "printed", "handed_over": "handed_over",
               "certificate": "certificates"}
    for (kind, day), count in by_day.items():
        row = days.setdefault(day, DayProgress(day=dt.date.fromisoformat(day)))
        setattr(row, columns[kind], count)
    return [days[d] for d in sorted(days)]


def unit_progress(p: Projections) -> list[UnitProgress]:
    reports = {r.unit_id: r for r in p.stock}
    units = ({v["unit_id"] for v in p.visits} | {u for _, u in p.students_by_unit} | {u for _, u in p.events_by_unit}
             | set(reports))
    rows = []
    for unit in sorted(units):
        visits = [v for v in p.visits if v["unit_id"] == unit]
        rows.append(UnitProgress(
            unit_id=unit,
            visits_completed=sum(v.get("status") == "completed" for v in visits),
            visits_open=sum(v.get("status") in OPEN_STATUSES for v in visits),
            recorded=p.students_by_unit.get(("recorded", unit), 0),
            printed=p.students_by_unit.get(("printed", unit), 0),
            cards_printed=p.events_by_unit.get(("printed", unit), 0),
            reprints=p.reprints_by_unit.get(unit, 0),
            certificates=p.students_by_unit.get(("certificate", unit), 0),
            stock=stock_view(unit, reports.get(unit)),
        ))
    return rows


def upcoming(visits: Iterable[dict[str, Any]], school_names: Mapping[str, str], *, since: dt.date | None,
             limit: int) -> list[VisitRow]:
    """Open visits (scheduled, rescheduled, in progress), earliest first; from ``since`` if given."""
    rows = []
    for v in visits:
        if v.get("status") not in OPEN_STATUSES or "date" not in v:
            continue
        date = dt.date.fromisoformat(v["date"])
        if since is not None and date < since:
            continue
        rows.append(VisitRow(
            visit_id=v["_id"], date=date, status=v["status"], npsn=v["npsn"],
            school_name=v.get("school_name") or school_names.get(v["npsn"]) or f"NPSN {v['npsn']}",
            unit_id=v["unit_id"], session_start=v.get("session_start"), session_end=v.get("session_end"),
            expected_students=v.get("expected_students"), catch_up=bool(v.get("catch_up")),
            previous_date=dt.date.fromisoformat(v["previous_date"]) if v.get("previous_date") else None,
            reason=v.get("reason") if v.get("status") == "rescheduled" else None,
        ))
    rows.sort(key=lambda r: (r.date, r.session_start or "", r.school_name, r.visit_id))
    return rows[:limit]


def totals(schools: list[SchoolProgress]) -> Totals:
    return Totals(
        schools=len(schools),
        target=sum(s.target for s in schools), recorded=sum(s.recorded for s in schools),
        printed=sum(s.printed for s in schools), handed_over=sum(s.handed_over for s in schools),
        certificates=sum(s.certificates for s in schools), absent=sum(s.absent for s in schools),
        roster_total=sum(s.roster_total or 0 for s in schools),
        already_recorded=sum(s.already_recorded or 0 for s in schools),
    )


def build_overview(p: Projections, queues: list[QueueDepth], *, now: dt.datetime, timezone: str,
                   since: dt.date | None = None, upcoming_limit: int = 20) -> Overview:
    schools = school_progress(p)
    counts: dict[str, int] = {}
    for v in p.visits:
        counts[v.get("status", "unknown")] = counts.get(v.get("status", "unknown"), 0) + 1
    dlq_depths = [q.dlq_depth for q in queues]
    return Overview(
        generated_at=now, timezone=timezone, totals=totals(schools), schools=schools,
        days=day_progress(p.by_day), units=unit_progress(p), visit_counts=dict(sorted(counts.items())),
        upcoming_visits=upcoming(p.visits, {s.npsn: s.name for s in schools}, since=since, limit=upcoming_limit),
        queues=queues,
        dlq_total=None if any(d is None for d in dlq_depths) else sum(d for d in dlq_depths if d is not None),
    )
