from datetime import date, datetime, timezone

import pytest

from services.scheduling.domain.calendar import ProgrammeCalendar, today_in_jakarta
from services.scheduling.domain.closure import Closure, ClosureReason


def test_indonesian_public_holidays_are_not_working_days():
    cal = ProgrammeCalendar()
    assert not cal.is_working_day(date(2026, 5, 14))  # Kenaikan Yesus Kristus (Thursday)
    assert not cal.is_working_day(date(2026, 8, 17))  # Hari Kemerdekaan (Monday)
    assert "Kemerdekaan" in cal.holiday_name(date(2026, 8, 17))
    assert cal.is_working_day(date(2026, 5, 13))


def test_cuti_bersama_counts_unless_switched_off():
    assert not ProgrammeCalendar().is_working_day(date(2026, 5, 15))
    assert ProgrammeCalendar(include_cuti_bersama=False).is_working_day(date(2026, 5, 15))


def test_working_week_is_configurable():
    six_days = ProgrammeCalendar(working_week={0, 1, 2, 3, 4, 5})
    assert six_days.is_working_day(date(2026, 5, 9))  # Saturday
    assert not ProgrammeCalendar().is_working_day(date(2026, 5, 9))
    with pytest.raises(ValueError):
        ProgrammeCalendar(working_week=set())
    with pytest.raises(ValueError):
        ProgrammeCalendar(working_week={7})


def test_first_working_days_skip_weekend_and_holidays_of_may_2026():
    days = ProgrammeCalendar().first_working_days(date(2026, 5, 6), 8)
    assert days == [date(2026, 5, d) for d in (6, 7, 8, 11, 12, 13, 18, 19)]


def test_area_closure_closes_every_school_and_kecamatan_closure_only_its_schools():
    cal = ProgrammeCalendar(closures=[
        Closure(start=date(2026, 5, 20), end=date(2026, 5, 20), reason=ClosureReason.REGIONAL_HOLIDAY,
                note="HUT Kabupaten"),
        Closure(start=date(2026, 5, 21), end=date(2026, 5, 22), kecamatan="Cikupa"),
        Closure(start=date(2026, 5, 25), end=date(2026, 5, 26), npsn="69000001", reason=ClosureReason.EXAM),
    ])
    assert not cal.is_working_day(date(2026, 5, 20))
    assert cal.holiday_name(date(2026, 5, 20)) == "HUT Kabupaten"
    assert cal.school_closed("69000009", " cikupa ", date(2026, 5, 21))
    assert not cal.school_closed("69000009", "Legok", date(2026, 5, 21))
    assert cal.school_closed("69000001", "Legok", date(2026, 5, 26))
    assert not cal.school_closed("69000002", "Legok", date(2026, 5, 26))
    assert not cal.can_visit("69000001", "Legok", date(2026, 5, 25))
    assert cal.can_visit("69000002", "Legok", date(2026, 5, 25))


def test_closure_must_be_ordered_and_for_one_scope():
    with pytest.raises(ValueError, match="before its start"):
        Closure(start=date(2026, 5, 2), end=date(2026, 5, 1))
    with pytest.raises(ValueError, match="not both"):
        Closure(start=date(2026, 5, 1), end=date(2026, 5, 1), npsn="69000001", kecamatan="Cikupa")


def test_today_is_computed_in_jakarta():
    # 18:30 UTC on 5 May is 01:30 on 6 May in Jakarta (UTC+7)
    assert today_in_jakarta(datetime(2026, 5, 5, 18, 30, tzinfo=timezone.utc)) == date(2026, 5, 6)
    with pytest.raises(ValueError):
        today_in_jakarta(datetime(2026, 5, 5, 18, 30))
