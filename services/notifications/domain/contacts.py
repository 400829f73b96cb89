"""The service's own directory of who can be told what, and how.

Schools come from public ``school.*`` events (an office email and phone are not
personal data). Students and their guardians come from the restricted
``student.contact_updated`` event: phone, language, preferred channel, opt-outs.
"""

import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .language import DEFAULT_LANGUAGE, Channel, Language

_PHONE = re.compile(r"^\+[1-9]\d{7,14}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(raw: str) -> str:
    value = raw.strip()
    if not _EMAIL.match(value):
        raise ValueError("not an email address")
    return value


def normalise_phone(raw: str) -> str:
    """Phone numbers as E.164: Indonesian 08... and 62... become +62...; +<country>... is kept."""
    digits = re.sub(r"[\s\-().]", "", raw)
    if digits.startswith("+"):
        candidate = digits
    elif digits.startswith("62"):
        candidate = "+" + digits
    elif digits.startswith("0"):
        candidate = "+62" + digits[1:]
    else:
        candidate = digits
    if not _PHONE.match(candidate):
        raise ValueError("not a phone number (expected 08..., 62... or +<country code>...)")
    return candidate


class RecipientKind(StrEnum):
    SCHOOL = "school"
    STUDENT = "student"
    GUARDIAN = "guardian"
    OPERATIONS = "operations"


class Preferences(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    language: Language = DEFAULT_LANGUAGE
    phone_channel: Channel = Channel.SMS
    """SMS or WhatsApp for messages to a phone."""
    opted_out: frozenset[Channel] = frozenset()

    @field_validator("phone_channel")
    @classmethod
    def _phone_only(cls, value: Channel) -> Channel:
        if not value.is_phone:
            raise ValueError("the phone channel must be sms or whatsapp")
        return value


class SchoolContact(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    school_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    email: str | None = None
    phone: str | None = None
    preferences: Preferences = Preferences()
    version: int = Field(default=0, ge=0)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else normalise_email(value)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return None if value is None else normalise_phone(value)

    @property
    def recipient_id(self) -> str:
        return f"school:{self.school_id}"


class GuardianContact(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    guardian_id: str = Field(min_length=1, description="Stable within the student, e.g. 'mother'.")
    phone: str
    preferences: Preferences = Preferences()

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return normalise_phone(value)


class StudentContact(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    student_id: str = Field(min_length=1)
    school_id: str = Field(min_length=1)
    phone: str | None = None
    minor: bool = True
    """Under 18: guardians are told too. Unknown counts as a minor — told rather than not."""
    preferences: Preferences = Preferences()
    guardians: tuple[GuardianContact, ...] = ()
    version: int = Field(default=0, ge=0)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return None if value is None else normalise_phone(value)

    @property
    def recipient_id(self) -> str:
        return f"student:{self.student_id}"



class Recipient(BaseModel):
    """One person or office to be told, resolved to one channel and address."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    recipient_id: str
    kind: RecipientKind
    channel: Channel
    address: str
    language: Language = DEFAULT_LANGUAGE
    opted_out: bool = False


def school_recipients(school: SchoolContact, channels: tuple[Channel, ...] = (Channel.EMAIL,)) -> list[Recipient]:
    out: list[Recipient] = []
    for channel in channels:
        address = school.email if channel is Channel.EMAIL else school.phone
        if address is None:
            continue
        out.append(
            Recipient(
                recipient_id=school.recipient_id,
                kind=RecipientKind.SCHOOL,
                channel=channel,
                address=str(address),
                language=school.preferences.language,
                opted_out=channel in school.preferences.opted_out,
            )
        )
    return out


def _phone_recipient(recipient_id: str, kind: RecipientKind, phone: str, prefs: Preferences) -> Recipient:
    channel = prefs.phone_channel
    return Recipient(
        recipient_id=recipient_id,
        kind=kind,
        channel=channel,
        address=phone,
        language=prefs.language,
        opted_out=channel in prefs.opted_out,
    )


def student_recipients(student: StudentContact) -> list[Recipient]:
    """The student by phone, and each guardian too while the student is a minor."""
    out: list[Recipient] = []
    if student.phone is not None:
        out.append(
            _phone_recipient(student.recipient_id, RecipientKind.STUDENT, student.phone, student.preferences)
        )
    if student.minor:
        for guardian in student.guardians:
            out.append(
                _phone_recipient(
                    f"guardian:{student.student_id}:{guardian.guardian_id}",
                    RecipientKind.GUARDIAN,
                    guardian.phone,
                    guardian.preferences,
                )
            )
    return out


def operations_recipients(emails: list[str], language: Language = DEFAULT_LANGUAGE) -> list[Recipient]:
    return [
        Recipient(
            recipient_id=f"operations:{email.lower()}",
            kind=RecipientKind.OPERATIONS,
            channel=Channel.EMAIL,
            address=email,
            language=language,
        )
        for email in emails
    ]
