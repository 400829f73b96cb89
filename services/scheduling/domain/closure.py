"""Closures: date ranges when a school (or a whole region) cannot be visited."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator


class ClosureReason(StrEnum):
    EXAM = "exam"
    SCHOOL_EVENT = "school_event"
    REGIONAL_HOLIDAY = "regional_holiday"
    OTHER = "other"


class Closure(BaseModel):
    """Closed from ``start`` to ``end`` inclusive.

    ``npsn`` set: one school is closed (exams, school events). ``npsn`` unset: a regional
    closure, for one kecamatan when ``kecamatan`` is set, otherwise for the whole programme area.
    """

    model_config = ConfigDict(frozen=True)

    start: date
    end: date
    reason: ClosureReason = ClosureReason.OTHER
    note: str = Field("", max_length=200)
    npsn: str | None = Field(None, pattern=r"^\d{8}$")
    kecamatan: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Closure:
        if self.end < self.start:
            raise ValueError("closure end is before its start")
        if self.npsn is not None and self.kecamatan is not None:
            raise ValueError("a closure is for one school (npsn) or a region (kecamatan), not both")
        return self

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end
