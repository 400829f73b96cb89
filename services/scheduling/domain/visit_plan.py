"""What the planner produces: planned visits and the plan that holds them."""

from __future__ import annotations

from datetime import date, time
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Session(StrEnum):
    FULL_DAY = "full_day"
    MORNING = "morning"
    AFTERNOON = "afternoon"


class SessionTimes(BaseModel):
    """Local (Asia/Jakarta) windows of the sessions of a unit's day."""

    model_config = ConfigDict(frozen=True)

    full_day: tuple[time, time] = (time(8, 0), time(15, 0))
    morning: tuple[time, time] = (time(8, 0), time(11, 30))
    afternoon: tuple[time, time] = (time(12, 30), time(15, 0))

    def window(self, session: Session) -> tuple[time, time]:
        return getattr(self, session.value)


class PlannedVisit(BaseModel):
    model_config = ConfigDict(frozen=True)

    visit_id: str
    plan_id: str
    npsn: str
    school_name: str
    kecamatan: str
    unit_id: str
    date: date
    session: Session
    start: time
    end: time
    expected_students: int = Field(gt=0)


class Unplaced(BaseModel):
    model_config = ConfigDict(frozen=True)

    npsn: str
    students: int
    reason: str


class PlanStats(BaseModel):
    schools: int
    visits: int
    shared_days: int = Field(description="unit days shared by two schools")
    cross_kecamatan_shared_days: int
    mean_visit_days_per_school: float
    schools_with_extra_days: int = Field(
        description="schools visited on more days than ceil(ready / unit capacity)"
    )
    non_consecutive_schools: int


class Plan(BaseModel):
    plan_id: str
    start: date
    working_days: list[date] = Field(description="programme working days from start to the last visit")
    lower_bound_days: int
    makespan_days: int
    total_ready: int
    visits: list[PlannedVisit]
    unplaced: list[Unplaced] = []
    stats: PlanStats | None = None

    @property
    def finish(self) -> date | None:
        return self.working_days[-1] if self.working_days else None
