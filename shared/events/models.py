"""Version 1 of the ``data`` of every event in DESIGN.md's catalogue.

Public models never carry a raw NIK, biometrics, phone numbers or addresses: a pseudonymous
``student_id`` and at most a masked NIK. Restricted models (``card.requested``,
``student.contact_updated``) travel on ``jemput.restricted`` to exactly one consumer.
Later issues may add optional fields; removing or changing one is a new type version.
Every event about an aggregate carries ``version``, the aggregate's change counter, so that a
consumer keeping a copy applies only what is newer than what it holds.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, EmailStr, Field, StringConstraints, model_validator

NPSN = Annotated[str, StringConstraints(pattern=r"^\d{8}$")]
MaskedNIK = Annotated[str, StringConstraints(pattern=r"^\d{4}\*{8}\d{4}$")]
NIK = Annotated[str, StringConstraints(pattern=r"^\d{16}$")]
StudentId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Version = Annotated[int, Field(ge=1)]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9]{6,16}$")]
Clock = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


def mask_nik(nik: str) -> str:
    """``3603015012070001`` -> ``3603********0001`` (region and serial only)."""
    return f"{nik[:4]}{'*' * 8}{nik[-4:]}"


class EventData(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- scheduling ---------------------------------------------------------------------------

class SchoolContact(EventData):
    """A school's official contact: office data, not personal data (DESIGN.md)."""

    name: str = Field(min_length=1)
    phone: str | None = None
    email: EmailStr | None = None


class SchoolData(EventData):
    npsn: NPSN
    name: str = Field(min_length=1)
    kind: Literal["SMA", "SMK", "MA", "SLB"]
    status: Literal["negeri", "swasta"]
    kecamatan: str = Field(min_length=1)
    address: str | None = None
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    contact: SchoolContact | None = None
    version: Version


class SchoolRegistered(SchoolData):
    pass


class SchoolUpdated(SchoolData):
    pass


class VisitData(EventData):
    visit_id: str = Field(min_length=1)
    plan_id: str | None = None
    npsn: NPSN
    school_name: str = Field(min_length=1)
    kecamatan: str = Field(min_length=1)
    unit_id: str = Field(min_length=1)
    date: dt.date
    session_start: Clock
    session_end: Clock
    expected_students: int = Field(ge=0)
    catch_up: bool = False
    version: Version


class VisitScheduled(VisitData):
    pass


class VisitRescheduled(VisitData):
    previous_date: dt.date
    reason: str = Field(min_length=1)


class VisitCancelled(EventData):
    visit_id: str = Field(min_length=1)
    npsn: NPSN
    unit_id: str = Field(min_length=1)
    date: dt.date
    reason: str = Field(min_length=1)
    version: Version


class VisitStarted(EventData):
    visit_id: str = Field(min_length=1)
    npsn: NPSN
    unit_id: str = Field(min_length=1)
    date: dt.date
    started_at: AwareDatetime
    version: Version


class VisitCompleted(EventData):
    visit_id: str = Field(min_length=1)
    npsn: NPSN
    unit_id: str = Field(min_length=1)
    date: dt.date
    completed_at: AwareDatetime
    recorded: int = Field(ge=0)
    absent: int = Field(ge=0)
    version: Version


# --- enrollment ---------------------------------------------------------------------------

class RosterVerified(EventData):
    """Counts only: total = already_recorded + ready_to_record + not_yet_eligible + invalid."""

    npsn: NPSN
    roster_id: str = Field(min_length=1)
    total: int = Field(ge=0)
    already_recorded: int = Field(ge=0)
    ready_to_record: int = Field(ge=0)
    not_yet_eligible: int = Field(ge=0)
    invalid: int = Field(ge=0)
    verified_at: AwareDatetime
    version: Version

    @model_validator(mode="after")
    def _categories_sum_to_total(self) -> RosterVerified:
        parts = self.already_recorded + self.ready_to_record + self.not_yet_eligible + self.invalid
        if parts != self.total:
            raise ValueError(f"categories sum to {parts}, not the total {self.total}")
        return self


class StudentRecorded(EventData):
    student_id: StudentId
    npsn: NPSN
    visit_id: str = Field(min_length=1)
    unit_id: str = Field(min_length=1)
    nik_masked: MaskedNIK
    recorded_at: AwareDatetime
    exceptions: int = Field(0, ge=0, description="biometric exceptions approved by a supervisor")
    version: Version


class StudentPrintReady(EventData):
    student_id: StudentId
    npsn: NPSN
    nik_masked: MaskedNIK
    ready_at: AwareDatetime
    version: Version


