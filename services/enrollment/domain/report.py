"""The verification report: per school, categories that always sum to the total."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field, computed_field

from .nik import mask_nik
from .roster import Category, RowIssue, RowVerdict

UNKNOWN_SCHOOL = "(no valid NPSN)"


class NotYetEligible(BaseModel):
    row: int
    nik_masked: str
    eligible_on: date


class InvalidRow(BaseModel):
    row: int
    reasons: list[RowIssue]


class SchoolReport(BaseModel):
    npsn: str
    total: int = 0
    already_recorded: int = 0
    ready_to_record: int = 0
    not_yet_eligible: int = 0
    invalid: int = 0
    warnings: int = 0
    not_yet_eligible_rows: list[NotYetEligible] = Field(default_factory=list)
    invalid_rows: list[InvalidRow] = Field(default_factory=list)
    warning_rows: list[RowIssue] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def sums_to_total(self) -> bool:
        return (self.already_recorded + self.ready_to_record + self.not_yet_eligible
                + self.invalid) == self.total

    def add(self, verdict: RowVerdict) -> None:
        self.total += 1
        match verdict.category:
            case Category.ALREADY_RECORDED:
                self.already_recorded += 1
            case Category.READY_TO_RECORD:
                self.ready_to_record += 1
            case Category.NOT_YET_ELIGIBLE:
                self.not_yet_eligible += 1
                assert verdict.student is not None and verdict.eligible_on is not None
                self.not_yet_eligible_rows.append(NotYetEligible(
                    row=verdict.row, nik_masked=mask_nik(verdict.student.nik),
                    eligible_on=verdict.eligible_on))
            case Category.INVALID:
                self.invalid += 1
                self.invalid_rows.append(InvalidRow(row=verdict.row, reasons=verdict.errors))
        warnings = verdict.warnings
        if warnings:
            self.warnings += 1
            self.warning_rows.extend(warnings)


class RosterReport(BaseModel):
    """Report of one import, split by school (a provincial file may hold many)."""

    source: str
    schools: dict[str, SchoolReport] = Field(default_factory=dict)

    def add(self, verdict: RowVerdict) -> None:
        key = verdict.npsn or UNKNOWN_SCHOOL
        school = self.schools.get(key)
        if school is None:
            school = self.schools[key] = SchoolReport(npsn=key)
        school.add(verdict)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total(self) -> int:
        return sum(s.total for s in self.schools.values())

    def count(self, category: Category) -> int:
        return sum(getattr(s, category.value) for s in self.schools.values())

    @computed_field  # type: ignore[prop-decorator]
    @property
    def sums_to_total(self) -> bool:
        return all(s.sums_to_total for s in self.schools.values())
