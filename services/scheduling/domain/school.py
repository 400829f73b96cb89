"""Schools: the places a mobile unit visits, identified by their NPSN."""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

NPSN_PATTERN = re.compile(r"^\d{8}$")


class SchoolKind(StrEnum):
    SMA = "SMA"
    SMK = "SMK"
    MA = "MA"
    SLB = "SLB"


class Ownership(StrEnum):
    NEGERI = "negeri"
    SWASTA = "swasta"


class Coordinates(BaseModel):
    model_config = ConfigDict(frozen=True)

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class OfficialContact(BaseModel):
    """The school's office contact (not personal data: an institution's published line)."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1, max_length=120)
    office_phone: str = Field(pattern=r"^\+?[0-9][0-9 \-]{5,19}$")
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)


class School(BaseModel):
    model_config = ConfigDict(frozen=True)

    npsn: str = Field(description="Nomor Pokok Sekolah Nasional, 8 digits")
    name: str = Field(min_length=1, max_length=200)
    kind: SchoolKind
    ownership: Ownership
    kecamatan: str = Field(min_length=1, max_length=100)
    address: str = Field(min_length=1, max_length=300)
    coordinates: Coordinates | None = None
    contact: OfficialContact | None = None
    ready_students: int = Field(
        0, ge=0, description="students ready to record (roster.verified, or an operator estimate)"
    )
    ready_source: str = Field("estimate", pattern=r"^(estimate|roster)$")

    @field_validator("npsn")
    @classmethod
    def _npsn_has_eight_digits(cls, value: str) -> str:
        value = value.strip()
        if not NPSN_PATTERN.match(value):
            raise ValueError("NPSN must be exactly 8 digits")
        return value

    @field_validator("kecamatan", "name", "address")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("must not be blank")
        return value
