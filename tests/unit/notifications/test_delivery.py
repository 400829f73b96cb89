from datetime import UTC, datetime, timedelta

import pytest

from services.notifications.domain.contacts import Recipient, RecipientKind
from services.notifications.domain.delivery import (
    Delivery,
    DeliveryKey,
    DeliveryStatus,
    HoldReason,
    HoldUntil,
    SendNow,
    decide,
)
from services.notifications.domain.failures import FailureKind, SendFailure
from services.notifications.domain.language import Channel
from services.notifications.domain.messages import MessageKind
from services.notifications.domain.planning import PlannedMessage
from services.notifications.domain.retry import Backoff, RateLimit
from services.notifications.domain.timing import JAKARTA, QuietHours

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 10:00 WIB
LEASE = timedelta(minutes=1)


def plan(visit, channel=Channel.SMS, opted_out=False, cause="E1"):
    r = Recipient(recipient_id="student:S1", kind=RecipientKind.STUDENT, channel=channel,
                  address="+6281200000001", opted_out=opted_out)
    return PlannedMessage(cause_event_id=cause, kind=MessageKind.VISIT_STUDENT_REMINDER, recipient=r,
                          due_at=NOW, view=visit, about="visit:V-0001")


def test_same_key_same_id_different_key_different_id(visit):
    a = Delivery.from_plan(plan(visit), NOW)
    b = Delivery.from_plan(plan(visit), NOW + timedelta(hours=1))
    assert a.delivery_id == b.delivery_id
    assert a.delivery_id != Delivery.from_plan(plan(visit, channel=Channel.WHATSAPP), NOW).delivery_id
    assert a.delivery_id != Delivery.from_plan(plan(visit, cause="E2"), NOW).delivery_id
    assert a.key == DeliveryKey(cause_event_id="E1", kind=MessageKind.VISIT_STUDENT_REMINDER,
                                recipient_id="student:S1", channel=Channel.SMS)


def test_opted_out_delivery_is_suppressed_and_final(visit):
    d = Delivery.from_plan(plan(visit, opted_out=True), NOW)
    assert d.status is DeliveryStatus.SUPPRESSED and d.final
    with pytest.raises(ValueError, match="suppressed"):
        d.claim(NOW, LEASE)


def test_success_records_and_emits_sent_without_address(visit):
    d = Delivery.from_plan(plan(visit), NOW).claim(NOW, LEASE)
    done, event = d.succeeded(NOW, "gw-1", 1)
    assert done.status is DeliveryStatus.SENT and done.attempts == 1 and done.provider_id == "gw-1"
    assert event.delivery_id == d.delivery_id and event.segments == 1
    assert "+62" not in event.model_dump_json()


def test_transient_failure_backs_off_then_gives_up(visit):
    backoff = Backoff(base=timedelta(seconds=10), max_attempts=3)
    d = Delivery.from_plan(plan(visit), NOW)
    t = NOW
    for n in (1, 2):
        d = d.claim(t, LEASE)
        d, event = d.failed(t, SendFailure(FailureKind.TRANSIENT, "gateway 503"), backoff, rand=lambda: 1.0)
        assert event is None
        assert d.status is DeliveryStatus.SCHEDULED
        assert d.next_attempt_at == t + timedelta(seconds=10 * 2 ** (n - 1))
        t = d.next_attempt_at
    d = d.claim(t, LEASE)
    d, event = d.failed(t, SendFailure(FailureKind.TRANSIENT, "gateway 503"), backoff)
    assert d.status is DeliveryStatus.FAILED and d.attempts == 3
    assert event is not None and event.failure is FailureKind.TRANSIENT
    assert "gave up after 3 attempts" in event.reason
    assert [a.outcome for a in d.history] == ["transient"] * 3


def test_permanent_failure_fails_at_once(visit):
    d = Delivery.from_plan(plan(visit), NOW).claim(NOW, LEASE)
    d, event = d.failed(NOW, SendFailure(FailureKind.PERMANENT, "gateway 400: invalid number"), Backoff())
    assert d.status is DeliveryStatus.FAILED and d.attempts == 1
    assert event.failure is FailureKind.PERMANENT and event.reason == "gateway 400: invalid number"


