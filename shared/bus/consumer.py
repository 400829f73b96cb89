"""The subscriber layer: validate envelope and payload, dispatch by type, classify failures.

- Poison (bad JSON, invalid envelope or data, unknown type or version, ``PoisonMessage`` from a
  handler) is copied to the queue's DLQ with the reason in the ``x-jemput-reason`` header, then
  acknowledged: at once, never retried.
- Anything else a handler raises is transient: after a back-off the message is rejected with
  ``requeue=True``. On a quorum queue that counts towards ``x-delivery-limit`` (RabbitMQ 3.10 up
  to 4.x; ``nack`` stops counting from 4.3 on, hence ``reject``), so a message that keeps failing
  is dead-lettered by the broker to the same DLQ after the limit.
- A database that cannot be reached is retried in place first (``through_database_outages``),
  without spending the message's delivery limit.
- Success acknowledges. Handlers must be idempotent (see ``shared.store.effects``): delivery is
  at least once.
- Up to ``JEMPUT_PREFETCH`` messages of a queue are handled at once (aio-pika runs each delivery
  in a task of its own; each acks its own), as that many replicas would: handlers already cope
  with reordering (DESIGN.md), and their database commands share batches
  (``shared/store/batching.py``).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from faststream import AckPolicy
from faststream.params import NoCast
from faststream.rabbit import Channel, RabbitMessage
from pydantic import BaseModel, ValidationError
from pymongo.errors import ConnectionFailure

from shared.bus.errors import PoisonMessage
from shared.bus.topology import SUBSCRIPTIONS, Topology, exchange_of
from shared.envelope import CONTENT_TYPE, CloudEvent
from shared.events.catalogue import UnknownEventType, spec_for_type

if TYPE_CHECKING:
    from shared.service import Runtime

log = logging.getLogger("jemput.consumer")

Handler = Callable[[CloudEvent, Any, "Runtime"], Awaitable[None]]
REASON_HEADER = "x-jemput-reason"
QUEUE_HEADER = "x-jemput-queue"  # the queue a dead letter came from
DEAD_LETTERED_AT_HEADER = "x-jemput-dead-lettered-at"


def describe_validation(prefix: str, error: ValidationError) -> str:
    """Field paths and error kinds only; input values may be personal data."""
    parts = []
    for item in error.errors(include_url=False, include_input=False)[:5]:
        loc = ".".join(str(p) for p in item["loc"]) or "(root)"
        parts.append(f"{prefix}{loc}: {item['type']}")
    more = error.error_count() - len(parts)
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def parse(body: bytes) -> tuple[CloudEvent, BaseModel]:
    """Envelope and typed data from a message body, or ``PoisonMessage`` saying why not."""
    try:
        event = CloudEvent.model_validate_json(body)
    except ValidationError as error:
        if any(e["type"] == "json_invalid" for e in error.errors()):
            raise PoisonMessage("bad JSON: the body is not a JSON document") from None
        raise PoisonMessage("invalid envelope: " + describe_validation("", error)) from None
    try:
        spec = spec_for_type(event.type)
    except (UnknownEventType, ValueError) as error:
        raise PoisonMessage(f"unknown type version: {error}") from None
    try:
        data = spec.model.model_validate(event.data)
    except ValidationError as error:
        raise PoisonMessage(f"schema-invalid {event.type}: " + describe_validation("data.", error)) from None
    return event, data


class Consumer:
    """A service's event handlers, one per routing key of its subscriptions."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.handlers: dict[str, Handler] = {}

    def on(self, routing_key: str) -> Callable[[Handler], Handler]:
        if routing_key not in SUBSCRIPTIONS.get(self.service, ()):
            raise ValueError(
                f"{self.service} does not subscribe to {routing_key}; add it to SUBSCRIPTIONS in shared/bus/topology.py"
            )

        def register(handler: Handler) -> Handler:
            self.handlers[routing_key] = handler
            return handler

        return register

    def check_complete(self) -> None:
        missing = set(SUBSCRIPTIONS.get(self.service, ())) - set(self.handlers)
        if missing:
            raise ValueError(f"{self.service} subscribes to {sorted(missing)} but has no handler")

    def attach(self, broker: Any, topology: Topology, runtime: Runtime) -> None:
        """Register one FastStream subscriber per queue of this service."""
        self.check_complete()
        for kind, keys in topology.bindings(self.service).items():
            queue = topology.queue(self.service, kind, routing_key=keys[0])
            subscriber = broker.subscriber(
                queue,
                topology.exchange(kind),
                ack_policy=AckPolicy.MANUAL,
                channel=Channel(prefetch_count=runtime.settings.prefetch),
                title=f"{queue.name}:consume",
                description=f"{self.service} consumes: {', '.join(keys)}",
            )
            subscriber(self._make_dispatch(queue.name, runtime))

    def _make_dispatch(self, queue_name: str, runtime: Runtime) -> Callable[..., Awaitable[None]]:
        async def dispatch(body: NoCast[CloudEvent], message: RabbitMessage) -> None:
            await self.handle(message, queue_name, runtime)

        dispatch.__name__ = f"{self.service}_{queue_name.rsplit('.', 1)[-1]}_dispatch"
        return dispatch

    async def handle(self, message: Any, queue_name: str, runtime: Runtime) -> None:
        raw = message.raw_message
        try:
            event, data = parse(raw.body)
            handler = self.handlers.get(event.routing_key)
            if handler is None:
                raise PoisonMessage(f"{self.service} has no handler for {event.type}")
            if exchange_of(event.routing_key) == "restricted" and raw.exchange != runtime.topology.exchange_name("restricted"):
                raise PoisonMessage(f"{event.type} arrived from {raw.exchange!r}, not the restricted exchange")
            await through_database_outages(lambda: handler(event, data, runtime), runtime, queue_name, raw.message_id)
        except PoisonMessage as poison:
            await dead_letter(runtime, raw, queue_name, poison.reason)
            await message.ack()
            runtime.metrics.poison.labels(queue=queue_name).inc()
            log.warning("poison message sent to DLQ", extra={"queue": queue_name, "reason": poison.reason,
                                                             "message_id": raw.message_id})
        except Exception as error:  # transient: back off, then requeue (counts towards the limit)
            attempt = int((raw.headers or {}).get("x-delivery-count") or 0) + 1
            delay = backoff(attempt, runtime.settings.retry_base_s, runtime.settings.retry_max_s)
            runtime.metrics.retries.labels(queue=queue_name).inc()
            log.warning("handler failed; will retry", exc_info=error,
                        extra={"queue": queue_name, "attempt": attempt, "retry_in_s": round(delay, 3),
                               "message_id": raw.message_id})
            await asyncio.sleep(delay)
            await message.reject(requeue=True)
        else:
            await message.ack()
            runtime.metrics.consumed.labels(queue=queue_name, type=event.type).inc()


