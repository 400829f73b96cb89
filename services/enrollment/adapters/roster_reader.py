"""Reading roster files row by row: CSV (comma, semicolon or tab; UTF-8 with or without
BOM) and XLSX (openpyxl read-only). Files are streamed, never loaded whole."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..domain.cells import Cell
from ..domain.roster import RosterFormatError, map_columns

_DELIMITERS = (",", ";", "\t", "|")
XLSX_MAGIC = b"PK\x03\x04"
HEADER_SEARCH_ROWS = 10  # the header is the first of these rows naming the columns


@dataclass(frozen=True, slots=True)
class RosterLine:
    """One data row: its number as the spreadsheet shows it (header = row 1)."""

    number: int
    cells: dict[str, Cell]


class _CountingReader(io.RawIOBase):
    """Binary stream that counts bytes read, for progress bars."""

    def __init__(self, inner: BinaryIO) -> None:
        self.inner = inner
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        data = self.inner.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.bytes_read += n
        return n


class RosterFile:
    """Context manager over a roster file. Iterate `lines()`; `progress` is 0..1."""

    def __init__(self, path: str | Path, *, name: str | None = None) -> None:
        self.path = Path(path)
        self.name = name or self.path.name
        self.size = self.path.stat().st_size
        self.kind = self._detect_kind()
        self.delimiter: str | None = None
        self._closers: list = []
        self._rows_done = 0
        self._rows_total: int | None = None
        self._counting: _CountingReader | None = None

    def _detect_kind(self) -> str:
        with self.path.open("rb") as f:
            head = f.read(4)
        if head == XLSX_MAGIC:
            return "xlsx"
        if self.path.suffix.lower() in {".xls"}:
            raise RosterFormatError("old .xls workbooks are not read; save as .xlsx or CSV UTF-8")
        return "csv"

    def __enter__(self) -> RosterFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        while self._closers:
            self._closers.pop()()

    @property
    def progress(self) -> float:
        if self.kind == "csv":
            done = self._counting.bytes_read if self._counting else 0
            return min(1.0, done / self.size) if self.size else 1.0
        if self._rows_total:
            return min(1.0, self._rows_done / self._rows_total)
        return 0.0

    def lines(self) -> Iterator[RosterLine]:
        raw_rows = self._csv_rows() if self.kind == "csv" else self._xlsx_rows()
        header: list[object] | None = None
        columns: dict[int, str] = {}
        first_error: RosterFormatError | None = None
        for number, values in raw_rows:
            self._rows_done = number
            if not any(v not in (None, "") for v in values):
                continue  # blank line: skipped, numbering kept
            if header is None:  # title lines may sit above the header
                try:
                    columns = map_columns(list(values))
                except RosterFormatError as exc:
                    first_error = first_error or exc
                    if number >= HEADER_SEARCH_ROWS:
                        raise first_error from None
                    continue
                header = list(values)
                continue
            yield RosterLine(
                number=number,
                cells={field: values[i] if i < len(values) else None
                       for i, field in columns.items()},
            )
        if header is None:
            raise first_error or RosterFormatError("the file has no header row")

    def _csv_rows(self) -> Iterator[tuple[int, list[object]]]:
        binary = self.path.open("rb")
        self._closers.append(binary.close)
        self._counting = _CountingReader(binary)
        buffered = io.BufferedReader(self._counting, buffer_size=1 << 16)
        # utf-8-sig drops a BOM when present; bad bytes become U+FFFD and are
        # reported on the row and field that hold them.
        text = io.TextIOWrapper(buffered, encoding="utf-8-sig", errors="replace", newline="")
        first = text.readline()
        if first.startswith(codecs.BOM_UTF8.decode("utf-8")):
            first = first[1:]
        self.delimiter = max(_DELIMITERS, key=first.count) if first.strip() else ","
        reader = csv.reader(_chain(first, text), delimiter=self.delimiter)
        for number, values in enumerate(reader, start=1):
            yield number, values

    def _xlsx_rows(self) -> Iterator[tuple[int, list[object]]]:
        from openpyxl import load_workbook
        from zipfile import BadZipFile

        try:
            workbook = load_workbook(self.path, read_only=True, data_only=False)
        except (BadZipFile, KeyError, OSError) as exc:
            raise RosterFormatError(f"not a readable XLSX workbook: {exc}") from None
        self._closers.append(workbook.close)
        sheet = workbook.worksheets[0]
        self._rows_total = sheet.max_row
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(values)


def _chain(first: str, rest: io.TextIOWrapper) -> Iterator[str]:
    yield first
    yield from rest
