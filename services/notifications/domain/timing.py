"""When a message may go: reminder due times and quiet hours (Asia/Jakarta)."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from .language import Channel

JAKARTA = ZoneInfo("Asia/Jakarta")


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no place here: give it a time zone")
    return moment


class QuietHours(BaseModel):
    """No SMS or WhatsApp between `start` and `end` local time; held until `end`.

    Email is not held: it waits in an inbox and wakes nobody.
    """

    model_config = ConfigDict(frozen=True)

    start: time = time(21, 0)
    end: time = time(6, 0)
    zone: str = "Asia/Jakarta"

    def _local(self, moment: datetime) -> datetime:
        return _aware(moment).astimezone(ZoneInfo(self.zone))

    def is_quiet(self, moment: datetime) -> bool:
        t = self._local(moment).time()
        if self.start <= self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end

    def release(self, channel: Channel, moment: datetime) -> datetime:
        """The earliest moment at or after `moment` that `channel` may be used."""
        if not channel.is_phone or not self.is_quiet(moment):
            return moment
        local = self._local(moment)
        end_today = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        released = end_today if local < end_today else end_today + timedelta(days=1)
        return released.astimezone(moment.tzinfo)


class ReminderPolicy(BaseModel):
    """How far ahead of a visit reminders go, and at what local time of day."""

    model_config = ConfigDict(frozen=True)

    school_days_before: int = Field(default=1, ge=0)
    school_at: time = time(7, 0)
    student_days_before: int = Field(default=3, ge=0)
    student_at: time = time(9, 0)
    zone: str = "Asia/Jakarta"

    def _at(self, visit_date: date, days_before: int, at: time) -> datetime:
        return datetime.combine(visit_date - timedelta(days=days_before), at, tzinfo=ZoneInfo(self.zone))

    def school_reminder(self, visit_date: date) -> datetime:
        return self._at(visit_date, self.school_days_before, self.school_at)

    def student_reminder(self, visit_date: date) -> datetime:
        return self._at(visit_date, self.student_days_before, self.student_at)

    def visit_start(self, visit_date: date, start: time) -> datetime:
        return datetime.combine(visit_date, start, tzinfo=ZoneInfo(self.zone))


def reminder_due(planned: datetime, now: datetime, visit_start: datetime) -> datetime | None:
    """When a reminder should go given that it is `now`.

    Planned in the future: at the planned time. Planned time already past (the
    visit was booked at short notice) but the visit still ahead: at once. Visit
    already begun: not at all (None) — a reminder after the fact helps nobody.
    """
    _aware(now)
    if now >= visit_start:
        return None
    return planned if planned > now else now
