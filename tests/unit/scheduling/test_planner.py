import math
from datetime import date, timedelta

import pytest

from services.scheduling.domain.calendar import ProgrammeCalendar
from services.scheduling.domain.closure import Closure, ClosureReason
from services.scheduling.domain.plan_checks import plan_violations
from services.scheduling.domain.planner import PlannerSettings, PlanningError, lower_bound_days, plan_visits
from services.scheduling.domain.unit import Unavailability
from services.scheduling.domain.visit_plan import Session

from .factories import school, unit

WEDNESDAY = date(2026, 5, 6)


def test_lower_bound_is_total_over_combined_daily_capacity():
    assert lower_bound_days(3353, [unit(1), unit(2), unit(3)]) == 8
    assert lower_bound_days(0, [unit(1)]) == 0
    with pytest.raises(PlanningError):
        lower_bound_days(10, [])


def test_small_plan_meets_the_bound_and_every_rule():
    schools = [school(1, 120, "Cikupa"), school(2, 30, "Cikupa"), school(3, 100, "Legok"), school(4, 50, "Legok")]
    cal = ProgrammeCalendar()
    plan = plan_visits(schools, [unit(1)], cal, WEDNESDAY, plan_id="p1")
    assert plan_violations(plan.visits, schools, [unit(1)], cal, same_kecamatan_only=True) == []
    assert plan.lower_bound_days == 2 and plan.makespan_days == 2
    # paired inside each kecamatan: Cikupa on one day, Legok on the other
    by_day = {}
    for v in plan.visits:
        by_day.setdefault(v.date, set()).add(v.kecamatan)
    assert sorted(len(k) for k in by_day.values()) == [1, 1]
    assert {v.session for v in plan.visits} == {Session.MORNING, Session.AFTERNOON}
    assert plan.stats.schools_with_extra_days == 0


def test_large_school_gets_consecutive_days_and_sessions_have_windows():
    schools = [school(1, 420)]
    plan = plan_visits(schools, [unit(1)], ProgrammeCalendar(), date(2026, 5, 12))
    dates = [v.date for v in plan.visits]
    # 12, 13 May, then 18 May: 14 (Ascension) and 15 (cuti bersama) are holidays, 16-17 weekend
    assert dates == [date(2026, 5, 12), date(2026, 5, 13), date(2026, 5, 18)]
    assert [v.expected_students for v in plan.visits] == [150, 150, 120]
    assert plan.stats.non_consecutive_schools == 0
    assert all(v.session is Session.FULL_DAY for v in plan.visits)
    assert (plan.visits[0].start.hour, plan.visits[0].end.hour) == (8, 15)


def test_no_visit_on_a_school_closure():
    cal = ProgrammeCalendar(closures=[Closure(start=WEDNESDAY, end=WEDNESDAY + timedelta(days=1),
                                              npsn="69000001", reason=ClosureReason.EXAM)])
    schools = [school(1, 100), school(2, 100, "Legok")]
    plan = plan_visits(schools, [unit(1)], cal, WEDNESDAY)
    assert plan_violations(plan.visits, schools, [unit(1)], cal) == []
    assert [v.date for v in plan.visits if v.npsn == "69000001"] == [date(2026, 5, 8)]


def test_unavailable_unit_is_not_used_on_those_days():
    u1 = unit(1, unavailable=(Unavailability(start=WEDNESDAY, end=WEDNESDAY, reason="servis"),))
    schools = [school(1, 150), school(2, 150)]
    cal = ProgrammeCalendar()
    plan = plan_visits(schools, [u1, unit(2)], cal, WEDNESDAY)
    assert plan_violations(plan.visits, schools, [u1, unit(2)], cal) == []
    assert all(not (v.unit_id == "U1" and v.date == WEDNESDAY) for v in plan.visits)


def test_strict_kecamatan_sharing_never_mixes_kecamatan():
    schools = [school(i, 60 + i, f"Kec {i % 5}") for i in range(1, 21)]
    cal = ProgrammeCalendar()
    units = [unit(1), unit(2)]
    plan = plan_visits(schools, units, cal, WEDNESDAY, settings=PlannerSettings(share_across_kecamatan=False))
    assert plan_violations(plan.visits, schools, units, cal, same_kecamatan_only=True) == []
    assert plan.stats.cross_kecamatan_shared_days == 0


def test_plan_without_ready_students_is_empty_and_duplicates_are_refused():
    plan = plan_visits([school(1, 0)], [unit(1)], ProgrammeCalendar(), WEDNESDAY)
    assert plan.visits == [] and plan.makespan_days == 0 and plan.lower_bound_days == 0
    with pytest.raises(PlanningError, match="twice"):
        plan_visits([school(1, 5), school(1, 6)], [unit(1)], ProgrammeCalendar(), WEDNESDAY)


