"""Reading school lists from CSV (comma or semicolon, UTF-8 with or without BOM) and XLSX."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from ..domain.school_import import ImportFileError, ImportResult, check_columns, normalise_header, parse_school_rows

MAX_BYTES = 20 * 1024 * 1024


def import_schools(filename: str, content: bytes) -> ImportResult:
    if len(content) > MAX_BYTES:
        raise ImportFileError(f"file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    name = filename.lower()
    if name.endswith(".csv"):
        rows = _csv_rows(content)
    elif name.endswith(".xlsx"):
        rows = _xlsx_rows(content)
    else:
        raise ImportFileError("file type must be .csv or .xlsx")
    return parse_school_rows(rows)


def _mapped(header: list[object], data: Iterator[tuple[int, list[object]]]) -> Iterator[tuple[int, dict[str, object]]]:
    columns = normalise_header(header)
    check_columns(columns)
    for row_no, cells in data:
        yield row_no, {c: (cells[i] if i < len(cells) else None) for i, c in enumerate(columns) if c}


def _csv_rows(content: bytes) -> Iterator[tuple[int, dict[str, object]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"CSV is not UTF-8 (byte {exc.start})") from exc
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError("row 1: the file is empty") from None
    return _mapped(header, ((reader.line_num, row) for row in reader))


def _xlsx_rows(content: bytes) -> Iterator[tuple[int, dict[str, object]]]:
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError("not a readable .xlsx workbook") from exc
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    try:
        header = list(next(rows))
    except StopIteration:
        raise ImportFileError("row 1: the sheet is empty") from None
    return _mapped(header, ((i, list(r)) for i, r in enumerate(rows, start=2)))
