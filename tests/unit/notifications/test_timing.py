from datetime import UTC, date, datetime, time, timedelta

import pytest

from services.notifications.domain.language import Channel
from services.notifications.domain.timing import JAKARTA, QuietHours, ReminderPolicy, reminder_due


def wib(*args) -> datetime:
    return datetime(*args, tzinfo=JAKARTA)


@pytest.mark.parametrize(
    ("moment", "quiet"),
    [
        (wib(2026, 12, 1, 20, 59), False),
        (wib(2026, 12, 1, 21, 0), True),
        (wib(2026, 12, 1, 23, 30), True),
        (wib(2026, 12, 2, 0, 0), True),
        (wib(2026, 12, 2, 5, 59, 59), True),
        (wib(2026, 12, 2, 6, 0), False),
        (wib(2026, 12, 2, 12, 0), False),
    ],
)
def test_quiet_between_nine_at_night_and_six_in_the_morning_jakarta(moment, quiet):
    assert QuietHours().is_quiet(moment) is quiet


def test_sms_at_night_is_held_until_six_next_morning():
    q = QuietHours()
    released = q.release(Channel.SMS, wib(2026, 12, 1, 22, 15))
    assert released == wib(2026, 12, 2, 6, 0)


def test_sms_after_midnight_is_held_until_six_the_same_morning():
    assert QuietHours().release(Channel.WHATSAPP, wib(2026, 12, 2, 3, 0)) == wib(2026, 12, 2, 6, 0)


def test_release_keeps_the_callers_time_zone():
    at_utc = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # 22:00 WIB
    released = QuietHours().release(Channel.SMS, at_utc)
    assert released == datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
    assert released.tzinfo == UTC


def test_email_is_never_held():
    night = wib(2026, 12, 1, 23, 0)
    assert QuietHours().release(Channel.EMAIL, night) == night


def test_daytime_sms_goes_at_once():
    noon = wib(2026, 12, 1, 12, 0)
    assert QuietHours().release(Channel.SMS, noon) == noon


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="time zone"):
        QuietHours().is_quiet(datetime(2026, 12, 1, 22, 0))


def test_reminders_are_due_day_before_for_school_and_three_days_before_for_students():
    policy = ReminderPolicy()
    assert policy.school_reminder(date(2026, 12, 10)) == wib(2026, 12, 9, 7, 0)
    assert policy.student_reminder(date(2026, 12, 10)) == wib(2026, 12, 7, 9, 0)


def test_reminder_planned_in_future_goes_then():
    planned = wib(2026, 12, 7, 9, 0)
    assert reminder_due(planned, wib(2026, 12, 1, 10, 0), wib(2026, 12, 10, 8, 0)) == planned


def test_reminder_for_a_visit_booked_at_short_notice_goes_at_once():
    now = wib(2026, 12, 8, 10, 0)
    assert reminder_due(wib(2026, 12, 7, 9, 0), now, wib(2026, 12, 10, 8, 0)) == now


def test_no_reminder_once_the_visit_has_begun():
    assert reminder_due(wib(2026, 12, 7, 9, 0), wib(2026, 12, 10, 8, 0), wib(2026, 12, 10, 8, 0)) is None


def test_custom_quiet_hours_inside_one_day():
    q = QuietHours(start=time(12, 0), end=time(13, 0))
    assert q.is_quiet(wib(2026, 12, 1, 12, 30))
    assert not q.is_quiet(wib(2026, 12, 1, 13, 0))
    assert q.release(Channel.SMS, wib(2026, 12, 1, 12, 30)) == wib(2026, 12, 1, 13, 0)


def test_release_is_never_in_quiet_hours_and_never_more_than_nine_hours_later():
    q = QuietHours()
    start = wib(2026, 12, 1, 0, 0)
    for minutes in range(0, 24 * 60, 7):
        moment = start + timedelta(minutes=minutes)
        released = q.release(Channel.SMS, moment)
        assert not q.is_quiet(released)
        assert timedelta(0) <= released - moment <= timedelta(hours=9)
