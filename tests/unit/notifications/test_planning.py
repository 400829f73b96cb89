from datetime import date, datetime, timedelta

from services.notifications.domain.contacts import Preferences, RecipientKind, StudentContact
from services.notifications.domain.language import Channel
from services.notifications.domain.messages import MessageKind
from services.notifications.domain.planning import (
    plan_stock_low,
    plan_student_notice,
    plan_student_reminders,
    plan_visit_cancelled,
    plan_visit_rescheduled,
    plan_visit_scheduled,
)
from services.notifications.domain.timing import JAKARTA, ReminderPolicy
from services.notifications.domain.views import (
    CardPrintedView,
    StockLowView,
    VisitCancelledView,
    VisitRescheduledView,
)

POLICY = ReminderPolicy()


def wib(*args):
    return datetime(*args, tzinfo=JAKARTA)


def summary(plans):
    return sorted((p.kind.value, p.recipient.recipient_id, p.recipient.channel.value, p.due_at) for p in plans)


def test_visit_scheduled_tells_school_now_and_day_before_and_students_three_days_before(visit, school, adult, minor, now):
    plans = plan_visit_scheduled("E1", visit, school, [adult, minor], now, POLICY)
    assert summary(plans) == sorted([
        ("visit_scheduled", "school:20000001", "email", now),
        ("visit_reminder", "school:20000001", "email", wib(2026, 12, 9, 7, 0)),
        ("visit_student_reminder", "student:S-ADULT", "sms", wib(2026, 12, 7, 9, 0)),
        ("visit_student_reminder", "student:S-MINOR", "whatsapp", wib(2026, 12, 7, 9, 0)),
        ("visit_student_reminder", "guardian:S-MINOR:g", "sms", wib(2026, 12, 7, 9, 0)),
    ])
    assert {p.cause_event_id for p in plans} == {"E1"}
    assert {p.about for p in plans} == {"visit:V-0001"}


def test_adults_guardian_is_not_told(visit, school, adult, now):
    plans = plan_visit_scheduled("E1", visit, school, [adult], now, POLICY)
    assert not any(p.recipient.kind is RecipientKind.GUARDIAN for p in plans)


def test_short_notice_visit_sends_student_reminder_at_once(visit, school, adult, now):
    late = wib(2026, 12, 8, 15, 0)
    plans = plan_visit_scheduled("E1", visit, school, [adult], late, POLICY)
    reminder = [p for p in plans if p.kind is MessageKind.VISIT_STUDENT_REMINDER]
    assert reminder[0].due_at == late
    # booked the day before: the school's reminder would go now, beside the notice, so it is left out
    day_before = plan_visit_scheduled("E1", visit, school, [adult], wib(2026, 12, 9, 10, 0), POLICY)
    assert [p.kind for p in day_before if p.recipient.kind is RecipientKind.SCHOOL] == [MessageKind.VISIT_SCHEDULED]


def test_school_reminder_kept_when_its_time_is_still_ahead(visit, school, now):
    day_before_morning = wib(2026, 12, 9, 6, 0)
    plans = plan_visit_scheduled("E1", visit, school, [], day_before_morning, POLICY)
    assert [p.kind for p in plans] == [MessageKind.VISIT_SCHEDULED, MessageKind.VISIT_REMINDER]


def test_visit_in_the_past_plans_nothing(visit, school, adult):
    after = wib(2026, 12, 10, 9, 0)
    assert plan_visit_scheduled("E1", visit, school, [adult], after, POLICY) == []


def test_unknown_school_still_reaches_students(visit, adult, now):
    plans = plan_visit_scheduled("E1", visit, None, [adult], now, POLICY)
    assert [p.kind for p in plans] == [MessageKind.VISIT_STUDENT_REMINDER]


def test_student_reminders_alone_for_a_late_contact(visit, minor, now):
    plans = plan_student_reminders("E1", visit, [minor], now, POLICY)
    assert len(plans) == 2


def test_rescheduled_notifies_everyone_now_and_replans_reminders(visit, school, adult, minor, now):
    moved = visit.model_copy(update={"visit_date": date(2026, 12, 17)})
    change = VisitRescheduledView(visit=moved, previous_date=visit.visit_date, reason="Ujian sekolah")
    plans = plan_visit_rescheduled("E2", change, school, [adult, minor], now, POLICY)
    notices = [p for p in plans if p.kind is MessageKind.VISIT_RESCHEDULED]
    assert {(p.recipient.recipient_id, p.due_at) for p in notices} == {
        ("school:20000001", now), ("student:S-ADULT", now), ("student:S-MINOR", now), ("guardian:S-MINOR:g", now)
    }
    reminders = [p for p in plans if p.kind is not MessageKind.VISIT_RESCHEDULED]
    assert {p.due_at for p in reminders} == {wib(2026, 12, 16, 7, 0), wib(2026, 12, 14, 9, 0)}
    assert {p.cause_event_id for p in plans} == {"E2"}


def test_cancelled_notifies_everyone_now(visit, school, adult, minor, now):
    plans = plan_visit_cancelled("E3", VisitCancelledView(visit=visit, reason="Banjir"), school, [adult, minor], now)
    assert len(plans) == 4
    assert {p.kind for p in plans} == {MessageKind.VISIT_CANCELLED}
    assert {p.due_at for p in plans} == {now}


def test_card_printed_to_student_and_guardian_of_minor(minor, now):
    view = CardPrintedView(student_id="S-MINOR", school_name="SMAN 99 Contoh", printed_on=date(2026, 12, 10))
    plans = plan_student_notice("E4", view, minor, now)
    assert [(p.kind, p.recipient.kind) for p in plans] == [
        (MessageKind.CARD_PRINTED, RecipientKind.STUDENT), (MessageKind.CARD_PRINTED, RecipientKind.GUARDIAN)
    ]


def test_student_notice_without_contact_plans_nothing(now):
    view = CardPrintedView(student_id="S-X", school_name="SMAN 99 Contoh", printed_on=date(2026, 12, 10))
    assert plan_student_notice("E4", view, None, now) == []


def test_opted_out_recipients_are_planned_but_marked(visit, now):
    s = StudentContact(student_id="S", school_id="1", phone="081200000003", minor=False,
                       preferences=Preferences(opted_out=frozenset({Channel.SMS})))
    (p,) = plan_student_reminders("E1", visit, [s], now, POLICY)
    assert p.recipient.opted_out


def test_stock_low_to_each_operations_address(now):
    view = StockLowView(unit_id="U1", unit_name="Unit Keliling 1", remaining=12, threshold=50, as_of=now)
    plans = plan_stock_low("E5", view, ["ops@example.org", "gudang@example.org"], now)
    assert [(p.recipient.channel, p.about) for p in plans] == [(Channel.EMAIL, "unit:U1")] * 2
    assert all(p.due_at == now for p in plans)
    assert plans[0].due_at - now == timedelta(0)
