"""Mobile units: a van or team with recording and printing equipment."""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .school import Coordinates

ALL_WEEKDAYS = frozenset(range(7))  # Monday = 0 ... Sunday = 6


class Unavailability(BaseModel):
    model_config = ConfigDict(frozen=True)

    start: date
    end: date
    reason: str = Field("", max_length=200)

    @model_validator(mode="after")
    def _ordered(self) -> Unavailability:
        if self.end < self.start:
            raise ValueError("unavailability end is before its start")
        return self

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


class MobileUnit(BaseModel):
    model_config = ConfigDict(frozen=True)

    unit_id: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.\-]+$")
    name: str = Field(min_length=1, max_length=120)
    recording_capacity: int = Field(gt=0, le=2000, description="students recorded per day")
    printing_capacity: int = Field(gt=0, le=5000, description="cards printed per day")
    working_days: frozenset[int] = Field(
        frozenset({0, 1, 2, 3, 4}), description="weekdays the unit works, Monday = 0"
    )
    base: str = Field("", max_length=200, description="where the unit starts its day")
    base_coordinates: Coordinates | None = None
    unavailable: tuple[Unavailability, ...] = ()

    @field_validator("working_days")
    @classmethod
    def _weekdays(cls, value: frozenset[int]) -> frozenset[int]:
        if not value or not value <= ALL_WEEKDAYS:
            raise ValueError("working days are weekday numbers 0 (Monday) to 6 (Sunday), at least one")
        return value

    def unavailable_days(self) -> frozenset[date]:
        return frozenset(d for period in self.unavailable for d in period.days())

    def works_on(self, day: date) -> bool:
        return day.weekday() in self.working_days and not any(
            p.start <= day <= p.end for p in self.unavailable
        )
