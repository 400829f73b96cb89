"""Importing a roster: stream rows, verify, ask the registry and the other rosters in
batches, hand each batch to the store, and build the per-school report."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Protocol

from .adapters.roster_reader import RosterLine
from .domain.report import RosterReport
from .domain.roster import Category, RowVerdict
from .domain.verification import (
    RosterDuplicates,
    RosterVerifier,
    mark_already_recorded,
    mark_on_other_roster,
)

DEFAULT_BATCH = 500


class RecordedLookup(Protocol):
    """The central registry: which of these NIKs already have a KTP-el record."""

    async def recorded(self, niks: Sequence[str]) -> set[str]: ...


class OtherRosters(Protocol):
    """Which of these NIKs are on a roster of a school other than the given ones.
    `schools_of` maps each NIK to the school whose row is being imported."""

    async def other_schools(self, schools_of: dict[str, str]) -> dict[str, str]: ...


class VerdictSink(Protocol):
    async def save(self, verdicts: Sequence[RowVerdict]) -> None: ...


class NoOtherRosters:
    async def other_schools(self, schools_of: dict[str, str]) -> dict[str, str]:
        return {}


class DiscardVerdicts:
    async def save(self, verdicts: Sequence[RowVerdict]) -> None:
        return None


async def import_roster(
    lines: Iterable[RosterLine],
    verifier: RosterVerifier,
    *,
    source: str,
    registry: RecordedLookup,
    rosters: OtherRosters | None = None,
    sink: VerdictSink | None = None,
    batch_size: int = DEFAULT_BATCH,
    on_batch: Callable[[int], Awaitable[None] | None] | None = None,
) -> RosterReport:
    report = RosterReport(source=source)
    duplicates = RosterDuplicates()
    rosters = rosters or NoOtherRosters()
    sink = sink or DiscardVerdicts()
    done = 0
    batch: list[RowVerdict] = []

    async def flush() -> None:
        nonlocal done
        verdicts = await _settle(batch, registry, rosters)
        await sink.save(verdicts)
        for verdict in verdicts:
            report.add(verdict)
        done += len(verdicts)
        batch.clear()
        if on_batch is not None:
            result = on_batch(done)
            if result is not None:
                await result

    for line in lines:
        batch.append(duplicates.check(verifier.verify(line.number, line.cells)))
        if len(batch) >= batch_size:
            await flush()
    if batch:
        await flush()
    return report


async def _settle(
    batch: list[RowVerdict], registry: RecordedLookup, rosters: OtherRosters
) -> list[RowVerdict]:
    """Apply the answers that need I/O: other rosters first, then the registry."""
    valid = {v.student.nik: v.npsn for v in batch
             if v.category is not Category.INVALID and v.student and v.npsn}
    if not valid:
        return list(batch)
    elsewhere = await rosters.other_schools(dict(valid))
    still_valid = [nik for nik in valid if nik not in elsewhere]
    recorded = await registry.recorded(still_valid) if still_valid else set()
    settled = []
    for verdict in batch:
        nik = verdict.student.nik if verdict.student else None
        if nik in elsewhere and verdict.category is not Category.INVALID:
            verdict = mark_on_other_roster(verdict, elsewhere[nik])
        elif nik in recorded:
            verdict = mark_already_recorded(verdict)
        settled.append(verdict)
    return settled
