"""Checks every plan must pass (used by tests and before a plan is committed)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from .calendar import ProgrammeCalendar
from .school import School
from .unit import MobileUnit
from .visit_plan import PlannedVisit, Session


def plan_violations(
    visits: Iterable[PlannedVisit],
    schools: Sequence[School],
    units: Sequence[MobileUnit],
    calendar: ProgrammeCalendar,
    *,
    same_kecamatan_only: bool = False,
    expect_full_coverage: bool = True,
) -> list[str]:
    """Every rule a plan breaks, as readable sentences (empty: the plan is sound)."""
    problems: list[str] = []
    unit_by_id = {u.unit_id: u for u in units}
    school_by_npsn = {s.npsn: s for s in schools}
    per_unit_day: dict[tuple[str, object], list[PlannedVisit]] = defaultdict(list)
    covered: dict[str, int] = defaultdict(int)
    for v in visits:
        unit = unit_by_id.get(v.unit_id)
        school = school_by_npsn.get(v.npsn)
        if unit is None:
            problems.append(f"visit {v.visit_id}: unknown unit {v.unit_id}")
            continue
        if school is None:
            problems.append(f"visit {v.visit_id}: unknown school {v.npsn}")
            continue
        if v.expected_students <= 0:
            problems.append(f"visit {v.visit_id}: no students expected")
        if not calendar.is_working_day(v.date):
            problems.append(f"visit {v.visit_id}: {v.date} is not a working day "
                            f"({calendar.holiday_name(v.date) or 'outside the working week'})")
        if calendar.school_closed(v.npsn, school.kecamatan, v.date):
            problems.append(f"visit {v.visit_id}: school {v.npsn} is closed on {v.date}")
        if not unit.works_on(v.date):
            problems.append(f"visit {v.visit_id}: unit {v.unit_id} does not work on {v.date}")
        per_unit_day[(v.unit_id, v.date)].append(v)
        covered[v.npsn] += v.expected_students
    for (unit_id, day), group in per_unit_day.items():
        cap = unit_by_id[unit_id].recording_capacity
        load = sum(v.expected_students for v in group)
        if load > cap:
            problems.append(f"unit {unit_id} on {day}: {load} students over its capacity {cap}")
        sessions = sorted(v.session.value for v in group)
        if len(group) > 2:
            problems.append(f"unit {unit_id} on {day}: {len(group)} visits, at most two sessions")
        elif len(group) == 2 and sessions != [Session.AFTERNOON.value, Session.MORNING.value]:
            problems.append(f"unit {unit_id} on {day}: two visits must be morning and afternoon")
        elif len(group) == 2 and same_kecamatan_only:
            kec = {school_by_npsn[v.npsn].kecamatan.casefold() for v in group}
            if len(kec) > 1:
                problems.append(f"unit {unit_id} on {day}: shared by two kecamatan")
    if expect_full_coverage:
        for s in schools:
            if covered.get(s.npsn, 0) != s.ready_students:
                problems.append(
                    f"school {s.npsn}: {covered.get(s.npsn, 0)} students planned, {s.ready_students} ready"
                )
    return problems
