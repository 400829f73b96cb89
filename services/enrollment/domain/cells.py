"""Turning one spreadsheet cell into a typed value, or into a reason it cannot be used.

Rosters come from spreadsheets filled by hand in many schools: numbers lose their
leading zeros or turn into 3.60301E+15, dates become Excel serial numbers, someone
types a formula. Every function here either returns a clean value or raises
FieldError whose message is the reason shown next to the row and field.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from .nik import Sex

Cell = str | int | float | date | datetime | None

EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01 once Excel's 1900 leap bug is skipped
_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+$")
_NUMBERISH = re.compile(r"^[+-]?[\d\s().-]*$")
_EMPTY_MARKERS = {"-", "--", "n/a", "na", "#n/a", "null", "none", "tidak ada", "0"}


class FieldError(ValueError):
    """A cell that cannot be used; the message is the reason."""


def clean_text(value: Cell) -> str | None:
    """Spreadsheet cell to text: NFC, outer whitespace stripped, runs of spaces collapsed."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, int):
        return str(value)
    text = unicodedata.normalize("NFC", str(value)).replace("\u00a0", " ")
    text = " ".join(text.split())
    return text or None


def looks_like_formula(text: str) -> bool:
    """`=SUM(..)`, `@cmd`, `+A1`, `-2+3`: content a spreadsheet would execute."""
    if not text:
        return False
    if text[0] in "=@":
        return True
    if text[0] in "+-" and len(text) > 1:
        return not _NUMBERISH.match(text)
    return False


def reject_formula(text: str | None) -> str | None:
    if text is not None and looks_like_formula(text):
        raise FieldError("looks like a spreadsheet formula, not a value")
    return text


def is_empty_marker(text: str | None) -> bool:
    return text is None or text.casefold() in _EMPTY_MARKERS


def identifier_digits(value: Cell, *, length: int) -> str:
    """NIK, KK, NISN, NPSN: the digits of the cell, with the spreadsheet damage named."""
    if isinstance(value, float) and not value.is_integer():
        raise FieldError("is a fraction, not a number")
    text = clean_text(value)
    if text is None:
        raise FieldError("is missing")
    if looks_like_formula(text):
        raise FieldError("looks like a spreadsheet formula, not a value")
    text = text.lstrip("'\u2019`")  # spreadsheet 'text' marker
    if _SCIENTIFIC.match(text.replace(" ", "")):
        raise FieldError(
            f"was shortened by a spreadsheet to {text}; format the column as text and export again"
        )
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    digits = re.sub(r"[\s.\-]", "", text)
    if not digits.isdigit() or not digits.isascii():
        raise FieldError(f"must contain digits only, got {text!r}")
    if len(digits) != length:
        hint = ""
        if len(digits) < length and isinstance(value, (int, float)):
            hint = "; a spreadsheet may have dropped leading zeros, format the column as text"
        raise FieldError(f"must have {length} digits, has {len(digits)}{hint}")
    return digits


# ---- dates ------------------------------------------------------------------

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("januari", "january", "jan"),
            ("februari", "february", "feb", "pebruari"),
            ("maret", "march", "mar"),
            ("april", "apr"),
            ("mei", "may"),
            ("juni", "june", "jun"),
            ("juli", "july", "jul"),
            ("agustus", "august", "agu", "agt", "aug"),
            ("september", "sep", "sept"),
            ("oktober", "october", "okt", "oct"),
            ("november", "nov", "nopember"),
            ("desember", "december", "des", "dec"),
        ],
        start=1,
    )
    for name in names
}
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_DMY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2,4})$")
_COMPACT = re.compile(r"^(\d{2})(\d{2})(\d{4})$")  # 31122008
_WORDS = re.compile(r"^(\d{1,2})[\s-]+([^\W\d_]+)[\s-]+(\d{4})$")


@dataclass(frozen=True, slots=True)
class BirthDateCell:
    """A birth date as read: `value` in day/month order, or, when the cell only makes
    sense month-first, `month_first` with `value` None (decided against the NIK)."""

    text: str
    value: date | None
    month_first: date | None = None
    from_excel_serial: bool = False


