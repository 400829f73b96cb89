"""A guardian's consent before a minor's biometrics are captured (UU 27/2022)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from .eligibility import AgePolicy


class ConsentMethod(StrEnum):
    SIGNED_FORM = "signed_form"  # reference: the form's number
    SMS_CONFIRMATION = "sms_confirmation"  # reference: the confirmation message id


class ConsentRequired(Exception):
    """Capture refused: the student is a minor and no active consent is on file."""


class ConsentError(ValueError):
    """A consent record that cannot be accepted or changed."""


class Consent(BaseModel):
    model_config = ConfigDict(frozen=True)

    consent_id: str = Field(min_length=1)
    guardian_name: str = Field(min_length=1, max_length=100)
    relationship: str = Field(min_length=1, max_length=40)  # ayah, ibu, wali...
    method: ConsentMethod
    reference: str = Field(min_length=3, max_length=80)
    given_at: AwareDatetime
    recorded_by: str = Field(min_length=1)
    withdrawn_at: AwareDatetime | None = None
    withdrawn_by: str | None = None
    withdrawal_reason: str | None = None

    @model_validator(mode="after")
    def _withdrawal_after_giving(self) -> Consent:
        if self.withdrawn_at is not None and self.withdrawn_at < self.given_at:
            raise ValueError("withdrawn before it was given")
        return self

    def active_at(self, at: datetime) -> bool:
        return self.given_at <= at and (self.withdrawn_at is None or at < self.withdrawn_at)

    def withdraw(self, *, by: str, at: datetime, reason: str | None = None) -> Consent:
        if self.withdrawn_at is not None:
            raise ConsentError(f"consent {self.consent_id} was already withdrawn")
        if at < self.given_at:
            raise ConsentError("a consent cannot be withdrawn before it was given")
        return self.model_copy(update={"withdrawn_at": at, "withdrawn_by": by,
                                       "withdrawal_reason": reason})


def accept_consent(consent: Consent, *, now: datetime) -> Consent:
    if consent.given_at > now:
        raise ConsentError("given_at is in the future")
    return consent


def consent_for_capture(
    birth: date, at: datetime, consents: Iterable[Consent], policy: AgePolicy,
    *, today: date | None = None,
) -> Consent | None:
    """The consent that allows capture at `at`, None for an adult; raises ConsentRequired.
    `today` (default: `at`'s date) is the day the age is counted on."""
    if not policy.needs_guardian_consent(birth, today or at.date()):
        return None
    active = [c for c in consents if c.active_at(at)]
    if not active:
        raise ConsentRequired(
            f"the student is under {policy.adult_age}: a guardian's consent (signed form "
            "reference or SMS confirmation) must be on file before capture"
        )
    return max(active, key=lambda c: c.given_at)
