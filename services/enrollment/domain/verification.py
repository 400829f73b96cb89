"""Verifying roster rows against the rules of DESIGN.md.

`RosterVerifier.verify` looks at one row alone (pure). `RosterDuplicates` remembers what
an import has already seen (same NIK or NISN twice in one file). The importer then asks
the central registry and the other rosters in batches and applies the answers with
`mark_already_recorded` and `mark_on_other_roster`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date

from . import cells
from .cells import BirthDateCell, Cell, FieldError
from .eligibility import AgePolicy
from .nik import PROVINCE_CODES, Nik, NikError, Sex, parse_nik
from .roster import Category, RosterStudent, RowIssue, RowVerdict, Severity

_SEX_WORD = {Sex.MALE: "a man", Sex.FEMALE: "a woman"}


@dataclass(frozen=True)
class VerificationContext:
    """What verification needs to know beyond the row itself."""

    today: date
    known_schools: Collection[str]
    home_area_code: str | None = "3603"  # Kabupaten Tangerang
    policy: AgePolicy = field(default_factory=AgePolicy)
    visit_dates: Mapping[str, date] = field(default_factory=dict)  # NPSN -> planned visit

    def visit_date(self, npsn: str) -> date:
        return self.visit_dates.get(npsn, self.today)


class _Row:
    """Collects issues while one row's fields are read."""

    def __init__(self, number: int, cells_by_field: Mapping[str, Cell]) -> None:
        self.number = number
        self.cells = cells_by_field
        self.issues: list[RowIssue] = []

    def error(self, field_name: str, reason: str) -> None:
        self.issues.append(RowIssue(row=self.number, field=field_name, reason=reason))

    def warn(self, field_name: str, reason: str) -> None:
        self.issues.append(
            RowIssue(row=self.number, field=field_name, reason=reason, severity=Severity.WARNING)
        )

    def read[T](self, field_name: str, parse: Callable[[Cell], T]) -> T | None:
        value = self.cells.get(field_name)
        if isinstance(value, str) and "\ufffd" in value:
            self.error(field_name, "holds bytes that are not UTF-8; save the file as CSV UTF-8")
            return None
        try:
            return parse(value)
        except FieldError as exc:
            self.error(field_name, str(exc))
            return None

    def read_optional[T](self, field_name: str, parse: Callable[[Cell], T]) -> T | None:
        """Contact details and the like: a bad value is dropped with a warning."""
        try:
            return parse(self.cells.get(field_name))
        except FieldError as exc:
            self.warn(field_name, f"{exc}; left empty")
            return None


def _digits(length: int) -> Callable[[Cell], str]:
    return lambda value: cells.identifier_digits(value, length=length)


def _fmt(day: date) -> str:
    return day.strftime("%d-%m-%Y")