def excel_serial_to_date(serial: float) -> date:
    whole = int(serial)
    if whole < 61:  # before 1900-03-01 Excel counts a 29 Feb 1900 that never was
        raise FieldError(f"Excel serial {whole} is before 1900-03-01")
    return EXCEL_EPOCH + timedelta(days=whole)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_birth_date(value: Cell) -> BirthDateCell:
    if isinstance(value, date):  # a date cell; Excel may have read it month-first
        day = value.date() if isinstance(value, datetime) else value
        swapped = _safe_date(day.year, day.day, day.month) if day.day != day.month else None
        return BirthDateCell(day.strftime("%d-%m-%Y"), day, swapped)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not 10_000 <= value <= 80_000:
            raise FieldError(f"number {value} is not a date or an Excel date serial")
        return BirthDateCell(str(value), excel_serial_to_date(value), from_excel_serial=True)
    text = clean_text(value)
    if text is None:
        raise FieldError("is missing")
    if looks_like_formula(text):
        raise FieldError("looks like a spreadsheet formula, not a value")
    text = text.lstrip("'\u2019`")
    serial = text[:-2] if text.endswith(".0") else text
    if serial.isdigit() and len(serial) == 5:
        return BirthDateCell(text, excel_serial_to_date(int(serial)), from_excel_serial=True)
    if m := _ISO.match(text):
        year, month, day = (int(g) for g in m.groups())
        parsed = _safe_date(year, month, day)
        if parsed is None:
            raise FieldError(f"{text!r} is not a calendar date")
        return BirthDateCell(text, parsed)
    if m := _DMY.match(text) or _COMPACT.match(text):
        first, second, year_text = m.groups()
        if len(year_text) != 4:
            raise FieldError(f"{text!r} needs a 4-digit year (DD-MM-YYYY)")
        first_n, second_n, year = int(first), int(second), int(year_text)
        day_first = _safe_date(year, second_n, first_n)
        month_first = _safe_date(year, first_n, second_n) if first_n != second_n else None
        if day_first is None and month_first is None:
            raise FieldError(f"{text!r} is not a calendar date")
        return BirthDateCell(text, day_first, month_first)
    if m := _WORDS.match(text):
        day_text, month_name, year_text = m.groups()
        month = _MONTHS.get(month_name.casefold())
        if month is None:
            raise FieldError(f"unknown month {month_name!r} in {text!r}")
        parsed = _safe_date(int(year_text), month, int(day_text))
        if parsed is None:
            raise FieldError(f"{text!r} is not a calendar date")
        return BirthDateCell(text, parsed)
    raise FieldError(f"{text!r} is not a date (expected DD-MM-YYYY)")


# ---- small enumerations -----------------------------------------------------

_SEX = {
    "l": Sex.MALE, "lk": Sex.MALE, "laki-laki": Sex.MALE, "laki laki": Sex.MALE,
    "laki": Sex.MALE, "pria": Sex.MALE, "m": Sex.MALE, "male": Sex.MALE,
    "p": Sex.FEMALE, "pr": Sex.FEMALE, "perempuan": Sex.FEMALE, "wanita": Sex.FEMALE,
    "f": Sex.FEMALE, "female": Sex.FEMALE, "w": Sex.FEMALE,
}


def parse_sex(value: Cell) -> Sex:
    text = reject_formula(clean_text(value))
    if text is None:
        raise FieldError("is missing")
    sex = _SEX.get(text.casefold())
    if sex is None:
        raise FieldError(f"{text!r} is not L (laki-laki) or P (perempuan)")
    return sex


class MaritalStatus(StrEnum):
    BELUM_KAWIN = "BELUM KAWIN"
    KAWIN = "KAWIN"
    CERAI_HIDUP = "CERAI HIDUP"
    CERAI_MATI = "CERAI MATI"

    @property
    def ever_married(self) -> bool:
        return self is not MaritalStatus.BELUM_KAWIN