async def through_database_outages(call: Callable[[], Awaitable[None]], runtime: Runtime, queue_name: str,
                                   message_id: str | None) -> None:
    """Run a handler; while its database is unreachable (a failover, a restart, a server too busy
    to keep its connections under a burst) retry it in place with back-off, for up to
    ``JEMPUT_OUTAGE_RETRY_S``, keeping the delivery. Such a failure says nothing about the message,
    so it should not spend the message's delivery limit: with only the prefetch's worth held here
    the rest of a burst waits in the queue instead of reaching the DLQ. A shutdown stops the
    waiting (the message then goes back to its queue)."""
    waited, attempt = 0.0, 0
    while True:
        try:
            return await call()
        except ConnectionFailure as error:
            attempt += 1
            delay = backoff(attempt, runtime.settings.retry_base_s, runtime.settings.retry_max_s)
            if runtime.draining or waited + delay > runtime.settings.outage_retry_s:
                raise
            runtime.metrics.retries.labels(queue=queue_name).inc()
            log.warning("database unreachable; retrying in place", exc_info=error,
                        extra={"queue": queue_name, "attempt": attempt, "retry_in_s": round(delay, 3),
                               "message_id": message_id})
            await asyncio.sleep(delay)
            waited += delay


def backoff(attempt: int, base: float, cap: float) -> float:
    """Exponential back-off with full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
    return random.uniform(0, min(cap, base * 2 ** min(attempt, 20)))


async def dead_letter(runtime: Runtime, raw: Any, queue_name: str, reason: str) -> None:
    """Copy the message, body untouched, to ``queue_name``'s DLQ with the reason in a header."""
    headers = dict(raw.headers or {})
    headers.update({
        REASON_HEADER: reason[:500],
        QUEUE_HEADER: queue_name,
        DEAD_LETTERED_AT_HEADER: datetime.now(UTC).isoformat(),
    })
    await runtime.broker.publish(
        raw.body,
        exchange=runtime.topology.dlx,
        routing_key=queue_name,
        headers=headers,
        message_id=raw.message_id,
        correlation_id=raw.correlation_id,
        content_type=raw.content_type or CONTENT_TYPE,
        persist=True,
        mandatory=True,
    )