class RosterVerifier:
    def __init__(self, context: VerificationContext) -> None:
        self.context = context

    def verify(self, row_number: int, row_cells: Mapping[str, Cell]) -> RowVerdict:
        ctx = self.context
        row = _Row(row_number, row_cells)

        nik = self._read_nik(row)
        nisn = row.read("nisn", _digits(10))
        npsn = row.read("npsn", _digits(8))
        if npsn is not None and npsn not in ctx.known_schools:
            row.error("npsn", f"school {npsn} is not a known school")
        kk = self._read_kk(row)
        name_and_script = row.read("name", cells.parse_name)
        birth = row.read("birth_date", cells.parse_birth_date)
        sex = row.read("sex", cells.parse_sex)
        marital = row.read("marital_status", cells.parse_marital_status)
        birth_place = row.read("birth_place", cells.parse_place)
        class_name = row.read_optional("class_name", cells.parse_free_text)
        phone = row.read_optional("phone", cells.parse_phone)
        guardian_name = self._read_guardian_name(row)
        guardian_phone = row.read_optional("guardian_phone", cells.parse_phone)

        if name_and_script is not None and name_and_script[1]:
            row.warn("name", "contains letters outside the Latin alphabet; "
                             "check the spelling against the family card (KK)")
        birth_date = self._agree_with_nik(row, nik, birth, sex)

        npsn_key = npsn or cells.clean_text(row_cells.get("npsn"))
        if any(i.severity is Severity.ERROR for i in row.issues):
            return RowVerdict(row=row_number, npsn=npsn_key, category=Category.INVALID,
                              issues=row.issues)
        assert nik and nisn and npsn and name_and_script and birth_date and sex and marital
        student = RosterStudent(
            nik=nik.value, nisn=nisn, kk=kk, name=name_and_script[0], birth_place=birth_place,
            birth_date=birth_date, sex=sex, npsn=npsn, class_name=class_name, phone=phone,
            guardian_name=guardian_name, guardian_phone=guardian_phone, marital_status=marital,
        )
        visit = ctx.visit_date(npsn)
        married = marital.ever_married
        if ctx.policy.may_record(birth_date, visit, ever_married=married):
            category, eligible_on = Category.READY_TO_RECORD, None
        else:
            category = Category.NOT_YET_ELIGIBLE
            eligible_on = ctx.policy.recordable_from(birth_date, ever_married=married)
        return RowVerdict(row=row_number, npsn=npsn, category=category, student=student,
                          eligible_on=eligible_on, issues=row.issues)

    # -- fields with rules beyond their format ---------------------------------

    def _read_nik(self, row: _Row) -> Nik | None:
        digits = row.read("nik", _digits(16))
        if digits is None:
            return None
        try:
            nik = parse_nik(digits, reference=self.context.today)
        except NikError as exc:
            row.error("nik", str(exc))
            return None
        home = self.context.home_area_code
        if home and nik.area_code != home:
            row.warn("nik", f"area code {nik.area_code} is not {home}: first registered "
                            "elsewhere (a warning, not a rejection)")
        return nik

    def _read_kk(self, row: _Row) -> str | None:
        if cells.is_empty_marker(cells.clean_text(row.cells.get("kk"))):
            row.warn("kk", "is missing")
            return None
        kk = row.read("kk", _digits(16))
        if kk is not None and kk[:2] not in PROVINCE_CODES:
            row.error("kk", f"province code {kk[:2]} does not exist")
            return None
        return kk

    def _read_guardian_name(self, row: _Row) -> str | None:
        if cells.is_empty_marker(cells.clean_text(row.cells.get("guardian_name"))):
            return None
        parsed = row.read_optional("guardian_name", cells.parse_name)
        return parsed[0] if parsed else None

    def _agree_with_nik(
        self, row: _Row, nik: Nik | None, birth: BirthDateCell | None, sex: Sex | None
    ) -> date | None:
        """Birth date and sex on the roster must agree with the NIK; returns the date."""
        if nik is not None and sex is not None and nik.sex is not sex:
            written = int(nik.value[6:8])
            row.error("sex", f"{sex.value} disagrees with the NIK, coded for "
                             f"{_SEX_WORD[nik.sex]} (day {written:02d}; women have day + 40)")
        if birth is None:
            return None
        if nik is None:
            if birth.value is None:
                row.error("birth_date", f"{birth.text!r} is not a valid DD-MM-YYYY date")
            return birth.value
        if birth.value == nik.birth_date:
            return birth.value
        if birth.month_first == nik.birth_date:
            row.error("birth_date", f"day and month are swapped: {birth.text!r} against "
                                    f"{_fmt(nik.birth_date)} in the NIK")
        elif birth.value is None:
            row.error("birth_date", f"{birth.text!r} is not a valid DD-MM-YYYY date")
        else:
            row.error("birth_date", f"{_fmt(birth.value)} disagrees with the NIK "
                                    f"({_fmt(nik.birth_date)})")
        return None


class RosterDuplicates:
    """Remembers NIKs and NISNs seen in one import; later copies are invalid."""

    def __init__(self) -> None:
        # keyed by the identifiers as integers: about half the memory of strings, and a
        # 100,000-row roster stays a few MB (NIK and NISN are all digits, fixed length)
        self._nik_rows: dict[int, int] = {}
        self._nisn_rows: dict[int, int] = {}

    def check(self, verdict: RowVerdict) -> RowVerdict:
        student = verdict.student
        if student is None:
            return verdict
        first = self._nik_rows.setdefault(int(student.nik), verdict.row)
        if first != verdict.row:
            return verdict.invalidated("nik", f"duplicate of row {first} (same NIK)")
        first = self._nisn_rows.setdefault(int(student.nisn), verdict.row)
        if first != verdict.row:
            return verdict.invalidated("nisn", f"row {first} has the same NISN with another NIK")
        return verdict


def mark_already_recorded(verdict: RowVerdict) -> RowVerdict:
    """The central registry already holds a KTP-el record for this NIK."""
    if verdict.category is Category.INVALID:
        return verdict
    return verdict.model_copy(
        update={"category": Category.ALREADY_RECORDED, "eligible_on": None}
    )


def mark_on_other_roster(verdict: RowVerdict, other_npsn: str) -> RowVerdict:
    """The NIK is already on another school's roster: flagged, not recorded twice."""
    if verdict.category is Category.INVALID:
        return verdict
    return verdict.invalidated(
        "nik", f"also on the roster of school {other_npsn}; the schools must settle "
               "which one the student attends"
    )
