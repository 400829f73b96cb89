"""Clearly synthetic identities for enrollment tests (no real person's data)."""

from __future__ import annotations

from datetime import date

TODAY = date(2026, 7, 15)
HOME_SCHOOL = "20612345"  # synthetic NPSN
OTHER_SCHOOL = "20654321"


def nik(birth: date, *, female: bool = False, area: str = "360301", serial: int = 1) -> str:
    day = birth.day + (40 if female else 0)
    return f"{area}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


def nisn(n: int) -> str:
    return f"{n:010d}"


def kk(n: int) -> str:
    return f"3603012001{n:06d}"


def row(
    *,
    birth: date = date(2009, 5, 12),
    female: bool = False,
    serial: int = 1,
    n: int = 1,
    **overrides: object,
) -> dict[str, object]:
    cells: dict[str, object] = {
        "nisn": nisn(n),
        "nik": nik(birth, female=female, serial=serial),
        "kk": kk(n),
        "name": f"Siswa Contoh {chr(64 + n % 26 + 1)}",
        "birth_place": "Tangerang",
        "birth_date": birth.strftime("%d-%m-%Y"),
        "sex": "P" if female else "L",
        "npsn": HOME_SCHOOL,
        "class_name": "XII IPA 1",
        "phone": "0812-0000-0001",
        "guardian_name": "Wali Contoh",
        "guardian_phone": "+62 812 0000 0002",
        "marital_status": "Belum Kawin",
    }
    cells.update(overrides)
    return cells