_MARITAL = {
    "belum kawin": MaritalStatus.BELUM_KAWIN, "belum menikah": MaritalStatus.BELUM_KAWIN,
    "bk": MaritalStatus.BELUM_KAWIN, "single": MaritalStatus.BELUM_KAWIN,
    "unmarried": MaritalStatus.BELUM_KAWIN, "lajang": MaritalStatus.BELUM_KAWIN,
    "kawin": MaritalStatus.KAWIN, "menikah": MaritalStatus.KAWIN, "k": MaritalStatus.KAWIN,
    "married": MaritalStatus.KAWIN, "sudah menikah": MaritalStatus.KAWIN,
    "cerai hidup": MaritalStatus.CERAI_HIDUP, "ch": MaritalStatus.CERAI_HIDUP,
    "divorced": MaritalStatus.CERAI_HIDUP,
    "cerai mati": MaritalStatus.CERAI_MATI, "cm": MaritalStatus.CERAI_MATI,
    "widowed": MaritalStatus.CERAI_MATI,
}


def parse_marital_status(value: Cell) -> MaritalStatus:
    text = reject_formula(clean_text(value))
    if is_empty_marker(text):
        return MaritalStatus.BELUM_KAWIN
    status = _MARITAL.get(text.casefold())
    if status is None:
        raise FieldError(
            f"{text!r} is not one of: belum kawin, kawin, cerai hidup, cerai mati"
        )
    return status


# ---- names and phones -------------------------------------------------------

_NAME_PUNCTUATION = set(" '\u2019.,-")


def parse_name(value: Cell) -> tuple[str, bool]:
    """A person's name as written. Returns (name, has_non_latin_letters)."""
    text = reject_formula(clean_text(value))
    if text is None:
        raise FieldError("is missing")
    text = text.replace("`", "'")
    if any(ch.isdigit() for ch in text):
        raise FieldError("contains digits")
    odd = sorted({ch for ch in text if not (ch.isalpha() or ch in _NAME_PUNCTUATION
                                               or unicodedata.category(ch) == "Mn")})
    if odd:
        raise FieldError(f"contains characters not used in names: {' '.join(odd)}")
    if not any(ch.isalpha() for ch in text):
        raise FieldError("has no letters")
    if len(text) > 100:
        raise FieldError(f"is {len(text)} characters long, at most 100")
    non_latin = any(
        ch.isalpha() and not unicodedata.name(ch, "").startswith("LATIN") for ch in text
    )
    return text, non_latin


def parse_place(value: Cell) -> str | None:
    text = reject_formula(clean_text(value))
    if is_empty_marker(text):
        return None
    if any(ch.isdigit() for ch in text):
        raise FieldError("contains digits")
    return text


def parse_phone(value: Cell) -> str | None:
    """Indonesian mobile number to E.164 (+628...). None when the cell is empty."""
    text = clean_text(value)
    if is_empty_marker(text):
        return None
    if looks_like_formula(text):
        raise FieldError("looks like a spreadsheet formula, not a value")
    digits = re.sub(r"[\s().\-']", "", text)
    if digits.startswith("+"):
        digits = digits[1:]
        if not digits.startswith("62"):
            raise FieldError(f"{text!r} is not an Indonesian number (+62)")
    if not digits.isdigit():
        raise FieldError(f"{text!r} is not a phone number")
    if digits.startswith("62"):
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        national = digits  # 812... : leading zero dropped by a spreadsheet
    if not national.startswith("8"):
        raise FieldError(f"{text!r} is not a mobile number (08...)")
    if not 9 <= len(national) <= 12:
        raise FieldError(f"{text!r} has {len(national) + 1} digits, a mobile number has 10 to 13")
    return "+62" + national


def parse_free_text(value: Cell, *, max_length: int = 60) -> str | None:
    text = reject_formula(clean_text(value))
    if is_empty_marker(text):
        return None
    if len(text) > max_length:
        raise FieldError(f"is {len(text)} characters long, at most {max_length}")
    return text
