"""The figures of the operations page from the projections (pure)."""

from __future__ import annotations

import datetime as dt
from datetime import UTC

from services.dashboard.domain.overview import Projections, QueueDepth, build_overview, latest_rosters
from services.dashboard.domain.stock import StockReport

from .factory import T0

NOW = dt.datetime(2026, 5, 7, 3, 0, tzinfo=UTC)


def roster(npsn: str, roster_id: str, ready: int, at: dt.datetime, total: int = 200, already: int = 80) -> dict:
    return {"_id": f"{roster_id}:{npsn}", "npsn": npsn, "roster_id": roster_id, "total": total,
            "already_recorded": already, "ready_to_record": ready, "not_yet_eligible": total - already - ready,
            "invalid": 0, "verified_at": at, "version": 1}


def visit(visit_id: str, npsn: str, status: str, date: str, unit: str = "unit-1", **extra) -> dict:
    return {"_id": visit_id, "npsn": npsn, "status": status, "date": date, "unit_id": unit, **extra}


def projections() -> Projections:
    return Projections(
        schools=[{"_id": "20600001", "name": "SMAN 1 Contoh", "kind": "SMA", "kecamatan": "Balaraja"},
                 {"_id": "20600002", "name": "SMKN 2 Contoh", "kind": "SMK", "kecamatan": "Cikupa"}],
        rosters=[roster("20600001", "R-old", 90, T0), roster("20600001", "R-new", 100, T0 + dt.timedelta(days=1))],
        visits=[
            visit("V-1", "20600001", "completed", "2026-05-06", absent=7, expected_students=100),
            visit("V-2", "20600002", "scheduled", "2026-05-09", unit="unit-2", expected_students=60,
                  school_name="SMKN 2 Contoh", session_start="08:00", session_end="12:00"),
            visit("V-3", "20600002", "rescheduled", "2026-05-08", unit="unit-2", expected_students=40,
                  previous_date="2026-05-07", reason="ujian"),
            visit("V-4", "20600002", "cancelled", "2026-05-10", unit="unit-2", expected_students=500),
            visit("V-5", "20600002", "scheduled", "2026-05-11", unit="unit-2", expected_students=30, catch_up=True),
            visit("V-6", "20600003", "in_progress", "2026-05-07", unit="unit-1"),
        ],
        students_by_school={("recorded", "20600001"): 80, ("printed", "20600001"): 70,
                            ("handed_over", "20600001"): 60, ("certificate", "20600001"): 5,
                            ("recorded", "20600003"): 2},
        students_by_unit={("recorded", "unit-1"): 82, ("printed", "unit-1"): 70, ("certificate", "unit-1"): 5},
        events_by_unit={("printed", "unit-1"): 73, ("recorded", "unit-1"): 82},
        reprints_by_unit={"unit-1": 3},
        by_day={("recorded", "2026-05-06"): 50, ("recorded", "2026-05-07"): 32, ("printed", "2026-05-07"): 70,
                ("certificate", "2026-05-07"): 5},
        stock=[StockReport(unit_id="unit-1", remaining=10, threshold=20, at=T0, printed_since=4)],
    )


QUEUES = [QueueDepth(queue="t.printing.restricted", depth=0, dlq="t.printing.restricted.dlq", dlq_depth=2),
          QueueDepth(queue="t.dashboard", depth=3, dlq="t.dashboard.dlq", dlq_depth=0)]


def test_the_target_is_the_latest_roster_else_the_planned_visits() -> None:
    o = build_overview(projections(), QUEUES, now=NOW, timezone="Asia/Jakarta")
    by = {s.npsn: s for s in o.schools}
    assert (by["20600001"].target, by["20600001"].target_source, by["20600001"].roster_total) == (100, "roster", 200)
    # no roster: planned visits count, cancelled and catch-up visits do not
    assert (by["20600002"].target, by["20600002"].target_source) == (100, "visits")
    # a school known only from a visit with no expected count and a recording
    assert (by["20600003"].target, by["20600003"].target_source, by["20600003"].name) == (0, "none", "NPSN 20600003")
    assert by["20600002"].name == "SMKN 2 Contoh" and by["20600002"].kind == "SMK"


