"""NIK (Nomor Induk Kependudukan): 16 digits, area code, birth date with +40 for women, serial."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

# Province codes in use (Kemendagri). 2-digit prefix of every NIK and KK.
PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15", "16", "17", "18", "19", "21",
        "31", "32", "33", "34", "35", "36",
        "51", "52", "53",
        "61", "62", "63", "64", "65",
        "71", "72", "73", "74", "75", "76",
        "81", "82",
        "91", "92", "93", "94", "95", "96", "97",
    }
)


class Sex(StrEnum):
    MALE = "L"  # laki-laki
    FEMALE = "P"  # perempuan


class NikError(ValueError):
    """The NIK cannot be used; the message is the reason shown to the operator."""


@dataclass(frozen=True, slots=True)
class Nik:
    value: str
    area_code: str  # province + regency, e.g. 3603
    district_code: str  # province + regency + district, 6 digits
    birth_day: int  # day as written in the NIK, minus 40 for women
    birth_month: int
    birth_date: date
    sex: Sex
    serial: str

    @property
    def masked(self) -> str:
        return mask_nik(self.value)


def mask_nik(value: str) -> str:
    """`3603**********0001`: area code and serial only, for public events and reports."""
    if len(value) != 16:
        return "*" * len(value)
    return value[:4] + "*" * 8 + value[12:]


def nik_century_year(two_digits: int, reference: date) -> int:
    """NIKs carry a 2-digit year: the latest year not after the reference date's year."""
    year = 2000 + two_digits
    return year if year <= reference.year else year - 100


def parse_nik(digits: str, *, reference: date) -> Nik:
    """Parse a NIK already reduced to its digits. Raises NikError with the reason."""
    if not digits.isdigit() or not digits.isascii():
        raise NikError("must contain digits only")
    if len(digits) != 16:
        raise NikError(f"must have 16 digits, has {len(digits)}")
    province = digits[:2]
    if province not in PROVINCE_CODES:
        raise NikError(f"province code {province} does not exist")
    if digits[2:4] == "00" or digits[4:6] == "00":
        raise NikError(f"area code {digits[:6]} is not a regency and district")
    written_day, month, yy = int(digits[6:8]), int(digits[8:10]), int(digits[10:12])
    if 41 <= written_day <= 71:
        sex, day = Sex.FEMALE, written_day - 40
    elif 1 <= written_day <= 31:
        sex, day = Sex.MALE, written_day
    else:
        raise NikError(f"birth day {written_day:02d} is neither 01-31 (men) nor 41-71 (women)")
    year = nik_century_year(yy, reference)
    try:
        birth = date(year, month, day)
    except ValueError:
        raise NikError(
            f"birth date {day:02d}-{month:02d}-{yy:02d} in the NIK is not a calendar date"
        ) from None
    if birth > reference:
        raise NikError("birth date in the NIK is in the future")
    serial = digits[12:]
    if serial == "0000":
        raise NikError("serial 0000 is never issued")
    return Nik(
        value=digits,
        area_code=digits[:4],
        district_code=digits[:6],
        birth_day=day,
        birth_month=month,
        birth_date=birth,
        sex=sex,
        serial=serial,
    )
