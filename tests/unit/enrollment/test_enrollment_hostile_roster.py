"""The hostile roster, read from a real CSV (BOM, semicolons) and a real XLSX."""

import codecs
import csv
import io
from datetime import datetime

import pytest
from openpyxl import Workbook

import enrollment_hostile as hostile
from enrollment_synthetic import HOME_SCHOOL, OTHER_SCHOOL, TODAY
from services.enrollment.adapters.roster_reader import RosterFile
from services.enrollment.domain.verification import RosterVerifier, VerificationContext
from services.enrollment.importing import import_roster


class Registry:
    def __init__(self, recorded):
        self.known = set(recorded)
        self.asked: list[str] = []

    async def recorded(self, niks):
        self.asked.extend(niks)
        return self.known & set(niks)


class Rosters:
    async def other_schools(self, schools_of):
        return {nik: OTHER_SCHOOL for nik, school in schools_of.items()
                if nik == hostile.ELSEWHERE_NIK and school != OTHER_SCHOOL}


class Sink:
    def __init__(self):
        self.saved = []

    async def save(self, verdicts):
        self.saved.extend(verdicts)


def write_csv(path):
    text = io.StringIO()
    csv.writer(text, delimiter=";", lineterminator="\r\n").writerows(hostile.lines_in_order())
    path.write_bytes(codecs.BOM_UTF8 + text.getvalue().encode("utf-8"))


def write_xlsx(path):
    book = Workbook()
    sheet = book.active
    for cells in hostile.lines_in_order():
        typed = []
        for field, value in zip(hostile.FIELDS, cells, strict=True):
            if field == "birth_date" and isinstance(value, str) and value.count("-") == 2:
                day, month, year = value.split("-")
                try:
                    value = datetime(int(year), int(month), int(day))  # a real date cell
                except ValueError:
                    pass
            elif field == "birth_date" and value == "39945":
                value = 39945  # a date cell that lost its format: the serial number
            elif field == "nik" and isinstance(value, str) and value.isdigit() and len(value) == 16:
                value = int(value)  # typed as a number
            typed.append(value if value != "" else None)
        sheet.append(typed)
    book.save(path)


async def run_import(path):
    verifier = RosterVerifier(VerificationContext(
        today=TODAY, known_schools={HOME_SCHOOL, OTHER_SCHOOL}))
    sink = Sink()
    registry = Registry({hostile.RECORDED_NIK})
    with RosterFile(path) as roster:
        report = await import_roster(roster.lines(), verifier, source=path.name,
                                     registry=registry, rosters=Rosters(), sink=sink,
                                     batch_size=7)
        assert roster.progress == 1.0
    return report, sink.saved, registry


@pytest.fixture(params=["csv", "xlsx"])
def hostile_file(request, tmp_path):
    path = tmp_path / f"roster.{request.param}"
    (write_csv if request.param == "csv" else write_xlsx)(path)
    return path


async def test_every_row_gets_its_exact_category_and_reasons(hostile_file):
    report, verdicts, _ = await run_import(hostile_file)
    by_row = {v.row: v for v in verdicts}
    assert sorted(by_row) == [number for number, *_ in hostile.ROWS]
    assert hostile.BLANK_ROW not in by_row
    for number, _, category, issues in hostile.ROWS:
        verdict = by_row[number]
        got = [(i.severity.value, i.field, i.reason) for i in verdict.issues]
        assert (number, verdict.category.value, got) == (number, category, issues)


async def test_report_categories_sum_to_the_total(hostile_file):
    report, _, _ = await run_import(hostile_file)
    school = report.schools[HOME_SCHOOL]
    counts = hostile.expected_counts()
    assert school.already_recorded == counts["already_recorded"] == 1
    assert school.ready_to_record == counts["ready_to_record"]
    assert school.not_yet_eligible == counts["not_yet_eligible"] == 2
    unknown = report.schools["99999999"]
    assert unknown.invalid == unknown.total == 1
    assert school.invalid + unknown.invalid == counts["invalid"]
    assert report.total == len(hostile.ROWS)
    assert report.sums_to_total and school.sums_to_total
    assert {r.row: r.eligible_on for r in school.not_yet_eligible_rows} == hostile.ELIGIBLE_ON
    assert {r.row for r in school.invalid_rows} | {21} == {
        n for n, _, c, _ in hostile.ROWS if c == "invalid"}


async def test_every_valid_row_is_kept_with_clean_values(hostile_file):
    _, verdicts, registry = await run_import(hostile_file)
    students = {v.row: v.student for v in verdicts if v.student is not None}
    assert len(students) == sum(1 for *_, c, _ in hostile.ROWS if c != "invalid")
    assert students[4].birth_date.isoformat() == "2009-05-12"  # Excel serial
    assert students[10].birth_date.isoformat() == "2008-02-29"
    assert students[16].name == "O'Neil Ma'ruf"
    assert students[16].guardian_phone is None
    assert students[13].name == "Nguyễn Thị Hằng"
    assert students[27].nik.isdigit() and students[27].class_name == "XII; IPA 1"
    assert students[27].phone is None and students[27].guardian_name is None
    assert students[2].phone == "+6281200000002"
    assert students[19].marital_status.ever_married
    # the registry is asked only about rows that could be recorded
    assert hostile.ELSEWHERE_NIK not in registry.asked
    assert len(registry.asked) == len(set(registry.asked))


async def test_report_never_shows_a_full_nik(hostile_file):
    report, _, _ = await run_import(hostile_file)
    text = report.model_dump_json()
    for row in report.schools[HOME_SCHOOL].not_yet_eligible_rows:
        assert "********" in row.nik_masked
    assert hostile.RECORDED_NIK not in text


def test_stored_report_keeps_counts_and_cuts_long_row_lists():
    from services.enrollment.roster_service import for_storage

    report = {"schools": {"20612345": {
        "total": 9, "invalid": 9, "invalid_rows": [{"row": n} for n in range(9)],
        "not_yet_eligible_rows": [], "warning_rows": [{"row": 1}]}}}
    stored = for_storage(report, limit=4)["schools"]["20612345"]
    assert stored["invalid"] == 9 and len(stored["invalid_rows"]) == 4
    assert stored["invalid_rows_omitted"] == 5
    assert "warning_rows_omitted" not in stored
