"""Synthetic schools and units for the scheduling tests (no real person's data)."""

from __future__ import annotations

from services.scheduling.domain.school import Coordinates, Ownership, School, SchoolKind
from services.scheduling.domain.unit import MobileUnit, Unavailability


def school(n: int, ready: int, kecamatan: str = "Cikupa", *, coords: tuple[float, float] | None = None,
           kind: SchoolKind = SchoolKind.SMA) -> School:
    return School(
        npsn=f"{69000000 + n:08d}",
        name=f"SMA Contoh {n}",
        kind=kind,
        ownership=Ownership.NEGERI,
        kecamatan=kecamatan,
        address=f"Jl. Contoh No. {n}",
        coordinates=Coordinates(lat=coords[0], lon=coords[1]) if coords else None,
        ready_students=ready,
    )


def unit(i: int, capacity: int = 150, *, working_days=frozenset({0, 1, 2, 3, 4}),
         unavailable: tuple[Unavailability, ...] = ()) -> MobileUnit:
    return MobileUnit(unit_id=f"U{i}", name=f"Unit {i}", recording_capacity=capacity,
                      printing_capacity=capacity, working_days=working_days, unavailable=unavailable)
