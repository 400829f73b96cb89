"""Properties of a delivery's life, over any sequence of outcomes."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.notifications.domain.contacts import Recipient, RecipientKind
from services.notifications.domain.delivery import Delivery, DeliveryStatus
from services.notifications.domain.failures import FailureKind, SendFailure
from services.notifications.domain.language import Channel
from services.notifications.domain.messages import MessageKind
from services.notifications.domain.planning import PlannedMessage
from services.notifications.domain.retry import Backoff
from services.notifications.domain.views import StockLowView

T0 = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
VIEW = StockLowView(unit_id="U1", unit_name="Unit 1", remaining=1, threshold=10, as_of=T0)
RECIPIENT = Recipient(recipient_id="operations:ops@example.org", kind=RecipientKind.OPERATIONS,
                      channel=Channel.EMAIL, address="ops@example.org")
PLAN = PlannedMessage(cause_event_id="E", kind=MessageKind.STOCK_LOW, recipient=RECIPIENT, due_at=T0, view=VIEW,
                      about="unit:U1")

outcomes = st.lists(st.sampled_from(["sent", "transient", "permanent"]), min_size=1, max_size=20)


@settings(deadline=None)  # no timing: machines are noisy
@given(outcomes, st.integers(min_value=1, max_value=10), st.floats(min_value=0, max_value=1))
def test_a_delivery_ends_once_with_one_event_and_never_more_attempts_than_allowed(steps, max_attempts, r):
    backoff = Backoff(base=timedelta(seconds=1), cap=timedelta(seconds=30), max_attempts=max_attempts)
    d = Delivery.from_plan(PLAN, T0)
    now = T0
    events = []
    for step in steps:
        if d.final:
            break
        d = d.claim(now, timedelta(minutes=1))
        if step == "sent":
            d, event = d.succeeded(now, None, None)
        else:
            kind = FailureKind.TRANSIENT if step == "transient" else FailureKind.PERMANENT
            d, event = d.failed(now, SendFailure(kind, step), backoff, rand=lambda: r)
        if event is not None:
            events.append(event)
        if d.status is DeliveryStatus.SCHEDULED:
            assert d.next_attempt_at > now
            now = d.next_attempt_at
    assert d.attempts == len(d.history) <= max_attempts
    assert len(events) == (1 if d.final else 0)
    if d.status is DeliveryStatus.SENT:
        assert d.history[-1].outcome == "sent" and type(events[0]).__name__ == "NotificationSent"
    if d.status is DeliveryStatus.FAILED:
        assert d.history[-1].outcome == "permanent" or d.attempts == max_attempts
        assert type(events[0]).__name__ == "NotificationFailed"
    # with the same jitter draw, each wait is at least as long as the one before (capped)
    gaps = [b.at - a.at for a, b in zip(d.history, d.history[1:], strict=False)]
    assert gaps == sorted(gaps) and all(g <= backoff.cap for g in gaps)
