"""A delivery: one message to one recipient by one channel, because of one event.

Its key — (cause event id, kind, recipient, channel) — is unique, and its id is
derived from the key, so planning the same message twice finds the same
delivery. State changes are pure: each returns the new delivery and the events
it causes (to be written in the same document, the outbox).
"""

import uuid
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from .contacts import RecipientKind
from .failures import FailureKind, SendFailure
from .language import Channel, Language
from .messages import MessageKind
from .planning import PlannedMessage
from .retry import Backoff, RateLimit
from .timing import QuietHours

DELIVERY_NAMESPACE = uuid.UUID("6f0e6a52-5b7b-4f3c-9a51-2f3b9d7c1e10")


class DeliveryStatus(StrEnum):
    SCHEDULED = "scheduled"
    """Waiting for its time (due, held, or backing off after a transient failure)."""
    SENDING = "sending"
    """Claimed by a dispatcher until `lease_until`; a crashed dispatcher's lease runs out."""
    SENT = "sent"
    FAILED = "failed"
    SUPPRESSED = "suppressed"
    """Recipient opted out of the channel: recorded, not sent."""
    CANCELLED = "cancelled"
    """Superseded (a reminder for a visit that moved or was cancelled)."""


FINAL = frozenset({DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.SUPPRESSED, DeliveryStatus.CANCELLED})


class HoldReason(StrEnum):
    QUIET_HOURS = "quiet_hours"
    RATE_LIMIT = "rate_limit"


class DeliveryKey(BaseModel):
    model_config = ConfigDict(frozen=True)

    cause_event_id: str
    kind: MessageKind
    recipient_id: str
    channel: Channel

    @property
    def delivery_id(self) -> str:
        text = f"{self.cause_event_id}|{self.kind.value}|{self.recipient_id}|{self.channel.value}"
        return str(uuid.uuid5(DELIVERY_NAMESPACE, text))


class Attempt(BaseModel):
    model_config = ConfigDict(frozen=True)

    at: datetime
    outcome: Literal["sent", "transient", "permanent"]
    reason: str | None = None


class NotificationSent(BaseModel):
    """Data of `notification.sent`: no address, no text — ids and counts only."""

    delivery_id: str
    cause_event_id: str
    kind: MessageKind
    recipient_id: str
    recipient_kind: RecipientKind
    channel: Channel
    attempts: int
    segments: int | None = None
    sent_at: datetime


class NotificationFailed(BaseModel):
    delivery_id: str
    cause_event_id: str
    kind: MessageKind
    recipient_id: str
    recipient_kind: RecipientKind
    channel: Channel
    attempts: int
    failure: FailureKind
    reason: str
    failed_at: datetime


Outgoing = NotificationSent | NotificationFailed


