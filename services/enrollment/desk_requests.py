"""What operators send to the recording desk (request bodies of the API)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from shared.events import models as ev

from .domain.capture import CapturePayload
from .domain.consent import ConsentMethod


class CheckIn(BaseModel):
    visit_id: str = Field(min_length=1)
    operator_id: str = Field(min_length=1)


class ConsentIn(BaseModel):
    guardian_name: str = Field(min_length=1, max_length=100)
    relationship: str = Field(min_length=1, max_length=40)
    method: ConsentMethod
    reference: str = Field(min_length=3, max_length=80)
    given_at: datetime
    operator_id: str = Field(min_length=1)


class Withdrawal(BaseModel):
    operator_id: str = Field(min_length=1)
    reason: str | None = Field(None, max_length=200)


CORRECTABLE = ("name", "birth_place", "class_name", "phone", "guardian_name", "guardian_phone",
               "marital_status")


class Correction(BaseModel):
    field: Literal["name", "birth_place", "class_name", "phone", "guardian_name",
                   "guardian_phone", "marital_status"]
    value: str | None
    operator_id: str = Field(min_length=1)
    reason: str = Field(min_length=3, max_length=200)


class CardDetails(BaseModel):
    """Biodata confirmed at the desk for the card (from the family card, KK)."""

    address: ev.CardAddress
    religion: str = Field(min_length=1, max_length=30)
    blood_type: Literal["A", "B", "AB", "O", "-"] = "-"
    birth_place: str | None = Field(None, min_length=1, max_length=60)


class CaptureIn(BaseModel):
    visit_id: str = Field(min_length=1)
    operator_id: str = Field(min_length=1)
    card_details: CardDetails
    biometrics: CapturePayload


class Approval(BaseModel):
    supervisor_id: str = Field(min_length=1)
