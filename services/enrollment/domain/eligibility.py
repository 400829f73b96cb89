"""Ages and the dates students reach them (29 February births count from 1 March)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


def anniversary(birth: date, years: int) -> date:
    """The day someone born on `birth` turns `years`: a 29 February birthday falls on
    1 March in common years (the day after 28 February, when the age is complete)."""
    try:
        return birth.replace(year=birth.year + years)
    except ValueError:  # 29 February in a common year
        return date(birth.year + years, 3, 1)


def age_on(birth: date, on: date) -> int:
    """Completed years on `on`, consistent with `anniversary`."""
    years = on.year - birth.year
    return years if anniversary(birth, years) <= on else years - 1


@dataclass(frozen=True, slots=True)
class AgePolicy:
    """Recording age and printing age are separate settings (defaults 16 and 17)."""

    recording_age: int = 16
    printing_age: int = 17
    adult_age: int = 18  # below it a guardian's consent is needed

    def __post_init__(self) -> None:
        if not 0 < self.recording_age <= self.printing_age:
            raise ValueError("recording age must be positive and not above printing age")

    def may_record(self, birth: date, on: date, *, ever_married: bool) -> bool:
        return ever_married or age_on(birth, on) >= self.recording_age

    def recordable_from(self, birth: date, *, ever_married: bool) -> date | None:
        """First day a student may be recorded; None: already eligible by marriage."""
        return None if ever_married else anniversary(birth, self.recording_age)

    def may_print(self, birth: date, on: date, *, ever_married: bool) -> bool:
        return ever_married or age_on(birth, on) >= self.printing_age

    def printable_from(self, birth: date, *, ever_married: bool) -> date | None:
        return None if ever_married else anniversary(birth, self.printing_age)

    def needs_guardian_consent(self, birth: date, on: date) -> bool:
        return age_on(birth, on) < self.adult_age