def test_school_rows_carry_every_count_and_the_totals_add_them_up() -> None:
    o = build_overview(projections(), QUEUES, now=NOW, timezone="Asia/Jakarta")
    one = next(s for s in o.schools if s.npsn == "20600001")
    assert (one.recorded, one.printed, one.handed_over, one.certificates, one.absent) == (80, 70, 60, 5, 7)
    assert (one.visits_completed, one.visits_open) == (1, 0)
    t = o.totals
    assert (t.schools, t.target, t.recorded, t.printed, t.handed_over, t.certificates, t.absent) == \
        (3, 200, 82, 70, 60, 5, 7)
    assert t.target == sum(s.target for s in o.schools) and t.recorded == sum(s.recorded for s in o.schools)
    assert (t.roster_total, t.already_recorded) == (200, 80)


def test_days_are_in_order_with_zeros_where_nothing_happened() -> None:
    o = build_overview(projections(), QUEUES, now=NOW, timezone="Asia/Jakarta")
    assert [(d.day.isoformat(), d.recorded, d.printed, d.certificates) for d in o.days] == [
        ("2026-05-06", 50, 0, 0), ("2026-05-07", 32, 70, 5)]


def test_units_show_work_and_blank_stock() -> None:
    o = build_overview(projections(), QUEUES, now=NOW, timezone="Asia/Jakarta")
    one, two = o.units
    assert (one.unit_id, one.recorded, one.printed, one.cards_printed, one.reprints, one.certificates) == \
        ("unit-1", 82, 70, 73, 3, 5)
    assert (one.visits_completed, one.visits_open, one.stock.estimate) == (1, 1, 6)
    assert (two.unit_id, two.visits_open, two.stock.status) == ("unit-2", 3, "unknown")


def test_upcoming_visits_are_open_ones_earliest_first() -> None:
    o = build_overview(projections(), QUEUES, now=NOW, timezone="Asia/Jakarta")
    assert [v.visit_id for v in o.upcoming_visits] == ["V-6", "V-3", "V-2", "V-5"]
    v3 = o.upcoming_visits[1]
    assert (v3.status, v3.previous_date.isoformat(), v3.reason, v3.school_name) == \
        ("rescheduled", "2026-05-07", "ujian", "SMKN 2 Contoh")
    assert o.upcoming_visits[3].catch_up is True
    assert o.visit_counts == {"cancelled": 1, "completed": 1, "in_progress": 1, "rescheduled": 1, "scheduled": 2}


def test_upcoming_visits_from_a_day_and_limited() -> None:
    o = build_overview(projections(), QUEUES, now=NOW, timezone="Asia/Jakarta",
                       since=dt.date(2026, 5, 8), upcoming_limit=2)
    assert [v.visit_id for v in o.upcoming_visits] == ["V-3", "V-2"]


def test_dead_letters_are_summed_and_unknown_when_a_dlq_cannot_be_read() -> None:
    assert build_overview(projections(), QUEUES, now=NOW, timezone="UTC").dlq_total == 2
    unreadable = [*QUEUES, QueueDepth(queue="t.x", dlq="t.x.dlq", error="t.x.dlq does not exist")]
    assert build_overview(projections(), unreadable, now=NOW, timezone="UTC").dlq_total is None


def test_an_empty_programme_has_zero_figures_and_says_what_it_cannot_know() -> None:
    o = build_overview(Projections(), [], now=NOW, timezone="UTC")
    assert (o.schools, o.days, o.units, o.upcoming_visits, o.totals.target, o.dlq_total) == ([], [], [], [], 0, 0)
    assert any("deliveries" in line for line in o.unknowns)


def test_the_latest_roster_wins_per_school() -> None:
    rosters = [roster("1", "R-b", 5, T0), roster("1", "R-a", 7, T0 + dt.timedelta(hours=1)), roster("2", "R-c", 9, T0)]
    assert {n: r["roster_id"] for n, r in latest_rosters(rosters).items()} == {"1": "R-a", "2": "R-c"}
