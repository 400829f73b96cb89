"""What is printed on a KTP-el: the holder's fields, photo and signature, and the issue data.

The values arrive in `card.requested` (restricted exchange); this model is the boundary
check before anything is rendered. Texts are printed upper case as on the real card.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .nik import is_nik

VALIDITY_LIFETIME = "SEUMUR HIDUP"
JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class Sex(StrEnum):
    MALE = "LAKI-LAKI"
    FEMALE = "PEREMPUAN"


class BloodType(StrEnum):
    A = "A"
    B = "B"
    AB = "AB"
    O = "O"
    UNKNOWN = "-"


def _printable(value: str) -> str:
    """Card fonts are Latin-1 (WinAnsi); refuse anything that would print as a box."""
    value = " ".join(value.split()).upper()
    try:
        value.encode("cp1252")
    except UnicodeEncodeError as exc:
        raise ValueError(f"character {value[exc.start]!r} cannot be printed on the card") from exc
    return value


CardText = Annotated[str, Field(min_length=1, max_length=80)]


class CardFields(BaseModel):
    """The holder's data printed on the card (DESIGN.md, card fields)."""

    model_config = ConfigDict(frozen=True)

    nik: str
    name: Annotated[str, Field(min_length=1, max_length=60)]
    birth_place: CardText
    birth_date: date
    sex: Sex
    blood_type: BloodType = BloodType.UNKNOWN
    street: CardText
    rt: Annotated[str, Field(pattern=r"^\d{1,3}$")]
    rw: Annotated[str, Field(pattern=r"^\d{1,3}$")]
    kelurahan_desa: CardText
    kecamatan: CardText
    religion: CardText
    marital_status: CardText
    occupation: CardText
    citizenship: CardText = "WNI"
    validity: CardText = VALIDITY_LIFETIME

    @field_validator("nik")
    @classmethod
    def _nik(cls, value: str) -> str:
        if not is_nik(value):
            raise ValueError("NIK must be exactly 16 digits")
        return value

    @field_validator(
        "name", "birth_place", "street", "kelurahan_desa", "kecamatan", "religion",
        "marital_status", "occupation", "citizenship", "validity",
    )
    @classmethod
    def _text(cls, value: str) -> str:
        value = _printable(value)
        if not value:
            raise ValueError("must not be blank")
        return value

    @field_validator("rt", "rw")
    @classmethod
    def _pad(cls, value: str) -> str:
        return value.zfill(3)

    @property
    def rt_rw(self) -> str:
        return f"{self.rt}/{self.rw}"

    @property
    def birth(self) -> str:
        return f"{self.birth_place}, {self.birth_date:%d-%m-%Y}"


class CardImages(BaseModel):
    """Photo (JPEG, embedded as is) and the holder's signature (PNG or JPEG), when captured."""

    model_config = ConfigDict(frozen=True)

    photo: bytes = Field(repr=False)
    signature: bytes | None = Field(default=None, repr=False)

    @field_validator("photo")
    @classmethod
    def _photo(cls, value: bytes) -> bytes:
        if not value.startswith(JPEG_MAGIC):
            raise ValueError("photo must be a JPEG image")
        return value

    @field_validator("signature")
    @classmethod
    def _signature(cls, value: bytes | None) -> bytes | None:
        if value is not None and not (value.startswith(PNG_MAGIC) or value.startswith(JPEG_MAGIC)):
            raise ValueError("signature must be a PNG or JPEG image")
        return value


class CardIssue(BaseModel):
    """Printed by the office, not the holder: where and when, and the blank's serial."""

    model_config = ConfigDict(frozen=True)

    province: CardText
    regency: CardText
    place_of_issue: CardText
    date_of_issue: date
    card_serial: Annotated[str, Field(min_length=1, max_length=40)]

    @field_validator("province", "regency", "place_of_issue")
    @classmethod
    def _text(cls, value: str) -> str:
        return _printable(value)


class Card(BaseModel):
    """Everything needed to render one KTP-el."""

    model_config = ConfigDict(frozen=True)

    fields: CardFields
    images: CardImages
    issue: CardIssue