def test_claim_refuses_early_and_leased(visit):
    d = Delivery.from_plan(plan(visit), NOW)
    with pytest.raises(ValueError, match="not due"):
        d.claim(NOW - timedelta(seconds=1), LEASE)
    claimed = d.claim(NOW, LEASE)
    with pytest.raises(ValueError, match="leased"):
        claimed.claim(NOW + timedelta(seconds=30), LEASE)


def test_expired_lease_can_be_claimed_again_after_a_crash(visit):
    claimed = Delivery.from_plan(plan(visit), NOW).claim(NOW, LEASE)
    again = claimed.claim(NOW + LEASE + timedelta(seconds=1), LEASE)
    assert again.status is DeliveryStatus.SENDING
    assert again.attempts == 0


def test_hold_does_not_spend_an_attempt(visit):
    d = Delivery.from_plan(plan(visit), NOW).claim(NOW, LEASE)
    held = d.hold(NOW + timedelta(hours=8), HoldReason.QUIET_HOURS)
    assert (held.status, held.attempts, held.held) == (DeliveryStatus.SCHEDULED, 0, HoldReason.QUIET_HOURS)


def test_cancel_pending_but_not_sent(visit):
    d = Delivery.from_plan(plan(visit), NOW)
    assert d.cancel("visit moved").status is DeliveryStatus.CANCELLED
    sent, _ = d.claim(NOW, LEASE).succeeded(NOW, None, 1)
    with pytest.raises(ValueError, match="sent"):
        sent.cancel("visit moved")


def test_succeeded_only_from_sending(visit):
    with pytest.raises(ValueError, match="scheduled"):
        Delivery.from_plan(plan(visit), NOW).succeeded(NOW, None, 1)


def test_resend_is_a_new_delivery_linked_to_the_first(visit):
    d = Delivery.from_plan(plan(visit), NOW)
    r = d.resend("req-1", NOW)
    assert r.delivery_id != d.delivery_id and r.resend_of == d.delivery_id
    assert r.cause_event_id == "resend:req-1" and r.status is DeliveryStatus.SCHEDULED
    assert d.resend("req-1", NOW).delivery_id == r.delivery_id


def test_decide_holds_sms_at_night_until_six():
    night = datetime(2026, 12, 1, 22, 0, tzinfo=JAKARTA)
    decision = decide(Channel.SMS, night, QuietHours(), RateLimit(), [])
    assert decision == HoldUntil(until=datetime(2026, 12, 2, 6, 0, tzinfo=JAKARTA), reason=HoldReason.QUIET_HOURS)
    assert isinstance(decide(Channel.EMAIL, night, QuietHours(), RateLimit(), []), SendNow)


def test_decide_holds_for_rate_limit():
    limit = RateLimit(limit=2, window=timedelta(hours=1))
    recent = [NOW - timedelta(minutes=30), NOW - timedelta(minutes=10)]
    decision = decide(Channel.SMS, NOW, QuietHours(), limit, recent)
    assert decision == HoldUntil(until=NOW + timedelta(minutes=30), reason=HoldReason.RATE_LIMIT)
    assert isinstance(decide(Channel.SMS, NOW, QuietHours(), limit, recent[:1]), SendNow)


def test_release_hands_a_claimed_delivery_back_unchanged(visit):
    d = Delivery.from_plan(plan(visit), NOW)
    released = d.claim(NOW, LEASE).release()
    assert (released.status, released.lease_until, released.attempts) == (DeliveryStatus.SCHEDULED, None, 0)
    with pytest.raises(ValueError):
        d.release()


def test_suppress_when_opted_out_after_planning(visit):
    d = Delivery.from_plan(plan(visit), NOW).claim(NOW, LEASE)
    assert d.suppress().status is DeliveryStatus.SUPPRESSED
