"""Which messages an event causes: to whom, by which channel, and when.

Pure functions from a view of the event and the contact directory to planned
messages. Every plan carries the cause (the event id, or for a reminder the id
of the event that booked it) so that a delivery is keyed by
(cause, kind, recipient, channel) and a duplicated event plans nothing new.
"""

from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from .contacts import (
    Recipient,
    SchoolContact,
    StudentContact,
    operations_recipients,
    school_recipients,
    student_recipients,
)
from .messages import MessageKind
from .timing import ReminderPolicy, reminder_due
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


class PlannedMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    cause_event_id: str
    kind: MessageKind
    recipient: Recipient
    due_at: datetime
    view: View
    about: str
    """The aggregate the message is about, e.g. 'visit:V-1': pending reminders of a
    visit are found through it when the visit moves or is cancelled."""


def _plans(
    cause: str, kind: MessageKind, recipients: Iterable[Recipient], due: datetime, view: View, about: str
) -> list[PlannedMessage]:
    return [
        PlannedMessage(cause_event_id=cause, kind=kind, recipient=r, due_at=due, view=view, about=about)
        for r in recipients
    ]


def visit_about(visit_id: str) -> str:
    return f"visit:{visit_id}"


def _phones(students: Iterable[StudentContact]) -> list[Recipient]:
    out: list[Recipient] = []
    for student in students:
        out.extend(student_recipients(student))
    return out


def plan_student_reminders(
    cause: str, visit: VisitView, students: Iterable[StudentContact], now: datetime, policy: ReminderPolicy
) -> list[PlannedMessage]:
    """SMS/WhatsApp three days before the visit: students, and guardians of minors.

    Also used when a student's contact arrives after the visit was booked.
    """
    start = policy.visit_start(visit.visit_date, visit.start_time)
    due = reminder_due(policy.student_reminder(visit.visit_date), now, start)
    if due is None:
        return []
    recipients = _phones(students)
    return _plans(cause, MessageKind.VISIT_STUDENT_REMINDER, recipients, due, visit, visit_about(visit.visit_id))


def plan_school_reminder(
    cause: str, visit: VisitView, school: SchoolContact | None, now: datetime, policy: ReminderPolicy
) -> list[PlannedMessage]:
    if school is None:
        return []
    start = policy.visit_start(visit.visit_date, visit.start_time)
    due = reminder_due(policy.school_reminder(visit.visit_date), now, start)
    if due is None:
        return []
    return _plans(cause, MessageKind.VISIT_REMINDER, school_recipients(school), due, visit, visit_about(visit.visit_id))


def plan_visit_scheduled(
    event_id: str,
    visit: VisitView,
    school: SchoolContact | None,
    students: Iterable[StudentContact],
    now: datetime,
    policy: ReminderPolicy,
) -> list[PlannedMessage]:
    """The school at once and the day before; students (and guardians) three days before."""
    students = list(students)
    plans: list[PlannedMessage] = []
    if school is not None and now < policy.visit_start(visit.visit_date, visit.start_time):
        plans += _plans(
            event_id, MessageKind.VISIT_SCHEDULED, school_recipients(school), now, visit, visit_about(visit.visit_id)
        )
    plans += _future_school_reminder(event_id, visit, school, now, policy)
    plans += plan_student_reminders(event_id, visit, students, now, policy)
    return plans


def _future_school_reminder(
    cause: str, visit: VisitView, school: SchoolContact | None, now: datetime, policy: ReminderPolicy
) -> list[PlannedMessage]:
    """The school's day-before reminder, unless its time has passed: the notice going out
    now already tells the school everything the reminder would."""
    return [p for p in plan_school_reminder(cause, visit, school, now, policy) if p.due_at > now]


def plan_visit_rescheduled(
    event_id: str,
    change: VisitRescheduledView,
    school: SchoolContact | None,
    students: Iterable[StudentContact],
    now: datetime,
    policy: ReminderPolicy,
) -> list[PlannedMessage]:
    """A notice to everyone at once, and fresh reminders for the new date.

    The caller cancels the reminders still pending for the old date (see
    Delivery.supersede); the new ones are caused by this event.
    """
    students = list(students)
    about = visit_about(change.visit.visit_id)
    plans = _plans(event_id, MessageKind.VISIT_RESCHEDULED, _school_and_phone(school), now, change, about)
    plans += _plans(event_id, MessageKind.VISIT_RESCHEDULED, _phones(students), now, change, about)
    plans += _future_school_reminder(event_id, change.visit, school, now, policy)
    plans += plan_student_reminders(event_id, change.visit, students, now, policy)
    return plans


def plan_visit_cancelled(
    event_id: str,
    change: VisitCancelledView,
    school: SchoolContact | None,
    students: Iterable[StudentContact],
    now: datetime,
) -> list[PlannedMessage]:
    about = visit_about(change.visit.visit_id)
    recipients = _school_and_phone(school) + _phones(students)
    return _plans(event_id, MessageKind.VISIT_CANCELLED, recipients, now, change, about)


def _school_and_phone(school: SchoolContact | None) -> list[Recipient]:
    return [] if school is None else school_recipients(school)


StudentView = StudentRecordedView | CardPrintedView | CertificateIssuedView | EnrollmentRejectedView

_STUDENT_KIND: dict[type[View], MessageKind] = {
    StudentRecordedView: MessageKind.STUDENT_RECORDED,
    CardPrintedView: MessageKind.CARD_PRINTED,
    CertificateIssuedView: MessageKind.CERTIFICATE_ISSUED,
    EnrollmentRejectedView: MessageKind.ENROLLMENT_REJECTED,
}


def plan_student_notice(
    event_id: str, view: StudentView, student: StudentContact | None, now: datetime
) -> list[PlannedMessage]:
    """Recorded, card ready, certificate issued, rejected: the student and guardians of a minor, at once."""
    if student is None:
        return []
    kind = _STUDENT_KIND[type(view)]
    recipients = student_recipients(student)
    return _plans(event_id, kind, recipients, now, view, f"student:{view.student_id}")


def plan_stock_low(
    event_id: str, view: StockLowView, operations_emails: list[str], now: datetime
) -> list[PlannedMessage]:
    return _plans(
        event_id, MessageKind.STOCK_LOW, operations_recipients(operations_emails), now, view, f"unit:{view.unit_id}"
    )
