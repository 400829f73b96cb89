from datetime import date, datetime, timezone

from services.scheduling.domain.calendar import ProgrammeCalendar
from services.scheduling.domain.closure import Closure, ClosureReason
from services.scheduling.domain.plan_checks import plan_violations
from services.scheduling.domain.planner import plan_visits
from services.scheduling.domain.replan import plan_catch_up, replan
from services.scheduling.domain.unit import Unavailability
from services.scheduling.domain.visit import Visit, VisitStatus

from .factories import school, unit

START = date(2026, 5, 6)
NOW = datetime(2026, 5, 6, 1, tzinfo=timezone.utc)


def _programme():
    schools = [school(1, 300, "Cikupa"), school(2, 100, "Legok"), school(3, 40, "Legok"), school(4, 150, "Mauk")]
    units = [unit(1), unit(2)]
    cal = ProgrammeCalendar()
    plan = plan_visits(schools, units, cal, START, plan_id="p1")
    return schools, units, cal, [Visit.from_planned(v) for v in plan.visits]


def _all_after(visits, result):
    by_id = {v.visit_id: v for v in visits}
    for change in (*result.moved, *result.resized, *result.dropped):
        by_id[change.visit.visit_id] = change.visit
    for v in result.added:
        by_id[v.visit_id] = v
    return [v for v in by_id.values() if v.status is not VisitStatus.CANCELLED]


def test_nothing_changes_when_nothing_broke():
    schools, units, cal, visits = _programme()
    result = replan(visits, schools, units, cal, today=START, reason="check")
    assert not result.changed and result.unchanged == len([v for v in visits if v.date > START])


def test_unit_unavailable_moves_only_its_future_visits_and_never_started_ones():
    schools, units, cal, visits = _programme()
    # the first day has started
    visits = [v.begin(NOW, START) if v.date == START else v for v in visits]
    u1_days = sorted({v.date for v in visits if v.unit_id == "U1" and v.date > START})
    assert u1_days, "unit U1 has future visits"
    broken = units[0].model_copy(update={"unavailable": (Unavailability(start=u1_days[0], end=u1_days[-1]),)})
    new_units = [broken, units[1]]
    result = replan(visits, schools, new_units, cal, today=START, reason="unit U1 in repair")
    assert result.moved
    for m in result.moved:
        assert m.previous_date > START and m.reason == "unit U1 in repair"
        assert m.visit.date > START and not (m.visit.unit_id == "U1" and u1_days[0] <= m.visit.date <= u1_days[-1])
    assert all(v.status is VisitStatus.STARTED for v in visits if v.date == START)
    moved_ids = {m.visit.visit_id for m in result.moved} | {d.visit.visit_id for d in result.dropped}
    assert not any(v.visit_id in moved_ids for v in visits if v.date == START)
    after = _all_after(visits, result)
    future = [v for v in after if v.date > START]
    assert plan_violations(future, schools, new_units, cal, expect_full_coverage=False) == []
    # every ready student still covered exactly once
    for s in schools:
        assert sum(v.expected_students for v in after if v.npsn == s.npsn) == s.ready_students


def test_school_closure_moves_its_visits_with_previous_date():
    schools, units, cal, visits = _programme()
    target = max((v for v in visits if v.date > START), key=lambda v: v.date)
    cal2 = ProgrammeCalendar(closures=[Closure(start=target.date, end=target.date, npsn=target.npsn,
                                               reason=ClosureReason.EXAM)])
    result = replan(visits, schools, units, cal2, today=START, reason="ujian sekolah")
    assert [m.previous_date for m in result.moved if m.visit.visit_id == target.visit_id] == [target.date]
    moved = next(m.visit for m in result.moved if m.visit.visit_id == target.visit_id)
    assert moved.date != target.date and moved.version == target.version + 1


def test_counts_down_shrink_then_drop_latest_visits_and_counts_up_add_visits():
    schools, units, cal, visits = _programme()
    fewer = [s.model_copy(update={"ready_students": 100}) if s.npsn == "69000001" else s for s in schools]
    result = replan(visits, fewer, units, cal, today=date(2026, 5, 5), reason="roster verified")
    after = _all_after(visits, result)
    assert sum(v.expected_students for v in after if v.npsn == "69000001") == 100
    assert result.dropped and all("no students left" in d.visit.cancel_reason for d in result.dropped)
    assert [(r.previous_expected, r.visit.expected_students) for r in result.resized] == [(150, 100)]
    # the later day went, the earlier one stays (the school keeps its first day)
    assert result.dropped[0].visit.date > result.resized[0].visit.date
    more = [s.model_copy(update={"ready_students": 400}) if s.npsn == "69000002" else s for s in schools]
    result = replan(visits, more, units, cal, today=date(2026, 5, 5), reason="roster verified")
    assert result.added
    after = _all_after(visits, result)
    assert sum(v.expected_students for v in after if v.npsn == "69000002") == 400
    assert plan_violations(after, more, units, cal) == []