class StudentEnrollmentRejected(EventData):
    student_id: StudentId
    npsn: NPSN
    nik_masked: MaskedNIK
    reason_category: Literal["duplicate", "failed", "data_mismatch", "other"]
    reason: str = Field(min_length=1, max_length=200)
    rejected_at: AwareDatetime
    version: Version


class CardAddress(EventData):
    street: str
    rt_rw: str = Field(pattern=r"^\d{3}/\d{3}$")
    kelurahan: str
    kecamatan: str
    kabupaten: str | None = None
    provinsi: str | None = None


class CardFields(EventData):
    """What the KTP-el shows (DESIGN.md's card fields)."""

    nik: NIK
    name: str = Field(min_length=1)
    birth_place: str = Field(min_length=1)
    birth_date: dt.date
    sex: Literal["LAKI-LAKI", "PEREMPUAN"]
    blood_type: Literal["A", "B", "AB", "O", "-"] = "-"
    address: CardAddress
    religion: str
    marital_status: Literal["BELUM KAWIN", "KAWIN", "CERAI HIDUP", "CERAI MATI"]
    occupation: str = "PELAJAR/MAHASISWA"
    citizenship: Literal["WNI", "WNA"] = "WNI"
    validity: str = "SEUMUR HIDUP"


class CardRequested(EventData):
    """Restricted: carries the card's personal data and photo to printing only."""

    request_id: str = Field(min_length=1)
    student_id: StudentId
    npsn: NPSN
    visit_id: str | None = None
    unit_id: str = Field(min_length=1)
    card: CardFields
    issue_place: str = Field(min_length=1)
    photo_jpeg_b64: str = Field(min_length=4)
    signature_png_b64: str | None = None
    version: Version


class Guardian(EventData):
    name: str = Field(min_length=1)
    phone: Phone | None = None


class StudentContactUpdated(EventData):
    """Restricted: phone numbers, language and opt-outs, read by notifications only."""

    student_id: StudentId
    npsn: NPSN
    name: str = Field(min_length=1)
    phone: Phone | None = None
    language: Literal["id", "en"] = "id"
    is_minor: bool
    guardian: Guardian | None = None
    opted_out: list[Literal["sms", "whatsapp", "email"]] = Field(default_factory=list)
    version: Version


# --- printing -----------------------------------------------------------------------------

class CardPrinted(EventData):
    job_id: str = Field(min_length=1)
    request_id: str = Field(min_length=1)
    student_id: StudentId
    npsn: NPSN
    unit_id: str = Field(min_length=1)
    visit_id: str | None = None
    card_serial: str = Field(min_length=1)
    reprint: bool = False
    printed_at: AwareDatetime
    version: Version


class CardPrintFailed(EventData):
    job_id: str = Field(min_length=1)
    request_id: str = Field(min_length=1)
    student_id: StudentId
    npsn: NPSN
    unit_id: str = Field(min_length=1)
    reason: str = Field(min_length=1, max_length=200)
    attempt: int = Field(ge=1)
    will_retry: bool
    version: Version


class CardHandedOver(EventData):
    job_id: str = Field(min_length=1)
    student_id: StudentId
    npsn: NPSN
    card_serial: str = Field(min_length=1)
    handed_over_at: AwareDatetime
    handed_over_by: str = Field(min_length=1, description="operator id, not a name")
    version: Version


class StockLow(EventData):
    unit_id: str = Field(min_length=1)
    remaining: int = Field(ge=0)
    threshold: int = Field(ge=0)
    at: AwareDatetime
    version: Version


class CertificateIssued(EventData):
    certificate_id: str = Field(min_length=1)
    request_id: str = Field(min_length=1)
    student_id: StudentId
    npsn: NPSN
    unit_id: str = Field(min_length=1)
    issued_at: AwareDatetime
    valid_until: dt.date
    version: Version


# --- notifications ------------------------------------------------------------------------

Channel = Literal["email", "sms", "whatsapp"]
RecipientKind = Literal["school", "student", "guardian", "operations"]


class NotificationSent(EventData):
    delivery_id: str = Field(min_length=1)
    cause_event_id: str = Field(min_length=1)
    cause_type: str = Field(min_length=1)
    channel: Channel
    recipient_kind: RecipientKind
    recipient_ref: str = Field(min_length=1, description="pseudonymous: student_id, npsn or 'operations'")
    sent_at: AwareDatetime
    version: Version


class NotificationFailed(EventData):
    delivery_id: str = Field(min_length=1)
    cause_event_id: str = Field(min_length=1)
    cause_type: str = Field(min_length=1)
    channel: Channel
    recipient_kind: RecipientKind
    recipient_ref: str = Field(min_length=1)
    reason: str = Field(min_length=1, max_length=200)
    attempts: int = Field(ge=1)
    failed_at: AwareDatetime
    version: Version
