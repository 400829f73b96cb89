"""Roster rows: the columns the education office sends and the models a row becomes."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from .cells import MaritalStatus
from .nik import Sex

# canonical field -> header spellings seen on rosters (compared after normalising:
# lower case, non-alphanumerics to single underscores)
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "nisn": ("nisn", "no_nisn", "nomor_nisn"),
    "nik": ("nik", "no_nik", "nomor_nik", "nik_siswa"),
    "kk": ("kk", "no_kk", "nomor_kk", "nomor_kartu_keluarga", "no_kartu_keluarga", "family_card"),
    "name": ("name", "nama", "nama_lengkap", "nama_siswa", "nama_peserta_didik", "full_name"),
    "birth_place": ("birth_place", "place_of_birth", "tempat_lahir", "tmp_lahir"),
    "birth_date": ("birth_date", "date_of_birth", "tanggal_lahir", "tgl_lahir", "dob"),
    "sex": ("sex", "gender", "jenis_kelamin", "jk", "l_p"),
    "npsn": ("npsn", "npsn_sekolah", "school_npsn"),
    "class_name": ("class", "class_name", "kelas", "rombel", "rombongan_belajar"),
    "phone": ("phone", "student_phone", "no_hp", "hp", "no_hp_siswa", "hp_siswa", "telepon"),
    "guardian_name": (
        "guardian_name", "nama_wali", "nama_orang_tua", "nama_orang_tua_wali", "nama_ortu",
        "parent_name",
    ),
    "guardian_phone": (
        "guardian_phone", "hp_wali", "no_hp_wali", "no_hp_orang_tua", "hp_orang_tua",
        "hp_ortu", "parent_phone",
    ),
    "marital_status": (
        "marital_status", "status_perkawinan", "status_kawin", "status_pernikahan", "kawin",
    ),
}
REQUIRED_COLUMNS = ("nisn", "nik", "name", "birth_date", "sex", "npsn")
_ALIAS_TO_FIELD = {alias: field for field, aliases in COLUMN_ALIASES.items() for alias in aliases}


class RosterFormatError(ValueError):
    """The file as a whole cannot be read (no header, required columns missing)."""


def normalise_header(text: object) -> str:
    raw = "" if text is None else str(text)
    raw = raw.lstrip("\ufeff").strip().lower()
    return re.sub(r"[^0-9a-z]+", "_", raw).strip("_")


def map_columns(header: list[object]) -> dict[int, str]:
    """Column index -> canonical field. Raises RosterFormatError naming what is missing."""
    mapping: dict[int, str] = {}
    seen: dict[str, int] = {}
    for index, cell in enumerate(header):
        field = _ALIAS_TO_FIELD.get(normalise_header(cell))
        if field is None:
            continue
        if field in seen:
            raise RosterFormatError(
                f"columns {seen[field] + 1} and {index + 1} both hold {field}"
            )
        seen[field] = index
        mapping[index] = field
    missing = [f for f in REQUIRED_COLUMNS if f not in seen]
    if missing:
        raise RosterFormatError(
            "required columns missing: " + ", ".join(missing)
            + f" (header read: {', '.join(str(c) for c in header if c not in (None, ''))})"
        )
    return mapping


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class RowIssue(BaseModel):
    """One reason about one row: which row (as numbered in the spreadsheet), which field."""

    model_config = ConfigDict(frozen=True)

    row: int
    field: str
    reason: str
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        return f"row {self.row}, {self.field}: {self.reason}"


class Category(StrEnum):
    ALREADY_RECORDED = "already_recorded"
    READY_TO_RECORD = "ready_to_record"
    NOT_YET_ELIGIBLE = "not_yet_eligible"
    INVALID = "invalid"


class RosterStudent(BaseModel):
    """A verified roster row: every field typed and checked."""

    model_config = ConfigDict(frozen=True)

    nik: str = Field(pattern=r"^\d{16}$")
    nisn: str = Field(pattern=r"^\d{10}$")
    kk: str | None = Field(default=None, pattern=r"^\d{16}$")
    name: str = Field(min_length=1, max_length=100)
    birth_place: str | None = None
    birth_date: date
    sex: Sex
    npsn: str = Field(pattern=r"^\d{8}$")
    class_name: str | None = None
    phone: str | None = None
    guardian_name: str | None = None
    guardian_phone: str | None = None
    marital_status: MaritalStatus = MaritalStatus.BELUM_KAWIN


class RowVerdict(BaseModel):
    """What verification says about one roster row."""

    row: int
    npsn: str | None
    category: Category
    student: RosterStudent | None = None
    eligible_on: date | None = None  # for not_yet_eligible: first day it may be recorded
    issues: list[RowIssue] = Field(default_factory=list)

    @property
    def errors(self) -> list[RowIssue]:
        return [i for i in self.issues if i.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[RowIssue]:
        return [i for i in self.issues if i.severity is Severity.WARNING]

    def invalidated(self, field: str, reason: str) -> RowVerdict:
        issue = RowIssue(row=self.row, field=field, reason=reason)
        return self.model_copy(
            update={"category": Category.INVALID, "eligible_on": None, "student": None,
                    "issues": [*self.issues, issue]}
        )
