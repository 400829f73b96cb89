"""Temporary certificate (Surat Keterangan) issued when a unit has no blank left.

It stands in for the KTP-el for six months from the day of issue; the card is printed
when stock arrives. Its number is derived from the card request, so issuing it again
for the same request gives the same certificate.
"""

from __future__ import annotations

import calendar
import hashlib
from datetime import date

from pydantic import BaseModel, ConfigDict

from .card import CardFields

VALID_MONTHS = 6


def add_months(day: date, months: int) -> date:
    """Same day `months` later, clamped to the month's end (31 Aug + 6 -> 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def certificate_number(letter_code: str, unit_id: str, request_id: str, issued_on: date) -> str:
    digest = hashlib.sha256(request_id.encode()).hexdigest()[:8].upper()
    unit = "".join(ch for ch in unit_id.upper() if ch.isalnum())[:12] or "UNIT"
    return f"{letter_code}/SK-KTP/{unit}/{issued_on:%Y}/{digest}"


class TemporaryCertificate(BaseModel):
    model_config = ConfigDict(frozen=True)

    number: str
    job_id: str
    request_id: str
    student_id: str
    unit_id: str
    npsn: str
    fields: CardFields
    issued_on: date
    valid_until: date

    @classmethod
    def issue(
        cls, *, letter_code: str, job_id: str, request_id: str, student_id: str, unit_id: str,
        npsn: str, fields: CardFields, issued_on: date,
    ) -> TemporaryCertificate:
        return cls(
            number=certificate_number(letter_code, unit_id, request_id, issued_on),
            job_id=job_id, request_id=request_id, student_id=student_id, unit_id=unit_id, npsn=npsn,
            fields=fields, issued_on=issued_on, valid_until=add_months(issued_on, VALID_MONTHS),
        )
