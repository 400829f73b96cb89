"""Writing the synthetic programme as the files operators receive: rosters (CSV) and schools."""

from __future__ import annotations

import csv
from pathlib import Path

from programme.synthetic import Programme

SCHOOL_COLUMNS = ["npsn", "name", "kind", "status", "kecamatan", "address", "contact_name", "telepon",
                  "email"]


def write_roster_csv(programme: Programme, path: Path, npsn: str | None = None) -> Path:
    """One roster (one school's, or all of them) as the education office sends it: semicolons, BOM."""
    students = [s for s in programme.students if npsn is None or s.npsn == npsn]
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(students[0].roster_row()), delimiter=";")
        writer.writeheader()
        for student in students:
            writer.writerow(student.roster_row())
    return path


def write_schools_csv(programme: Programme, path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(SCHOOL_COLUMNS)
        for s in programme.schools:
            writer.writerow([s.npsn, s.name, s.kind, "negeri", s.kecamatan, s.address, s.contact_name,
                             s.contact_phone, s.contact_email])
    return path
