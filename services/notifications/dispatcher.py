"""The dispatcher: sends deliveries when they are due, and keeps their state in MongoDB.

A background loop of the service. It claims due deliveries (a lease in the
document, so competing replicas never take the same one and a crashed
replica's claims run out), holds SMS in quiet hours and when a recipient's rate
limit is reached, checks the opt-out again, renders, sends, and writes the
outcome with `notification.sent` / `notification.failed` in the same update
(the outbox). Nothing is kept in memory between passes: after a restart the
next pass finds the same due deliveries, so scheduled reminders survive.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError

from shared.service import Runtime

from . import translate
from .adapters.email_smtp import OutgoingEmail, SmtpEmailSender
from .adapters.phone_gateway import HttpPhoneGateway, OutgoingText
from .adapters.repository import DELIVERIES, DeliveryRepository, Directory
from .domain.contacts import RecipientKind, student_recipients
from .domain.delivery import Delivery, HoldUntil, decide
from .domain.failures import FailureKind, SendFailure, SendReceipt
from .domain.language import Channel
from .domain.messages import RenderedMessage, parse_view
from .rendering import TemplateMissing, render
from .settings import NotificationsSettings

log = logging.getLogger("jemput.notifications.dispatcher")


class Dispatcher:
    def __init__(self, rt: Runtime, settings: NotificationsSettings, email: SmtpEmailSender,
                 phone: HttpPhoneGateway) -> None:
        self.rt = rt
        self.settings = settings
        self.repo: DeliveryRepository = rt.state["deliveries"]
        self.directory: Directory = rt.state["directory"]
        self.email = email
        self.phone = phone
        self.wakeup = asyncio.Event()
        self.quiet = settings.quiet_hours()
        self.rate = settings.rate()
        self.backoff = settings.backoff()
        self.lease = timedelta(seconds=settings.lease_s)

    def now(self) -> datetime:
        clock = self.rt.state.get("clock")
        return clock() if clock is not None else datetime.now(UTC)

    async def run(self) -> None:
        while True:
            self.wakeup.clear()  # before the pass: a delivery planned during it wakes the next one
            try:
                handled = await self.pass_once()
            except Exception as error:  # the database is away: try again next tick
                log.warning("dispatch pass failed", exc_info=error)
                handled = 0
            if handled >= self.settings.concurrency:
                continue  # a full batch: there may be more due now (a shorter one took them all)
            try:
                await asyncio.wait_for(self.wakeup.wait(), self.settings.dispatch_interval_s)
            except TimeoutError:
                pass

    async def pass_once(self) -> int:
        """Claim up to `concurrency` due deliveries and deliver them concurrently."""
        # a claim is three commands for the whole batch: the deliveries planned within the
        # gathering window (a student's event and its guardian's) go out together
        await asyncio.sleep(self.settings.gather_s)
        # shutting down while claiming: a claim whose answer was lost is taken over when its
        # lease runs out
        claimed = await self.repo.claim_due(self.now(), self.lease, self.settings.concurrency)
        if claimed:
            # one recipient's messages go one after another, so each sees the previous send
            # when its rate limit is checked; different recipients go concurrently
            by_recipient: dict[str, list[tuple[Delivery, int]]] = {}
            for d, v in claimed:
                by_recipient.setdefault(d.recipient_id, []).append((d, v))
            await asyncio.gather(*(self._deliver_in_turn(group) for group in by_recipient.values()))
        return len(claimed)

    async def _deliver_in_turn(self, group: list[tuple[Delivery, int]]) -> None:
        for i, (delivery, version) in enumerate(group):
            try:
                await self.deliver(delivery, version)
            except asyncio.CancelledError:
                rest = group[i + 1:]
                await asyncio.shield(asyncio.gather(*(self.repo.save(d.release(), v) for d, v in rest),
                                                    return_exceptions=True))
                raise

    async def _current(self, delivery: Delivery) -> Delivery | None:
        """The delivery as the directory stands now: None if the recipient has since opted
        out of the channel; otherwise with their current address (and a student's language)."""
        if delivery.recipient_kind is RecipientKind.SCHOOL and delivery.channel is Channel.EMAIL:
            school = await self.directory.school(translate.recipient_ref(delivery.recipient_id))
            if school is not None and school.email:
                return delivery.model_copy(update={"address": school.email})
            return delivery
        if delivery.recipient_kind not in (RecipientKind.STUDENT, RecipientKind.GUARDIAN):
            return delivery
        student = await self.directory.student(translate.recipient_ref(delivery.recipient_id))
        if student is None:
            return delivery
        for r in student_recipients(student):
            if r.recipient_id == delivery.recipient_id:
                if delivery.channel in student.preferences.opted_out:
                    return None
                if r.channel is delivery.channel:
                    return delivery.model_copy(update={"address": r.address, "language": r.language})
                return delivery
        if delivery.channel in student.preferences.opted_out:
            return None
        return delivery

    def render(self, delivery: Delivery) -> RenderedMessage:
        view = parse_view(delivery.kind, delivery.view)
        return render(delivery.kind, delivery.channel, delivery.language, view, delivery.recipient_kind,
                      extra={"sender": self.settings.sender_name})

    async def send(self, delivery: Delivery, message: RenderedMessage) -> SendReceipt:
        if delivery.channel is Channel.EMAIL:
            return await self.email.send(OutgoingEmail(
                to=delivery.address, subject=message.subject or "", body=message.body,
                reference=delivery.delivery_id, language=delivery.language.value,
            ))
        return await self.phone.send(OutgoingText(
            channel=delivery.channel, to=delivery.address, text=message.body, reference=delivery.delivery_id,
            segments=message.segments.segments if message.segments else None,
        ))

    async def deliver(self, delivery: Delivery, version: int) -> None:
        now = self.now()
        try:
            current = await self._current(delivery)
            if current is None:
                await self.repo.save(delivery.suppress(), version)
                return
            delivery = current
            recent = await self.repo.recent_sends(delivery.recipient_id, now - self.rate.window)
            decision = decide(delivery.channel, now, self.quiet, self.rate, recent)
            if isinstance(decision, HoldUntil):
                await self.repo.save(delivery.hold(decision.until, decision.reason), version)
                return
            try:
                message = self.render(delivery)
            except (TemplateMissing, ValidationError) as error:
                raise SendFailure(FailureKind.PERMANENT, f"cannot render: {type(error).__name__}") from error
            receipt = await self.send(delivery, message)
        except SendFailure as failure:
            done, outcome = delivery.failed(self.now(), failure, self.backoff)
            events = [] if outcome is None else [translate.outgoing_event(done, outcome, version + 1)]
            if await self.repo.save(done, version, events) and events:
                await self.rt.relay.publish_written(DELIVERIES, done.delivery_id, events)
            log.info("delivery attempt failed", extra={"delivery_id": delivery.delivery_id,
                                                      "failure": failure.kind.value, "reason": failure.reason,
                                                      "final": outcome is not None})
            return
        except asyncio.CancelledError:
            # shutting down mid-delivery: hand it back now rather than when the lease runs out
            # (the gateway's idempotency key covers a message that left just before)
            await asyncio.shield(self.repo.save(delivery.release(), version))
            raise
        except Exception as error:  # the database or a bug: leave the lease to run out, retry later
            log.warning("delivery interrupted; will be retried when its lease runs out", exc_info=error,
                        extra={"delivery_id": delivery.delivery_id})
            return
        segments = message.segments.segments if message.segments else None
        done, outcome = delivery.succeeded(self.now(), receipt.provider_id, segments)
        events = [translate.outgoing_event(done, outcome, version + 1)]
        if await self.repo.save(done, version, events):
            await self.rt.relay.publish_written(DELIVERIES, done.delivery_id, events)
        else:
            log.warning("delivery changed while sending (lease ran out?)", extra={"delivery_id": delivery.delivery_id})


async def run_dispatcher(rt: Runtime) -> None:
    await rt.state["dispatcher"].run()
