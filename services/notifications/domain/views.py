"""The small inputs the templates need, one per trigger.

These are the notifications service's own view of other services' events: the
handlers map the public event models onto them, and the templates see nothing
else. Only what a message says is here; no NIK, no address of a student.
"""

from datetime import date, datetime, time
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class View(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class VisitView(View):
    """A school visit by a mobile recording unit."""

    visit_id: str = Field(min_length=1)
    school_id: str = Field(min_length=1)
    school_name: str = Field(min_length=1)
    visit_date: date
    start_time: time = time(8, 0)
    end_time: time | None = None
    location: str | None = Field(default=None, description="Where in the school, e.g. 'Aula'.")
    unit_name: str | None = Field(default=None, description="The mobile unit's name.")


class VisitRescheduledView(View):
    visit: VisitView
    previous_date: date
    reason: str | None = None


class VisitCancelledView(View):
    visit: VisitView
    reason: str | None = None


class StudentRecordedView(View):
    student_id: str = Field(min_length=1)
    school_name: str = Field(min_length=1)
    recorded_on: date
    print_expected: bool = Field(
        default=True, description="False when the student is too young for the card to be printed yet."
    )
    print_from: date | None = Field(default=None, description="When the card can be printed, if later.")


class CardPrintedView(View):
    student_id: str = Field(min_length=1)
    school_name: str = Field(min_length=1)
    printed_on: date
    collect_point: str | None = Field(default=None, description="Where in the school to collect it.")
    collect_until: time | None = None


class CertificateIssuedView(View):
    """A temporary certificate (Surat Keterangan) issued because blank cards ran out."""

    student_id: str = Field(min_length=1)
    school_name: str = Field(min_length=1)
    issued_on: date
    valid_until: date


class RejectionCategory(StrEnum):
    """Why a student could not be recorded; each category has its own next step."""

    UNDERAGE = "underage"
    ALREADY_RECORDED = "already_recorded"
    DUPLICATE = "duplicate"
    FAILED = "failed"
    """Recording did not succeed (equipment, biometrics): record again."""
    DATA_MISMATCH = "data_mismatch"
    OUT_OF_AREA = "out_of_area"
    MISSING_CONSENT = "missing_consent"
    MISSING_DOCUMENTS = "missing_documents"
    OTHER = "other"


class EnrollmentRejectedView(View):
    student_id: str = Field(min_length=1)
    school_name: str = Field(min_length=1)
    category: RejectionCategory
    eligible_from: date | None = Field(
        default=None, description="For UNDERAGE: the date the student may be recorded."
    )
    office_name: str = "Dinas Kependudukan dan Pencatatan Sipil"
    office_address: str | None = None
    office_hours: str | None = None


class StockLowView(View):
    unit_id: str = Field(min_length=1)
    unit_name: str = Field(min_length=1)
    remaining: int = Field(ge=0)
    threshold: int = Field(ge=0)
    as_of: datetime
    next_visit: VisitView | None = None
