from datetime import date, datetime, time, timezone

import pytest

from services.scheduling.domain.visit import InvalidTransition, Visit, VisitStatus
from services.scheduling.domain.visit_plan import Session

NOW = datetime(2026, 5, 6, 1, 0, tzinfo=timezone.utc)


def visit(**kw) -> Visit:
    base = dict(visit_id="v1", plan_id="p1", npsn="69000001", school_name="SMA Contoh 1", kecamatan="Cikupa",
                unit_id="U1", date=date(2026, 5, 6), session=Session.FULL_DAY, start=time(8), end=time(15),
                expected_students=100)
    base.update(kw)
    return Visit(**base)


def test_scheduled_started_completed_with_counts():
    v = visit().begin(NOW, date(2026, 5, 6))
    assert v.status is VisitStatus.STARTED and v.version == 2 and v.started_at == NOW
    done = v.complete(recorded=88, absent=12, now=NOW)
    assert done.status is VisitStatus.COMPLETED and (done.recorded, done.absent) == (88, 12)
    assert done.version == 3 and done.leftover == 12
    assert done.needs_catch_up(10) and not done.needs_catch_up(12)


def test_cannot_start_before_its_date_or_twice():
    with pytest.raises(InvalidTransition, match="cannot start on 2026-05-05"):
        visit().begin(NOW, date(2026, 5, 5))
    started = visit().begin(NOW, date(2026, 5, 6))
    with pytest.raises(InvalidTransition, match="only a scheduled visit can start"):
        started.begin(NOW, date(2026, 5, 6))


def test_complete_needs_a_started_visit_and_sane_counts():
    with pytest.raises(InvalidTransition, match="only a started visit"):
        visit().complete(1, 0, NOW)
    with pytest.raises(InvalidTransition, match="0 or more"):
        visit().begin(NOW, date(2026, 5, 6)).complete(-1, 0, NOW)


def test_cancel_from_scheduled_or_started_with_a_reason_only():
    assert visit().cancel(" hujan deras ").cancel_reason == "hujan deras"
    assert visit().begin(NOW, date(2026, 5, 6)).cancel("listrik padam").status is VisitStatus.CANCELLED
    with pytest.raises(InvalidTransition, match="needs a reason"):
        visit().cancel("  ")
    done = visit().begin(NOW, date(2026, 5, 6)).complete(100, 0, NOW)
    with pytest.raises(InvalidTransition, match="cannot be cancelled"):
        done.cancel("x")
    with pytest.raises(InvalidTransition, match="cannot be cancelled"):
        visit().cancel("a").cancel("b")


def test_only_scheduled_visits_move():
    moved = visit().reschedule(day=date(2026, 5, 7), unit_id="U2", session=Session.MORNING, start=time(8),
                               end=time(11, 30), expected_students=60)
    assert (moved.date, moved.unit_id, moved.version) == (date(2026, 5, 7), "U2", 2)
    with pytest.raises(InvalidTransition, match="only a scheduled visit can move"):
        visit().begin(NOW, date(2026, 5, 6)).reschedule(day=date(2026, 5, 7), unit_id="U2",
                                                        session=Session.MORNING, start=time(8),
                                                        end=time(11), expected_students=1)
    assert visit().leftover == 0  # not completed: nothing left over yet
