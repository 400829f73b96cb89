"""Re-planning after a change (a unit unavailable, a school closed, counts changed) and
catch-up visits.

Stability first: started and past visits never move; a future scheduled visit stays where it
is while it is still valid. Only the visits the change breaks are moved (to the earliest free
session after today, consecutive days on one unit where possible), shrunk or dropped when
fewer students remain, and new visits are added when more students are ready. The result
lists every moved visit with its previous date and the reason, so each can be announced
(``visit.rescheduled`` / ``visit.cancelled``).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict

from .calendar import ProgrammeCalendar
from .planner import PLAN_NAMESPACE, PlannerSettings
from .school import School
from .unit import MobileUnit
from .visit import Visit, VisitStatus
from .visit_plan import Session


class MovedVisit(BaseModel):
    model_config = ConfigDict(frozen=True)

    visit: Visit
    previous_date: date
    previous_unit_id: str
    reason: str


class DroppedVisit(BaseModel):
    model_config = ConfigDict(frozen=True)

    visit: Visit
    reason: str


class ResizedVisit(BaseModel):
    model_config = ConfigDict(frozen=True)

    visit: Visit
    previous_expected: int
    reason: str


class ReplanResult(BaseModel):
    moved: list[MovedVisit] = []
    dropped: list[DroppedVisit] = []
    resized: list[ResizedVisit] = []
    added: list[Visit] = []
    unchanged: int = 0
    unplaced: dict[str, int] = {}

    @property
    def changed(self) -> bool:
        return bool(self.moved or self.dropped or self.resized or self.added)


@dataclass(slots=True)
class _Day:
    used: int = 0
    visits: list[tuple[str, str, Session]] = field(default_factory=list)  # npsn, kecamatan key, session


class Occupancy:
    """Which sessions of which unit days are taken, and how many students each day holds."""

    def __init__(self, units: Sequence[MobileUnit], settings: PlannerSettings) -> None:
        self.units = {u.unit_id: u for u in units}
        self.settings = settings
        self.days: dict[tuple[str, date], _Day] = defaultdict(_Day)

    def add(self, v: Visit) -> None:
        d = self.days[(v.unit_id, v.date)]
        d.used += v.expected_students
        d.visits.append((v.npsn, _key(v.kecamatan), v.session))

    def fits(self, v: Visit) -> bool:
        unit = self.units.get(v.unit_id)
        if unit is None:
            return False
        d = self.days.get((v.unit_id, v.date))
        if d is None or not d.visits:
            return v.expected_students <= unit.recording_capacity
        taken = {s for _, _, s in d.visits}
        if Session.FULL_DAY in taken or v.session is Session.FULL_DAY or v.session in taken:
            return False
        return d.used + v.expected_students <= unit.recording_capacity

    def free_slot(self, unit: MobileUnit, day: date, npsn: str, kecamatan: str) -> tuple[Session, int] | None:
        """The session this school could take on that unit day, and the room left."""
        d = self.days.get((unit.unit_id, day))
        if d is None or not d.visits:
            return Session.FULL_DAY, unit.recording_capacity
        if len(d.visits) >= 2 or d.used >= unit.recording_capacity:
            return None
        other_npsn, other_kec, other_session = d.visits[0]
        if other_npsn == npsn or other_session is Session.FULL_DAY:
            return None
        if other_kec != _key(kecamatan) and not self.settings.share_across_kecamatan:
            return None
        session = Session.AFTERNOON if other_session is Session.MORNING else Session.MORNING
        room = unit.recording_capacity - d.used
        if room < self.settings.min_split_students:
            return None
        return session, room


def place_students(
    occupancy: Occupancy,
    school: School,
    students: int,
    calendar: ProgrammeCalendar,
    after: date,
    *,
    horizon_days: int = 120,
) -> list[tuple[str, date, Session, int]]:
    """Earliest free sessions for ``students`` of one school after ``after``; the first unit
    found keeps the school on consecutive days while it has free days. Reserves them."""
    out: list[tuple[str, date, Session, int]] = []
    left = students
    prefer: str | None = None
    day = after
    working_seen = 0
    units = sorted(occupancy.units.values(), key=lambda u: u.unit_id)
    while left > 0 and working_seen < horizon_days:
        day += timedelta(days=1)
        if not calendar.is_working_day(day):
            continue
        working_seen += 1
        if calendar.school_closed(school.npsn, school.kecamatan, day):
            continue
        order = sorted(units, key=lambda u: u.unit_id != prefer)
        for unit in order:
            if not unit.works_on(day):
                continue
            slot = occupancy.free_slot(unit, day, school.npsn, school.kecamatan)
            if slot is None:
                continue
            session, room = slot
            take = min(left, room)
            out.append((unit.unit_id, day, session, take))
            d = occupancy.days[(unit.unit_id, day)]
            d.used += take
            d.visits.append((school.npsn, _key(school.kecamatan), session))
            left -= take
            prefer = unit.unit_id
            break
    return out


def replan(
    visits: Sequence[Visit],
    schools: Sequence[School],
    units: Sequence[MobileUnit],
    calendar: ProgrammeCalendar,
    *,
    today: date,
    reason: str,
    settings: PlannerSettings = PlannerSettings(),
    horizon_days: int = 120,
) -> ReplanResult:
    """Repair the programme after a change. ``today`` is the Jakarta date; visits on or before
    it, and any visit that is not scheduled, stay as they are."""
    school_by = {s.npsn: s for s in schools}
    unit_by = {u.unit_id: u for u in units}
    occupancy = Occupancy(units, settings)
    result = ReplanResult()
    covered: dict[str, int] = defaultdict(int)
    broken: dict[str, list[Visit]] = defaultdict(list)
    valid: dict[str, list[Visit]] = defaultdict(list)
    broken_catch_up: list[Visit] = []

    for v in sorted(visits, key=lambda v: (v.date, v.session != Session.MORNING, v.visit_id)):
        if v.status is VisitStatus.CANCELLED:
            continue
        # A visit that took place (or is under way) covers its planned share; students it left
        # are the catch-up rule's business, and catch-up visits are extra to the ready count.
        extra = v.catch_up_of is not None
        if v.status is VisitStatus.COMPLETED or v.status is VisitStatus.STARTED or v.date <= today:
            if not extra:
                covered[v.npsn] += v.expected_students
            occupancy.add(v)
            continue
        # a future scheduled visit: keep it if it is still valid
        school = school_by.get(v.npsn)
        unit = unit_by.get(v.unit_id)
        if school is None:
            # a visit for a school this programme does not manage (scheduled by hand): left alone
            occupancy.add(v)
        elif (
            unit is None
            or not unit.works_on(v.date)
            or not calendar.can_visit(v.npsn, school.kecamatan, v.date)
            or not occupancy.fits(v)
        ):
            broken[v.npsn].append(v)
        else:
            occupancy.add(v)
            if not extra:
                valid[v.npsn].append(v)
            continue
        if extra and school is not None and v in broken[v.npsn]:
            broken[v.npsn].remove(v)
            broken_catch_up.append(v)

    npsns = sorted(set(broken) | set(valid) | {s.npsn for s in schools},
                   key=lambda n: (min((v.date for v in broken.get(n, [])), default=date.max), n))
    for npsn in npsns:
        school = school_by.get(npsn)
        if school is None:
            continue
        outstanding = max(0, school.ready_students - covered[npsn])
        kept = valid.get(npsn, [])
        need = outstanding - sum(v.expected_students for v in kept)
        # fewer students than planned: shrink, then drop, the latest visits
        for v in sorted(kept, key=lambda v: v.date, reverse=True):
            if need >= 0:
                break
            cut = min(v.expected_students, -need)
            need += cut
            occ = occupancy.days[(v.unit_id, v.date)]
            occ.used -= cut
            if cut == v.expected_students:
                result.dropped.append(DroppedVisit(visit=v.cancel(f"{reason}: no students left for this visit"),
                                                   reason=reason))
                occ.visits = [x for x in occ.visits if not (x[0] == v.npsn and x[2] == v.session)]
            else:
                result.resized.append(ResizedVisit(
                    visit=v.reschedule(day=v.date, unit_id=v.unit_id, session=v.session, start=v.start,
                                       end=v.end, expected_students=v.expected_students - cut),
                    previous_expected=v.expected_students, reason=reason))
        old = sorted(broken.get(npsn, []), key=lambda v: v.date)
        if need <= 0:
            for v in old:
                result.dropped.append(DroppedVisit(visit=v.cancel(f"{reason}: no longer needed"), reason=reason))
            continue
        slots = place_students(occupancy, school, need, calendar, today, horizon_days=horizon_days)
        placed = sum(s[3] for s in slots)
        if placed < need:
            result.unplaced[npsn] = need - placed
        for i, (unit_id, day, session, count) in enumerate(slots):
            window = settings.sessions.window(session)
            if i < len(old):
                prev = old[i]
                moved = prev.reschedule(day=day, unit_id=unit_id, session=session, start=window[0],
                                        end=window[1], expected_students=count)
                result.moved.append(MovedVisit(visit=moved, previous_date=prev.date,
                                               previous_unit_id=prev.unit_id, reason=reason))
            else:
                plan_id = old[0].plan_id if old else (kept[0].plan_id if kept else "replan")
                vid = str(uuid.uuid5(PLAN_NAMESPACE, f"{plan_id}/{npsn}/{day}/{unit_id}/{session}"))
                result.added.append(Visit(visit_id=vid, plan_id=plan_id, npsn=npsn, school_name=school.name,
                                          kecamatan=school.kecamatan, unit_id=unit_id, date=day, session=session,
                                          start=window[0], end=window[1], expected_students=count))
        why = "no longer needed" if placed >= need else f"no free day within {horizon_days} working days"
        for v in old[len(slots):]:
            result.dropped.append(DroppedVisit(visit=v.cancel(f"{reason}: {why}"), reason=reason))
    for v in broken_catch_up:
        school = school_by[v.npsn]
        slots = place_students(occupancy, school, v.expected_students, calendar, today, horizon_days=horizon_days)
        if not slots:
            result.dropped.append(DroppedVisit(
                visit=v.cancel(f"{reason}: no free day within {horizon_days} working days"), reason=reason))
            result.unplaced[v.npsn] = result.unplaced.get(v.npsn, 0) + v.expected_students
            continue
        for i, (unit_id, day, session, count) in enumerate(slots):
            window = settings.sessions.window(session)
            if i == 0:
                moved = v.reschedule(day=day, unit_id=unit_id, session=session, start=window[0], end=window[1],
                                     expected_students=count)
                result.moved.append(MovedVisit(visit=moved, previous_date=v.date, previous_unit_id=v.unit_id,
                                               reason=reason))
            else:
                vid = str(uuid.uuid5(PLAN_NAMESPACE, f"catch-up/{v.catch_up_of}/{day}/{unit_id}/{session}"))
                result.added.append(Visit(visit_id=vid, plan_id=v.plan_id, npsn=v.npsn, school_name=v.school_name,
                                          kecamatan=v.kecamatan, unit_id=unit_id, date=day, session=session,
                                          start=window[0], end=window[1], expected_students=count,
                                          catch_up_of=v.catch_up_of))
        placed = sum(x[3] for x in slots)
        if placed < v.expected_students:
            result.unplaced[v.npsn] = result.unplaced.get(v.npsn, 0) + v.expected_students - placed
    changed = {x.visit.visit_id for x in (*result.dropped, *result.resized)}
    result.unchanged = sum(1 for vs in valid.values() for v in vs if v.visit_id not in changed)
    return result


def plan_catch_up(
    completed: Visit,
    school: School,
    visits: Sequence[Visit],
    units: Sequence[MobileUnit],
    calendar: ProgrammeCalendar,
    *,
    threshold: int,
    settings: PlannerSettings = PlannerSettings(),
    horizon_days: int = 60,
) -> list[Visit]:
    """Catch-up visit(s) for the students a completed visit left, when more than ``threshold``.

    Placed in the earliest free sessions after the completed visit's date.
    """
    if not completed.needs_catch_up(threshold):
        return []
    occupancy = Occupancy(units, settings)
    for v in visits:
        if v.status is not VisitStatus.CANCELLED:
            occupancy.add(v)
    slots = place_students(occupancy, school, completed.leftover, calendar, completed.date,
                           horizon_days=horizon_days)
    out = []
    for unit_id, day, session, count in slots:
        window = settings.sessions.window(session)
        vid = str(uuid.uuid5(PLAN_NAMESPACE, f"catch-up/{completed.visit_id}/{day}/{unit_id}/{session}"))
        out.append(Visit(visit_id=vid, plan_id=completed.plan_id, npsn=school.npsn, school_name=school.name,
                         kecamatan=school.kecamatan, unit_id=unit_id, date=day, session=session,
                         start=window[0], end=window[1], expected_students=count,
                         catch_up_of=completed.visit_id))
    return out


def _key(kecamatan: str) -> str:
    return " ".join(kecamatan.split()).casefold()
