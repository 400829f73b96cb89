"""Report exports: CSV and XLSX that cannot run a formula, and a PDF summary that reads back."""

from __future__ import annotations

import csv

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from programme.exports import export_all, safe_cell
from programme.report import StudentFacts, build_report

NASTY = ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


@pytest.mark.parametrize("text", NASTY)
def test_cells_that_would_run_as_formulas_get_a_quote(text: str) -> None:
    assert safe_cell(text) == "'" + text


def test_ordinary_cells_and_numbers_are_left_alone() -> None:
    assert safe_cell("SMAN 1 Contoh") == "SMAN 1 Contoh"
    assert safe_cell(-5) == -5 and safe_cell(0) == 0


@pytest.fixture
def report():
    schools = [{"npsn": "69900000", "name": NASTY[0], "kind": "SMA", "kecamatan": "@Balaraja"},
               {"npsn": "69900001", "name": "SMKN 1 Contoh", "kind": "SMK", "kecamatan": "-Cikupa"}]
    roster = {"69900000": {"total": 3, "already_recorded": 1, "ready_to_record": 2, "not_yet_eligible": 0, "invalid": 0},
              "69900001": {"total": 1, "already_recorded": 0, "ready_to_record": 1, "not_yet_eligible": 0, "invalid": 0}}
    students = [StudentFacts("a", "69900000", present=True, recorded=True, answer="print_ready",
                             card_requested=True, printed=1, handed_over=True),
                StudentFacts("b", "69900000", absent_visits=1),
                StudentFacts("c", "69900001", present=True, recorded=True, answer="duplicate")]
    return build_report(schools=schools, roster=roster, students=students, visits=[])


def test_csv_xlsx_and_pdf(report, tmp_path) -> None:
    files = export_all(report, tmp_path / "out", title="Programme report", subtitle="synthetic")
    with files["csv"].open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:2] == ["NPSN", "School"]
    assert rows[1][1] == "'" + NASTY[0] and rows[1][3] == "'@Balaraja" and rows[2][3] == "'-Cikupa"
    assert rows[-1][1] == "Total" and rows[-1][8] == "3"  # the target
    for row in rows[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)

    book = load_workbook(files["xlsx"])
    sheet = book["Per school"]
    assert sheet.cell(2, 2).value == "'" + NASTY[0] and sheet.cell(2, 2).data_type == "s"
    assert sheet.cell(4, 9).value == 3 and isinstance(sheet.cell(4, 9).value, int)
    assert {"Per school", "Totals", "Checks and sources"} <= set(book.sheetnames)
    totals = {r[0]: r[1] for r in book["Totals"].iter_rows(min_row=2, values_only=True)}
    assert totals["Target"] == 3 and totals["Recorded"] == 2
    checks = [r for r in book["Checks and sources"].iter_rows(min_row=2, values_only=True)]
    assert any(r[1] == "yes" for r in checks) and any("7,385" in r[0] for r in checks)

    text = "".join(page.extract_text() for page in PdfReader(files["pdf"]).pages)
    assert "Programme report" in text and "Per school" in text and "SMKN 1 Contoh" in text
    assert "7,385" in text and "OK:" in text
