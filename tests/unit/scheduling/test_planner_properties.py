"""Properties every plan has, on generated schools, units, closures and start dates."""

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.scheduling.domain.calendar import ProgrammeCalendar
from services.scheduling.domain.closure import Closure
from services.scheduling.domain.plan_checks import plan_violations
from services.scheduling.domain.planner import PlannerSettings, plan_visits
from services.scheduling.domain.unit import Unavailability

from .factories import school, unit

KECAMATAN = ["Cikupa", "Legok", "Curug", "Kresek", "Mauk"]


@st.composite
def scenarios(draw):
    n_schools = draw(st.integers(1, 25))
    sizes = draw(st.lists(st.integers(0, 480), min_size=n_schools, max_size=n_schools))
    kecs = draw(st.lists(st.sampled_from(KECAMATAN), min_size=n_schools, max_size=n_schools))
    schools = [school(i, n, k) for i, (n, k) in enumerate(zip(sizes, kecs, strict=True))]
    start = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 364)))
    n_units = draw(st.integers(1, 4))
    units = []
    for i in range(n_units):
        cap = draw(st.sampled_from([40, 100, 150, 200]))
        week = draw(st.sampled_from([frozenset({0, 1, 2, 3, 4}), frozenset({0, 1, 2, 3, 4, 5}), frozenset({1, 3})]))
        off = ()
        if draw(st.booleans()):
            first = start + timedelta(days=draw(st.integers(0, 20)))
            off = (Unavailability(start=first, end=first + timedelta(days=draw(st.integers(0, 6)))),)
        units.append(unit(i, cap, working_days=week, unavailable=off))
    closures = []
    for _ in range(draw(st.integers(0, 4))):
        target = draw(st.sampled_from(schools))
        first = start + timedelta(days=draw(st.integers(0, 25)))
        closures.append(Closure(start=first, end=first + timedelta(days=draw(st.integers(0, 7))), npsn=target.npsn))
    if draw(st.booleans()):
        first = start + timedelta(days=draw(st.integers(0, 10)))
        closures.append(Closure(start=first, end=first, kecamatan=draw(st.sampled_from(KECAMATAN))))
    strict = draw(st.booleans())
    return schools, units, ProgrammeCalendar(closures=closures), start, strict


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_every_plan_keeps_the_rules(scenario):
    schools, units, cal, start, strict = scenario
    plan = plan_visits(schools, units, cal, start, settings=PlannerSettings(share_across_kecamatan=not strict))
    assert plan.unplaced == []
    # capacity never exceeded, at most two sessions a day, no visit on a holiday, a closure or
    # a day the unit does not work, every ready student covered exactly once
    assert plan_violations(plan.visits, schools, units, cal, same_kecamatan_only=strict) == []
    assert plan.makespan_days >= plan.lower_bound_days
    assert all(v.date >= start for v in plan.visits)
    # makespan counts programme working days from the start to the last visit
    if plan.visits:
        assert plan.working_days[-1] == max(v.date for v in plan.visits)
        assert len(plan.working_days) == plan.makespan_days
    # a unit is in one place per session
    seen = set()
    for v in plan.visits:
        key = (v.unit_id, v.date, v.session)
        assert key not in seen
        seen.add(key)


def _pairing_days(sizes, capacity, n_units):
    a = sorted(sizes, reverse=True)
    i, j, bins = 0, len(a) - 1, 0
    while i <= j:
        if i < j and a[i] + a[j] <= capacity:
            j -= 1
        i += 1
        bins += 1
    return -(-bins // n_units)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(1, 149), min_size=2, max_size=40), st.integers(1, 3))
def test_never_later_than_pairing_whole_schools(sizes, n_units):
    schools = [school(i, n, KECAMATAN[i % 5]) for i, n in enumerate(sizes)]
    units = [unit(i) for i in range(n_units)]
    plan = plan_visits(schools, units, ProgrammeCalendar(), date(2026, 7, 6))
    assert plan.lower_bound_days <= plan.makespan_days <= _pairing_days(sizes, 150, n_units)
    if plan.makespan_days == _pairing_days(sizes, 150, n_units):
        # the pairing plan was good enough: no school is split
        assert plan.stats.mean_visit_days_per_school == 1.0
