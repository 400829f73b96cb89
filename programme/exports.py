"""The programme report as files: CSV and XLSX (safe to open in a spreadsheet) and a PDF summary.

Spreadsheet programs run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and some treat a
leading tab or carriage return the same way) as a formula, so a school name or note coming from
outside could run as one. Every such text cell is written with a leading apostrophe (the
OWASP "CSV injection" advice); numbers stay numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from programme.report import COLUMNS, ProgrammeReport, SchoolRow, totals_table

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A text cell that a spreadsheet would read as a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _rows(report: ProgrammeReport) -> list[list[object]]:
    def cells(row: SchoolRow) -> list[object]:
        return [safe_cell(getattr(row, attr)) for attr, _ in COLUMNS]

    return [cells(r) for r in report.schools] + [cells(report.totals)]


def write_csv(report: ProgrammeReport, path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow([heading for _, heading in COLUMNS])
        writer.writerows(_rows(report))
    return path


def write_xlsx(report: ProgrammeReport, path: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Per school"
    sheet.append([heading for _, heading in COLUMNS])
    for row in _rows(report):
        sheet.append(row)
    for cell in sheet[1] + sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for cell in sheet[1]:
        if cell.column_letter == "B":
            sheet.column_dimensions["B"].width = 42
    for text_cell in sheet.iter_rows(min_row=2):
        for cell in text_cell:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever the text
    totals = book.create_sheet("Totals")
    totals.append(["Category", "Students"])
    for label, value in totals_table(report):
        totals.append([safe_cell(label.strip()), value])
    checks = book.create_sheet("Checks and sources")
    checks.append(["Statement", "Holds"])
    for statement, holds in report.checks:
        checks.append([safe_cell(statement), "yes" if holds else "NO"])
    for line in report.notes + report.disagreements:
        checks.append([safe_cell(line), ""])
    book.save(path)
    return path


def write_pdf(report: ProgrammeReport, path: Path, *, title: str, subtitle: str = "") -> Path:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
    from xml.sax.saxutils import escape

    styles = getSampleStyleSheet()
    doc = SimpleDocTemplate(str(path), pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
                            topMargin=12 * mm, bottomMargin=12 * mm, title=title)
    story = [Paragraph(escape(title), styles["Title"])]
    if subtitle:
        story.append(Paragraph(escape(subtitle), styles["Normal"]))
    story.append(Paragraph(f"Generated {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC", styles["Normal"]))
    story.append(Spacer(1, 4 * mm))

    summary = Table([["Category", "Students"]] + [[label.replace("  ", "    "), f"{value:,}"]
                                                  for label, value in totals_table(report)],
                    colWidths=[110 * mm, 30 * mm])
    summary.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                                 ("FONTSIZE", (0, 0), (-1, -1), 8), ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                                 ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
                                 ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    story += [Paragraph("Totals (each indented group sums exactly to the line above it)", styles["Heading2"]),
              summary, Spacer(1, 3 * mm), Paragraph("Checks", styles["Heading2"])]
    for statement, holds in report.checks:
        story.append(Paragraph(("OK: " if holds else "<b>NOT TRUE:</b> ") + escape(statement), styles["Normal"]))
    story.append(Paragraph("Where sources disagree", styles["Heading2"]))
    for line in report.notes + (report.disagreements or ["No other source disagrees with these figures."]):
        story.append(Paragraph(escape(line), styles["Normal"]))

    story += [Spacer(1, 4 * mm), Paragraph("Per school", styles["Heading2"])]
    short = [("name", "School"), ("kecamatan", "Kecamatan"), ("target", "Target"), ("recorded", "Recorded"),
             ("printed", "Printed"), ("handed_over", "Handed over"), ("certificates", "Certif."),
             ("absent", "Absent"), ("catch_up", "Catch-up")]
    data = [[h for _, h in short]]
    for row in report.schools + [report.totals]:
        data.append([str(getattr(row, a)) for a, _ in short])
    table = Table(data, repeatRows=1, colWidths=[80 * mm, 35 * mm] + [20 * mm] * (len(short) - 2))
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                               ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
                               ("FONTSIZE", (0, 0), (-1, -1), 7), ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
                               ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                               ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    story.append(table)
    doc.build(story)
    return path


def export_all(report: ProgrammeReport, directory: Path, *, title: str, subtitle: str = "") -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    return {"csv": write_csv(report, directory / "programme-report.csv"),
            "xlsx": write_xlsx(report, directory / "programme-report.xlsx"),
            "pdf": write_pdf(report, directory / "programme-report.pdf", title=title, subtitle=subtitle)}
