"""NIK helpers needed by printing: format check and the masked form used in public events."""

import re

NIK_PATTERN = re.compile(r"^\d{16}$")


def is_nik(value: str) -> bool:
    return bool(NIK_PATTERN.fullmatch(value))


def mask_nik(nik: str) -> str:
    """`3603014101090001` -> `3603********0001`: regency and serial only, as in shared events."""
    if not is_nik(nik):
        raise ValueError("NIK must be 16 digits")
    return nik[:4] + "*" * 8 + nik[-4:]
