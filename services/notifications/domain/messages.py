"""What kinds of message the service sends, and what a rendered message is."""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from .language import Channel, Language
from .segments import SegmentInfo
from .views import (
    CardPrintedView,
    CertificateIssuedView,
    EnrollmentRejectedView,
    StockLowView,
    StudentRecordedView,
    View,
    VisitCancelledView,
    VisitRescheduledView,
    VisitView,
)


class MessageKind(StrEnum):
    VISIT_SCHEDULED = "visit_scheduled"
    """To the school, at once, when a visit is booked."""
    VISIT_REMINDER = "visit_reminder"
    """To the school, the day before."""
    VISIT_STUDENT_REMINDER = "visit_student_reminder"
    """To students (and guardians of minors), three days before: what to bring."""
    VISIT_RESCHEDULED = "visit_rescheduled"
    VISIT_CANCELLED = "visit_cancelled"
    STUDENT_RECORDED = "student_recorded"
    CARD_PRINTED = "card_printed"
    CERTIFICATE_ISSUED = "certificate_issued"
    ENROLLMENT_REJECTED = "enrollment_rejected"
    STOCK_LOW = "stock_low"


VIEW_OF: dict[MessageKind, type[View]] = {
    MessageKind.VISIT_SCHEDULED: VisitView,
    MessageKind.VISIT_REMINDER: VisitView,
    MessageKind.VISIT_STUDENT_REMINDER: VisitView,
    MessageKind.VISIT_RESCHEDULED: VisitRescheduledView,
    MessageKind.VISIT_CANCELLED: VisitCancelledView,
    MessageKind.STUDENT_RECORDED: StudentRecordedView,
    MessageKind.CARD_PRINTED: CardPrintedView,
    MessageKind.CERTIFICATE_ISSUED: CertificateIssuedView,
    MessageKind.ENROLLMENT_REJECTED: EnrollmentRejectedView,
    MessageKind.STOCK_LOW: StockLowView,
}

_PHONE = (Channel.SMS, Channel.WHATSAPP)
CHANNELS_OF: dict[MessageKind, tuple[Channel, ...]] = {
    MessageKind.VISIT_SCHEDULED: (Channel.EMAIL,),
    MessageKind.VISIT_REMINDER: (Channel.EMAIL,),
    MessageKind.VISIT_STUDENT_REMINDER: _PHONE,
    MessageKind.VISIT_RESCHEDULED: (Channel.EMAIL, *_PHONE),
    MessageKind.VISIT_CANCELLED: (Channel.EMAIL, *_PHONE),
    MessageKind.STUDENT_RECORDED: _PHONE,
    MessageKind.CARD_PRINTED: _PHONE,
    MessageKind.CERTIFICATE_ISSUED: _PHONE,
    MessageKind.ENROLLMENT_REJECTED: _PHONE,
    MessageKind.STOCK_LOW: (Channel.EMAIL,),
}


def parse_view(kind: MessageKind, data: dict) -> View:
    """The view `kind` needs, validated from plain data (a stored record or an API body)."""
    return VIEW_OF[kind].model_validate(data)


class RenderedMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: MessageKind
    channel: Channel
    language: Language
    subject: str | None = None
    """Email only."""
    body: str
    segments: SegmentInfo | None = None
    """SMS and WhatsApp only: the count an SMS would take."""