def test_school_closed_for_the_whole_search_window_is_reported_unplaced():
    cal = ProgrammeCalendar(closures=[Closure(start=WEDNESDAY, end=WEDNESDAY + timedelta(days=400), npsn="69000002")])
    schools = [school(1, 50), school(2, 40)]
    plan = plan_visits(schools, [unit(1)], cal, WEDNESDAY, settings=PlannerSettings(max_extra_days=5))
    assert [u.npsn for u in plan.unplaced] == ["69000002"]
    assert plan.unplaced[0].students == 40
    assert sum(v.expected_students for v in plan.visits) == 50


def test_plan_ids_are_deterministic_for_a_plan_id():
    schools = [school(i, 40 + 7 * i, f"Kec {i % 3}") for i in range(1, 10)]
    a = plan_visits(schools, [unit(1), unit(2)], ProgrammeCalendar(), WEDNESDAY, plan_id="same")
    b = plan_visits(schools, [unit(1), unit(2)], ProgrammeCalendar(), WEDNESDAY, plan_id="same")
    assert [v.visit_id for v in a.visits] == [v.visit_id for v in b.visits]
    assert len({v.visit_id for v in a.visits}) == len(a.visits)


def test_tangerang_shape_reaches_the_lower_bound_when_schools_pair_up():
    # 47 schools, 3,353 ready, 3 units of 150: 48 sessions in 8 days, schools pair within 150
    sizes = [n for i in range(23) for n in (20 + 5 * i, 125 - 5 * i)] + [18]
    schools = [school(i, n, f"Kec {i % 29}") for i, n in enumerate(sizes)]
    assert sum(s.ready_students for s in schools) == 3353
    units = [unit(1), unit(2), unit(3)]
    cal = ProgrammeCalendar()
    plan = plan_visits(schools, units, cal, WEDNESDAY)
    assert plan_violations(plan.visits, schools, units, cal) == []
    assert plan.lower_bound_days == 8
    assert plan.makespan_days == 8
    assert plan.finish == date(2026, 5, 19)  # 14 and 15 May are holidays


def test_chain_mode_splits_schools_to_reach_the_bound():
    # 30 schools of 100 on one unit of 100 a day: no two fit a day whole, so the bound needs
    # schools that start in an afternoon and finish next morning
    schools = [school(i, 95 + i % 11, f"Kec {i % 4}") for i in range(30)]
    total = sum(s.ready_students for s in schools)
    units = [unit(1, capacity=100), unit(2, capacity=100)]
    cal = ProgrammeCalendar()
    plan = plan_visits(schools, units, cal, WEDNESDAY)
    assert plan_violations(plan.visits, schools, units, cal) == []
    assert plan.makespan_days <= math.ceil(total / 200) + 1


def test_when_days_are_tight_pairs_still_stay_inside_a_kecamatan_where_they_can():
    # kecamatan-only pairing needs 4 days; the bound (3) needs one day shared across
    # kecamatan, and only one
    schools = [school(1, 100, "Cikupa"), school(2, 40, "Cikupa"), school(3, 45, "Cikupa"),
               school(4, 100, "Legok"), school(5, 45, "Legok"), school(6, 40, "Legok")]
    cal = ProgrammeCalendar()
    plan = plan_visits(schools, [unit(1)], cal, WEDNESDAY)
    assert plan_violations(plan.visits, schools, [unit(1)], cal) == []
    assert plan.makespan_days == plan.lower_bound_days == 3
    assert plan.stats.cross_kecamatan_shared_days == 1


def test_days_shared_across_kecamatan_pair_the_nearest_schools():
    # four kecamatan, one school each: two days must each hold two kecamatan; the near ones pair
    schools = [school(1, 100, "Kresek", coords=(-6.10, 106.40)), school(2, 100, "Legok", coords=(-6.30, 106.60)),
               school(3, 40, "Kronjo", coords=(-6.11, 106.41)), school(4, 40, "Curug", coords=(-6.29, 106.61))]
    cal = ProgrammeCalendar()
    plan = plan_visits(schools, [unit(1)], cal, WEDNESDAY)
    assert plan.makespan_days == plan.lower_bound_days == 2
    days = {}
    for v in plan.visits:
        days.setdefault(v.date, set()).add(v.kecamatan)
    assert sorted(map(sorted, days.values())) == [["Curug", "Legok"], ["Kresek", "Kronjo"]]
