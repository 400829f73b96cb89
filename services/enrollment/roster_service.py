"""Importing a roster file into the service: read, verify, store, report, publish
`roster.verified` per school (counts only)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Collection
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from shared.events import models as ev
from shared.events import new_event

from .adapters.roster_reader import RosterFile
from .adapters.student_repository import ROSTERS, StudentRepository
from .domain.report import RosterReport
from .domain.verification import RosterVerifier, VerificationContext
from .importing import RecordedLookup, import_roster
from .settings import EnrollmentSettings

SCHOOLS = "schools"
VISITS = "visits"


async def verification_context(db: AsyncDatabase, settings: EnrollmentSettings) -> VerificationContext:
    """Known schools (from school.* events) and each school's next planned visit."""
    today = settings.current_date()
    schools = {doc["_id"] async for doc in db[SCHOOLS].find({}, {"_id": 1})}
    visit_dates: dict[str, date] = {}
    cursor = db[VISITS].find(
        {"status": {"$nin": ["cancelled", "completed"]}, "date": {"$gte": today.isoformat()}},
        {"npsn": 1, "date": 1})
    async for visit in cursor:
        day = date.fromisoformat(visit["date"])
        if visit["npsn"] not in visit_dates or day < visit_dates[visit["npsn"]]:
            visit_dates[visit["npsn"]] = day
    return VerificationContext(today=today, known_schools=schools,
                               home_area_code=settings.home_area_code,
                               policy=settings.policy(), visit_dates=visit_dates)


class _Sink:
    def __init__(self, repository: StudentRepository, roster_id: str, today: date,
                 written: Callable[[list[str]], None] | None) -> None:
        self.repository = repository
        self.roster_id = roster_id
        self.today = today
        self.written = written
        self.writes = 0

    async def save(self, verdicts) -> None:  # type: ignore[no-untyped-def]
        ids = await self.repository.save_verdicts(
            verdicts, roster_id=self.roster_id, today=self.today, now=datetime.now(UTC))
        self.writes += len(ids)
        if ids and self.written is not None:
            self.written(ids)


def verified_events(report: RosterReport, roster_id: str, at: datetime,
                    known_schools: Collection[str]) -> list[Any]:
    """`roster.verified` per known school; rows of unknown schools stay in the report."""
    events = []
    for npsn, school in sorted(report.schools.items()):
        if npsn not in known_schools:
            continue
        data = ev.RosterVerified(
            npsn=npsn, roster_id=roster_id, total=school.total,
            already_recorded=school.already_recorded, ready_to_record=school.ready_to_record,
            not_yet_eligible=school.not_yet_eligible, invalid=school.invalid,
            verified_at=at, version=1)
        events.append(new_event("enrollment", data, subject=roster_id))
    return events


STORED_DETAILS = 5_000  # per list and school: keeps a roster document far below 16 MB


def for_storage(report: dict[str, Any], limit: int = STORED_DETAILS) -> dict[str, Any]:
    """The report as stored: counts in full, per-row lists cut at `limit` (and said so)."""
    for school in report["schools"].values():
        for key in ("not_yet_eligible_rows", "invalid_rows", "warning_rows"):
            if len(school[key]) > limit:
                school[f"{key}_omitted"] = len(school[key]) - limit
                school[key] = school[key][:limit]
    return report


async def import_roster_file(
    path: Path,
    *,
    source: str,
    db: AsyncDatabase,
    repository: StudentRepository,
    registry: RecordedLookup,
    settings: EnrollmentSettings,
    on_progress: Callable[[int, float], Awaitable[None] | None] | None = None,
    after_write: Callable[[str, str], Awaitable[None]] | None = None,
    students_written: Callable[[list[str]], None] | None = None,
) -> tuple[str, RosterReport]:
    roster_id = f"R-{uuid.uuid4().hex[:12]}"
    context = await verification_context(db, settings)
    sink = _Sink(repository, roster_id, context.today, students_written)
    with RosterFile(path, name=source) as roster:
        async def progress(done: int) -> None:
            if on_progress is not None:
                result = on_progress(done, roster.progress)
                if result is not None:
                    await result

        report = await import_roster(
            roster.lines(), RosterVerifier(context), source=source, registry=registry,
            rosters=repository, sink=sink, batch_size=settings.import_batch, on_batch=progress)
    now = datetime.now(UTC)
    await repository.save_roster(roster_id, for_storage(report.model_dump(mode="json")),
                                 verified_events(report, roster_id, now, context.known_schools), now)
    if after_write is not None:
        await after_write(ROSTERS, roster_id)
    return roster_id, report
