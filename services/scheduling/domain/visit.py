"""The visit aggregate and its lifecycle: scheduled -> started -> completed | cancelled."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from .visit_plan import PlannedVisit, Session


class VisitStatus(StrEnum):
    SCHEDULED = "scheduled"
    STARTED = "started"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class InvalidTransition(ValueError):
    """A lifecycle step that the visit's state does not allow."""


class Visit(BaseModel):
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
    expected_students: int = Field(ge=0)
    status: VisitStatus = VisitStatus.SCHEDULED
    version: int = 1
    recorded: int | None = None
    absent: int | None = None
    cancel_reason: str | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    catch_up_of: str | None = Field(None, description="visit whose leftover students this visit takes")

    @classmethod
    def from_planned(cls, planned: PlannedVisit, *, catch_up_of: str | None = None) -> Visit:
        return cls(**planned.model_dump(), catch_up_of=catch_up_of)

    @property
    def is_movable(self) -> bool:
        return self.status is VisitStatus.SCHEDULED

    def begin(self, now: datetime, today: date) -> Visit:
        if self.status is not VisitStatus.SCHEDULED:
            raise InvalidTransition(f"visit is {self.status.value}; only a scheduled visit can start")
        if today < self.date:
            raise InvalidTransition(f"visit is planned for {self.date}; it cannot start on {today}")
        return self.model_copy(update={"status": VisitStatus.STARTED, "started_at": now,
                                       "version": self.version + 1})

    def complete(self, recorded: int, absent: int, now: datetime) -> Visit:
        if self.status is not VisitStatus.STARTED:
            raise InvalidTransition(f"visit is {self.status.value}; only a started visit can complete")
        if recorded < 0 or absent < 0:
            raise InvalidTransition("recorded and absent counts are 0 or more")
        return self.model_copy(update={"status": VisitStatus.COMPLETED, "recorded": recorded,
                                       "absent": absent, "completed_at": now, "version": self.version + 1})

    def cancel(self, reason: str) -> Visit:
        if self.status not in (VisitStatus.SCHEDULED, VisitStatus.STARTED):
            raise InvalidTransition(f"visit is {self.status.value}; it cannot be cancelled")
        if not reason.strip():
            raise InvalidTransition("a cancellation needs a reason")
        return self.model_copy(update={"status": VisitStatus.CANCELLED, "cancel_reason": reason.strip(),
                                       "version": self.version + 1})

    def reschedule(self, *, day: date, unit_id: str, session: Session, start: time, end: time,
                   expected_students: int) -> Visit:
        if self.status is not VisitStatus.SCHEDULED:
            raise InvalidTransition(f"visit is {self.status.value}; only a scheduled visit can move")
        return self.model_copy(update={"date": day, "unit_id": unit_id, "session": session, "start": start,
                                       "end": end, "expected_students": expected_students,
                                       "version": self.version + 1})

    @property
    def leftover(self) -> int:
        """Ready students the visit did not record (after completion)."""
        if self.status is not VisitStatus.COMPLETED or self.recorded is None:
            return 0
        return max(0, self.expected_students - self.recorded)

    def needs_catch_up(self, threshold: int) -> bool:
        return self.leftover > threshold