def test_visits_of_schools_outside_the_programme_are_left_alone_and_zero_ready_drops():
    schools, units, cal, visits = _programme()
    result = replan(visits, schools[1:], units, cal, today=date(2026, 5, 5), reason="check")
    assert not any(x.visit.npsn == "69000001" for x in (*result.dropped, *result.moved, *result.resized))
    none_left = [s.model_copy(update={"ready_students": 0}) if s.npsn == "69000001" else s for s in schools]
    result = replan(visits, none_left, units, cal, today=date(2026, 5, 5), reason="all recorded elsewhere")
    assert {d.visit.npsn for d in result.dropped} == {"69000001"}
    assert all(d.visit.status is VisitStatus.CANCELLED for d in result.dropped)


def test_catch_up_after_leftover_above_threshold():
    schools, units, cal, visits = _programme()
    first = next(v for v in visits if v.date == START)
    done = first.begin(NOW, START).complete(recorded=first.expected_students - 30, absent=30, now=NOW)
    others = [v for v in visits if v.visit_id != first.visit_id] + [done]
    school_ = next(s for s in schools if s.npsn == done.npsn)
    assert plan_catch_up(done, school_, others, units, cal, threshold=30) == []
    extra = plan_catch_up(done, school_, others, units, cal, threshold=20)
    assert sum(v.expected_students for v in extra) == 30
    assert all(v.catch_up_of == done.visit_id and v.date > START for v in extra)
    assert plan_violations([*others, *extra], schools, units, cal, expect_full_coverage=False) == []


from datetime import timedelta  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 400), min_size=1, max_size=12),
    off_start=st.integers(0, 10),
    off_len=st.integers(0, 6),
    today_offset=st.integers(-1, 6),
    closed=st.booleans(),
)
def test_replan_properties(sizes, off_start, off_len, today_offset, closed):
    schools = [school(i, n, ["Cikupa", "Legok"][i % 2]) for i, n in enumerate(sizes)]
    units = [unit(1), unit(2, 100)]
    cal = ProgrammeCalendar()
    plan = plan_visits(schools, units, cal, START, plan_id="p")
    today = START + timedelta(days=today_offset)
    visits = [Visit.from_planned(v) for v in plan.visits]
    visits = [v.begin(NOW, today) if v.date == today else v for v in visits]
    first = START + timedelta(days=off_start)
    new_units = [units[0].model_copy(update={"unavailable": (Unavailability(start=first, end=first + timedelta(days=off_len)),)}),
                 units[1]]
    closures = [Closure(start=first, end=first + timedelta(days=2), npsn=schools[0].npsn)] if closed else []
    cal2 = ProgrammeCalendar(closures=closures)
    result = replan(visits, schools, new_units, cal2, today=today, reason="change")
    assert result.unplaced == {}
    by_id = {v.visit_id: v for v in visits}
    for m in result.moved:
        before = by_id[m.visit.visit_id]
        assert before.status is VisitStatus.SCHEDULED and before.date > today and m.visit.date > today
        assert m.previous_date == before.date
    for d in result.dropped:
        assert by_id[d.visit.visit_id].date > today
    after = _all_after(visits, result)
    future = [v for v in after if v.date > today]
    assert plan_violations(future, schools, new_units, cal2, expect_full_coverage=False) == []
    for s in schools:
        assert sum(v.expected_students for v in after if v.npsn == s.npsn) == s.ready_students


def test_catch_up_visits_are_extra_and_small_leftovers_do_not_come_back():
    schools, units, cal, visits = _programme()
    first = next(v for v in visits if v.date == START)
    # leftover of 5, under the threshold: a later re-plan does not schedule those 5 again
    done = first.begin(NOW, START).complete(recorded=first.expected_students - 5, absent=5, now=NOW)
    rest = [v for v in visits if v.visit_id != first.visit_id] + [done]
    assert not replan(rest, schools, units, cal, today=START, reason="check").changed
    # a catch-up visit is kept through a re-plan, and moved (not dropped) when its day closes
    school_ = next(s for s in schools if s.npsn == done.npsn)
    done30 = first.begin(NOW, START).complete(recorded=first.expected_students - 30, absent=30, now=NOW)
    rest = [v for v in visits if v.visit_id != first.visit_id] + [done30]
    [catch] = plan_catch_up(done30, school_, rest, units, cal, threshold=10)
    rest.append(catch)
    assert not replan(rest, schools, units, cal, today=START, reason="check").changed
    closed = ProgrammeCalendar(closures=[Closure(start=catch.date, end=catch.date, npsn=catch.npsn)])
    result = replan(rest, schools, units, closed, today=START, reason="ujian")
    [moved] = [m for m in result.moved if m.visit.visit_id == catch.visit_id]
    assert moved.previous_date == catch.date and moved.visit.date != catch.date
    assert moved.visit.catch_up_of == done30.visit_id and moved.visit.expected_students == 30
    assert not result.dropped and not result.added