class Delivery(BaseModel):
    model_config = ConfigDict(frozen=True)

    delivery_id: str
    cause_event_id: str
    kind: MessageKind
    recipient_id: str
    recipient_kind: RecipientKind
    channel: Channel
    address: str
    language: Language
    about: str
    view: dict[str, Any]
    status: DeliveryStatus
    due_at: datetime
    next_attempt_at: datetime
    created_at: datetime
    attempts: int = 0
    history: tuple[Attempt, ...] = ()
    held: HoldReason | None = None
    lease_until: datetime | None = None
    sent_at: datetime | None = None
    provider_id: str | None = None
    segments: int | None = None
    last_error: str | None = None
    resend_of: str | None = None
    cancelled_reason: str | None = None
    correlation_id: str | None = None
    """The conversation the cause belongs to, carried on to notification.sent / .failed."""
    cause_type: str = ""
    """The type of the cause event, e.g. 'visit.scheduled'; 'operator.resend' for a resend."""
    about_version: int = 0
    """The version of the aggregate `about` when this was planned (reminders of an older
    version of a visit are withdrawn when a newer one arrives)."""

    @property
    def key(self) -> DeliveryKey:
        return DeliveryKey(
            cause_event_id=self.cause_event_id, kind=self.kind, recipient_id=self.recipient_id, channel=self.channel
        )

    @property
    def final(self) -> bool:
        return self.status in FINAL

    @classmethod
    def from_plan(
        cls, plan: PlannedMessage, now: datetime, cause_type: str = "", about_version: int = 0
    ) -> "Delivery":
        r = plan.recipient
        key = DeliveryKey(cause_event_id=plan.cause_event_id, kind=plan.kind, recipient_id=r.recipient_id, channel=r.channel)
        return cls(
            delivery_id=key.delivery_id,
            cause_event_id=plan.cause_event_id,
            kind=plan.kind,
            recipient_id=r.recipient_id,
            recipient_kind=r.kind,
            channel=r.channel,
            address=r.address,
            language=r.language,
            about=plan.about,
            view=plan.view.model_dump(mode="json"),
            status=DeliveryStatus.SUPPRESSED if r.opted_out else DeliveryStatus.SCHEDULED,
            due_at=plan.due_at,
            next_attempt_at=plan.due_at,
            created_at=now,
            cause_type=cause_type,
            about_version=about_version,
        )

    def _require(self, *statuses: DeliveryStatus) -> None:
        if self.status not in statuses:
            allowed = ", ".join(s.value for s in statuses)
            raise ValueError(f"delivery {self.delivery_id} is {self.status.value}, expected {allowed}")

    def claim(self, now: datetime, lease: timedelta) -> "Delivery":
        """Taken by a dispatcher. A SENDING delivery whose lease ran out may be claimed again."""
        if self.status is DeliveryStatus.SENDING:
            if self.lease_until is not None and self.lease_until > now:
                raise ValueError(f"delivery {self.delivery_id} is leased until {self.lease_until.isoformat()}")
        else:
            self._require(DeliveryStatus.SCHEDULED)
            if self.next_attempt_at > now:
                raise ValueError(f"delivery {self.delivery_id} is not due before {self.next_attempt_at.isoformat()}")
        return self.model_copy(update={"status": DeliveryStatus.SENDING, "lease_until": now + lease})

    def release(self) -> "Delivery":
        """Give a claimed delivery back untouched (the dispatcher is shutting down)."""
        self._require(DeliveryStatus.SENDING)
        return self.model_copy(update={"status": DeliveryStatus.SCHEDULED, "lease_until": None})

    def hold(self, until: datetime, reason: HoldReason) -> "Delivery":
        """Back to waiting, without spending an attempt (quiet hours, rate limit)."""
        self._require(DeliveryStatus.SCHEDULED, DeliveryStatus.SENDING)
        return self.model_copy(
            update={"status": DeliveryStatus.SCHEDULED, "next_attempt_at": until, "held": reason, "lease_until": None}
        )

    def succeeded(
        self, now: datetime, provider_id: str | None, segments: int | None
    ) -> tuple["Delivery", NotificationSent]:
        self._require(DeliveryStatus.SENDING)
        attempts = self.attempts + 1
        done = self.model_copy(
            update={
                "status": DeliveryStatus.SENT,
                "attempts": attempts,
                "history": (*self.history, Attempt(at=now, outcome="sent")),
                "sent_at": now,
                "provider_id": provider_id,
                "segments": segments,
                "lease_until": None,
                "held": None,
            }
        )
        event = NotificationSent(
            delivery_id=self.delivery_id,
            cause_event_id=self.cause_event_id,
            kind=self.kind,
            recipient_id=self.recipient_id,
            recipient_kind=self.recipient_kind,
            channel=self.channel,
            attempts=attempts,
            segments=segments,
            sent_at=now,
        )
        return done, event

    def failed(
        self, now: datetime, failure: SendFailure, backoff: Backoff, rand=None
    ) -> tuple["Delivery", NotificationFailed | None]:
        """A transient failure is retried after back-off until attempts run out; then, or
        on a permanent failure, the delivery is FAILED and `notification.failed` goes out."""
        self._require(DeliveryStatus.SENDING)
        attempts = self.attempts + 1
        outcome = "transient" if failure.transient else "permanent"
        base = {
            "attempts": attempts,
            "history": (*self.history, Attempt(at=now, outcome=outcome, reason=failure.reason)),
            "last_error": failure.reason,
            "lease_until": None,
            "held": None,
        }
        if failure.transient and not backoff.exhausted(attempts):
            delay = backoff.delay(attempts) if rand is None else backoff.delay(attempts, rand)
            return self.model_copy(
                update={**base, "status": DeliveryStatus.SCHEDULED, "next_attempt_at": now + delay}
            ), None
        reason = failure.reason if not failure.transient else f"gave up after {attempts} attempts: {failure.reason}"
        done = self.model_copy(update={**base, "status": DeliveryStatus.FAILED, "last_error": reason})
        event = NotificationFailed(
            delivery_id=self.delivery_id,
            cause_event_id=self.cause_event_id,
            kind=self.kind,
            recipient_id=self.recipient_id,
            recipient_kind=self.recipient_kind,
            channel=self.channel,
            attempts=attempts,
            failure=failure.kind,
            reason=reason,
            failed_at=now,
        )
        return done, event

    def suppress(self) -> "Delivery":
        """The recipient opted out of the channel after the message was planned."""
        self._require(DeliveryStatus.SCHEDULED, DeliveryStatus.SENDING)
        return self.model_copy(update={"status": DeliveryStatus.SUPPRESSED, "lease_until": None})

    def cancel(self, reason: str) -> "Delivery":
        """Withdraw a message not yet sent (a reminder for a visit that moved)."""
        self._require(DeliveryStatus.SCHEDULED, DeliveryStatus.SENDING)
        return self.model_copy(
            update={"status": DeliveryStatus.CANCELLED, "cancelled_reason": reason, "lease_until": None}
        )

    def resend(self, request_id: str, now: datetime) -> "Delivery":
        """A new delivery of the same message, caused by an operator's request."""
        key = DeliveryKey(cause_event_id=f"resend:{request_id}", kind=self.kind, recipient_id=self.recipient_id, channel=self.channel)
        return Delivery(
            delivery_id=key.delivery_id,
            cause_event_id=key.cause_event_id,
            kind=self.kind,
            recipient_id=self.recipient_id,
            recipient_kind=self.recipient_kind,
            channel=self.channel,
            address=self.address,
            language=self.language,
            about=self.about,
            view=self.view,
            status=DeliveryStatus.SCHEDULED,
            due_at=now,
            next_attempt_at=now,
            created_at=now,
            resend_of=self.delivery_id,
            correlation_id=self.correlation_id,
            cause_type="operator.resend",
            about_version=self.about_version,
        )


class SendNow(BaseModel):
    kind: Literal["send"] = "send"


class HoldUntil(BaseModel):
    kind: Literal["hold"] = "hold"
    until: datetime
    reason: HoldReason


Decision = SendNow | HoldUntil


def decide(
    channel: Channel, now: datetime, quiet: QuietHours, limit: RateLimit, recent_sends: list[datetime]
) -> Decision:
    """Send now, or hold: quiet hours first, then the recipient's rate limit (re-checked on release)."""
    release = quiet.release(channel, now)
    if release > now:
        return HoldUntil(until=release, reason=HoldReason.QUIET_HOURS)
    allowed = limit.next_allowed(recent_sends, now)
    if allowed > now:
        return HoldUntil(until=allowed, reason=HoldReason.RATE_LIMIT)
    return SendNow()
