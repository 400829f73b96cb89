"""The programme calendar: working week, Indonesian public holidays, regional closures.

All dates are local dates in Asia/Jakarta (WIB), the zone of the population offices this
programme serves; ``today()`` is computed there, never from the machine's zone.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays

from .closure import Closure

JAKARTA = ZoneInfo("Asia/Jakarta")
DEFAULT_WORKING_WEEK = frozenset({0, 1, 2, 3, 4})  # Monday to Friday


def today_in_jakarta(now: datetime | None = None) -> date:
    moment = now or datetime.now(JAKARTA)
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no zone: pass an aware one")
    return moment.astimezone(JAKARTA).date()


class ProgrammeCalendar:
    """Which days a programme can work on, and which days a given school can be visited.

    ``include_cuti_bersama``: the government's collective leave days (cuti bersama) close
    population offices too, so they count as holidays unless switched off.
    """

    def __init__(
        self,
        *,
        working_week: Iterable[int] = DEFAULT_WORKING_WEEK,
        closures: Iterable[Closure] = (),
        include_cuti_bersama: bool = True,
        subdivision: str | None = None,
    ) -> None:
        self.working_week = frozenset(working_week)
        if not self.working_week or not self.working_week <= frozenset(range(7)):
            raise ValueError("the working week is a non-empty set of weekdays 0..6")
        categories = ("public", "government") if include_cuti_bersama else ("public",)
        self._holidays = holidays.Indonesia(categories=categories, subdiv=subdivision)
        self._area_closed: dict[date, str] = {}
        self._kecamatan_closed: dict[str, set[date]] = {}
        self._school_closed: dict[str, set[date]] = {}
        for closure in closures:
            self.add_closure(closure)

    def add_closure(self, closure: Closure) -> None:
        days = closure.days()
        if closure.npsn is not None:
            self._school_closed.setdefault(closure.npsn, set()).update(days)
        elif closure.kecamatan is not None:
            self._kecamatan_closed.setdefault(_key(closure.kecamatan), set()).update(days)
        else:
            for day in days:
                self._area_closed[day] = closure.note or closure.reason.value

    def holiday_name(self, day: date) -> str | None:
        name = self._holidays.get(day)
        if name:
            return name
        return self._area_closed.get(day)

    def is_working_day(self, day: date) -> bool:
        """A day the programme works: in the working week, not a holiday, not closed area-wide."""
        return day.weekday() in self.working_week and self.holiday_name(day) is None

    def working_days(self, start: date) -> Iterator[date]:
        day = start
        while True:
            if self.is_working_day(day):
                yield day
            day += timedelta(days=1)

    def first_working_days(self, start: date, count: int) -> list[date]:
        out: list[date] = []
        for day in self.working_days(start):
            if len(out) >= count:
                break
            out.append(day)
        return out

    def school_closed(self, npsn: str, kecamatan: str, day: date) -> bool:
        """Closed for this school: its own closures or its kecamatan's."""
        if day in self._school_closed.get(npsn, ()):
            return True
        return day in self._kecamatan_closed.get(_key(kecamatan), ())

    def school_closed_days(self, npsn: str, kecamatan: str) -> frozenset[date]:
        return frozenset(self._school_closed.get(npsn, set()) | self._kecamatan_closed.get(_key(kecamatan), set()))

    def can_visit(self, npsn: str, kecamatan: str, day: date) -> bool:
        return self.is_working_day(day) and not self.school_closed(npsn, kecamatan, day)


def _key(kecamatan: str) -> str:
    return " ".join(kecamatan.split()).casefold()
