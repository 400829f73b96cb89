"""Reading, replaying and purging a service's dead-letter queues (``jemput dlq``).

A DLQ (``<queue>.dlq``, a quorum queue with no delivery limit of its own) receives two kinds of
message: poison copied there by the consumer (``shared.bus.consumer.dead_letter``: reason in
``x-jemput-reason``, origin in ``x-jemput-queue``) and messages the broker dead-lettered after the
source queue's delivery limit (``x-death``, no ``x-jemput-reason``).

How the queue is read: every ready message is taken with ``basic.get`` and *no* acknowledgement,
so the broker keeps each one; then each is settled on its own. Messages that are not being
replayed or purged are given back with ``basic.nack(requeue=True)``, in the order they came, and a
quorum queue serves returned messages first, in the order returned: the queue ends as it was
(same messages, same order, same headers and bodies). The broker counts each read as a delivery
(the ``x-delivery-count`` header it adds); the DLQ has no delivery limit, so on RabbitMQ 3.x and
from 4.3 on (where ``nack`` is not counted) nothing can come of it. RabbitMQ 4.0 to 4.2 give a
quorum queue declared without a limit a default limit of 20 and count every return, so there a DLQ
needs a policy lifting that limit (docs/operations.md#dead-letter-queues); ``Session.warning``
says so. A process that dies while holding messages loses nothing: the broker returns every
unacknowledged message when the connection goes.

Copies: the consumer can leave a second copy of a poison message (a crash between its confirmed
copy to the DLQ and its ack, docs/reliability.md). Messages with the same message id and the same
body are one ``DeadLetter`` with ``copies``; replay publishes it once and acknowledges every copy.

Bodies may hold personal data (a ``card.requested``): nothing here logs a body or a header value.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractIncomingMessage, AbstractQueue
from aio_pika.exceptions import AMQPError, ChannelClosed, ChannelNotFoundEntity, DeliveryError

from shared.bus.consumer import DEAD_LETTERED_AT_HEADER, QUEUE_HEADER, REASON_HEADER
from shared.bus.topology import SUBSCRIPTIONS, Topology, exchange_of

REPLAYED_AT_HEADER = "x-jemput-replayed-at"

# annotations of a dead-lettering, not part of the message: dropped when a message is replayed
DEAD_LETTER_HEADERS = frozenset({REASON_HEADER, QUEUE_HEADER, DEAD_LETTERED_AT_HEADER, "x-death",
                                 "x-delivery-count", "x-first-death-reason", "x-first-death-queue",
                                 "x-first-death-exchange", "x-last-death-reason", "x-last-death-queue",
                                 "x-last-death-exchange"})

BROKER_REASONS = {
    "delivery_limit": "delivery limit reached",
    "rejected": "rejected by the consumer",
    "expired": "expired",
    "maxlen": "queue full (max length)",
}


class DlqError(Exception):
    """Something an operator must be told in one line (no traceback)."""


class BrokerUnreachable(DlqError):
    pass


class UnknownService(DlqError):
    pass


class UnknownMessage(DlqError):
    pass


def services() -> tuple[str, ...]:
    return tuple(SUBSCRIPTIONS)


def dlqs_of(topology: Topology, service: str) -> list[tuple[str, str]]:
    """(queue, DLQ) pairs of one service; ``UnknownService`` naming the valid ones."""
    if service not in SUBSCRIPTIONS:
        raise UnknownService(f"unknown service {service!r}; one of {', '.join(services())}")
    return [(queue, topology.dlq_name(queue)) for queue in topology.queues_of(service)]


def redact_url(url: str) -> str:
    """The broker URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    return str(value)


def plain(value: Any) -> Any:
    """Header values as JSON-friendly values (AMQP tables hold bytes, datetimes, decimals)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, bytes):
        return _text(value)
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _last_death(headers: dict[str, Any]) -> dict[str, Any]:
    deaths = headers.get("x-death")
    if isinstance(deaths, list | tuple) and deaths and isinstance(deaths[0], dict):
        return deaths[0]  # the broker puts the most recent dead-lettering first
    return {}


@dataclass
class DeadLetter:
    """One message of a DLQ (all its copies: same message id, same body)."""

    dlq: str
    message_id: str
    event_type: str
    reason: str
    queue: str
    dead_lettered_at: str | None
    headers: dict[str, Any]
    properties: dict[str, Any]
    body: bytes
    copies: int = 1
    deliveries: list[AbstractIncomingMessage] = field(default_factory=list, repr=False)

    @property
    def key(self) -> tuple[str, str]:
        return key_of(self.deliveries[0]) if self.deliveries else (self.message_id, digest(self.body))

    def summary(self) -> dict[str, Any]:
        """What `jemput dlq list` shows: no body, no header values but the reason."""
        return {"message_id": self.message_id, "type": self.event_type, "reason": self.reason,
                "queue": self.queue, "dead_lettered_at": self.dead_lettered_at, "copies": self.copies}


def digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def key_of(message: AbstractIncomingMessage) -> tuple[str, str]:
    return message.message_id or "", digest(message.body)


def _body_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def describe(dlq: str, message: AbstractIncomingMessage) -> DeadLetter:
    headers = dict(message.headers or {})
    document = _body_json(message.body)
    event_type = document.get("type") if isinstance(document, dict) else None
    event_id = document.get("id") if isinstance(document, dict) else None
    message_id = message.message_id or (event_id if isinstance(event_id, str) and event_id else None) \
        or "sha256:" + digest(message.body)[:16]
    death = _last_death(headers)
    if headers.get(REASON_HEADER):
        reason = _text(headers[REASON_HEADER])
    elif death or headers.get("x-first-death-reason"):
        raw = _text(death.get("reason") or headers.get("x-first-death-reason"))
        reason = BROKER_REASONS.get(raw, raw)
    else:
        reason = "unknown (no reason header)"
    queue = headers.get(QUEUE_HEADER) or death.get("queue") or headers.get("x-first-death-queue")
    when = headers.get(DEAD_LETTERED_AT_HEADER) or death.get("time")
    properties = {
        "message_id": message.message_id, "correlation_id": message.correlation_id,
        "content_type": message.content_type, "content_encoding": message.content_encoding,
        "delivery_mode": int(message.delivery_mode) if message.delivery_mode else None,
        "timestamp": message.timestamp, "type": message.type, "app_id": message.app_id,
        "priority": message.priority,
    }
    return DeadLetter(
        dlq=dlq, message_id=message_id,
        event_type=event_type if isinstance(event_type, str) and event_type else "unparseable",
        reason=reason, queue=_text(queue) if queue else dlq.removesuffix(".dlq"),
        dead_lettered_at=plain(when) if when else None, headers=plain(headers),
        properties={k: plain(v) for k, v in properties.items() if v is not None},
        body=message.body, deliveries=[message],
    )


def group(dlq: str, messages: Iterable[AbstractIncomingMessage]) -> list[DeadLetter]:
    """Messages in DLQ order, copies (same message id and body) folded into the first one."""
    out: dict[tuple[str, str], DeadLetter] = {}
    for message in messages:
        key = key_of(message)
        if key in out:
            out[key].copies += 1
            out[key].deliveries.append(message)
        else:
            out[key] = describe(dlq, message)
    return list(out.values())


@dataclass
class Held:
    """One DLQ's messages, taken and not yet settled."""

    queue: str
    dlq: str
    depth: int  # messages, copies included
    letters: list[DeadLetter]


def replay_message(letter: DeadLetter, now: dt.datetime | None = None) -> aio_pika.Message:
    """The message as it was first published: same body and properties, the dead-lettering's
    headers dropped, ``x-jemput-replayed-at`` added, persistent."""
    first = letter.deliveries[0]
    headers = {k: v for k, v in (first.headers or {}).items() if k not in DEAD_LETTER_HEADERS}
    headers[REPLAYED_AT_HEADER] = (now or dt.datetime.now(dt.UTC)).isoformat()
    return aio_pika.Message(
        first.body, headers=headers, message_id=first.message_id, correlation_id=first.correlation_id,
        content_type=first.content_type, content_encoding=first.content_encoding, type=first.type,
        app_id=first.app_id, timestamp=first.timestamp, priority=first.priority,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
    )


_VERSION = re.compile(r"^(\d+)\.(\d+)")
_EVENT_TYPE = re.compile(r"^jemput\.(?P<key>[a-z_]+\.[a-z_]+)\.v\d+$")


def route(topology: Topology, queue: str, letter: DeadLetter) -> tuple[str, str]:
    """(exchange, routing key) that bring a replayed message to ``queue`` and to no other queue.

    Normally the default exchange, which routes by queue name. A restricted event (``card.requested``,
    ``student.contact_updated``) must come from the restricted exchange or its consumer takes it for
    poison (``shared.bus.consumer``), so it goes there with its routing key — only when ``queue`` is
    the one queue that binds that key, which the catalogue makes so."""
    match = _EVENT_TYPE.match(letter.event_type)
    try:
        kind = exchange_of(match["key"]) if match else "events"
    except KeyError:
        kind = "events"
    if kind != "restricted":
        return "", queue
    key = match["key"] if match else ""
    receivers = [topology.queue_name(s, "restricted") for s, keys in SUBSCRIPTIONS.items() if key in keys]
    if receivers != [queue]:
        raise DlqError(f"message {letter.message_id} ({letter.event_type}) can only be replayed through "
                       f"{topology.exchange_name('restricted')}, which would bring it to "
                       f"{', '.join(receivers) or 'no queue'}, not {queue} alone: not replayed")
    return topology.exchange_name("restricted"), key


class Session:
    """One connection to the broker for one command. Use ``async with``; on the way out every
    message still held is given back (nack, requeue) in the order taken."""

    def __init__(self, url: str, topology: Topology, timeout_s: float = 10.0) -> None:
        self.url = url
        self.topology = topology
        self.timeout_s = timeout_s
        self.connection: AbstractConnection | None = None
        self.channel: AbstractChannel | None = None
        self._held: dict[int, AbstractIncomingMessage] = {}  # by delivery tag, in the order taken
        self.server_version = ""

    async def __aenter__(self) -> Session:
        try:
            self.connection = await asyncio.wait_for(aio_pika.connect(self.url, timeout=self.timeout_s),
                                                     self.timeout_s)
            self.channel = await self.connection.channel(publisher_confirms=True, on_return_raises=True)
        except (OSError, TimeoutError, AMQPError) as error:
            raise BrokerUnreachable(f"cannot reach the broker at {redact_url(self.url)} "
                                    f"({type(error).__name__}{': ' + str(error) if str(error) else ''})") from None
        try:
            version = self.connection.transport.connection.server_properties.get("version", b"")  # type: ignore[union-attr]
            self.server_version = _text(version)
        except AttributeError:
            self.server_version = ""
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self.release()
        finally:
            if self.connection is not None:
                await self.connection.close()

    @property
    def warning(self) -> str | None:
        """RabbitMQ 4.0–4.2 count every read towards a quorum queue's default delivery limit (20)."""
        match = _VERSION.match(self.server_version)
        if match and (int(match[1]), int(match[2])) in {(4, 0), (4, 1), (4, 2)}:
            return (f"RabbitMQ {self.server_version} counts each read of a DLQ message as a delivery and gives "
                    "quorum queues a default delivery limit of 20: give the DLQs a policy with delivery-limit -1 "
                    "(docs/operations.md#dead-letter-queues) or a message read 20 times is dropped")
        return None

    async def _queue(self, name: str) -> AbstractQueue:
        assert self.connection is not None and self.channel is not None
        probe = await self.connection.channel()
        try:
            await probe.declare_queue(name, passive=True)
        except (ChannelNotFoundEntity, ChannelClosed):
            raise DlqError(f"queue {name} does not exist (is JEMPUT_NAMESPACE / --namespace "
                           f"{self.topology.namespace!r} right, and has the service run once?)") from None
        finally:
            if not probe.is_closed:
                await probe.close()
        return await self.channel.declare_queue(name, passive=True)

    async def take(self, service: str) -> list[Held]:
        """Take every ready message of the service's DLQs, unacknowledged. Always all of them: a
        quorum queue serves returned messages first, so giving back only the first few of a queue
        whose messages were returned before would put those few behind the rest."""
        out = []
        for queue_name, dlq_name in dlqs_of(self.topology, service):
            queue = await self._queue(dlq_name)
            taken: list[AbstractIncomingMessage] = []
            while (message := await queue.get(no_ack=False, fail=False, timeout=self.timeout_s)) is not None:
                taken.append(message)
                self._held[message.delivery_tag or 0] = message
            out.append(Held(queue_name, dlq_name, len(taken), group(dlq_name, taken)))
        return out

    async def release(self) -> None:
        """Give back every message still held, in the order taken."""
        held, self._held = self._held, {}
        if self.channel is None or self.channel.is_closed:
            return  # the broker has them back already
        for message in held.values():
            if not message.processed:
                await message.nack(requeue=True)

    async def remove(self, letter: DeadLetter) -> None:
        """Acknowledge every copy of ``letter``: it leaves the DLQ."""
        for message in letter.deliveries:
            await message.ack()
            self._held.pop(message.delivery_tag or 0, None)

    async def replay(self, held: Held, letter: DeadLetter) -> None:
        """Publish ``letter`` once to the queue it came from (confirmed, mandatory; ``route``),
        then remove every copy of it from the DLQ."""
        assert self.channel is not None
        if letter.queue != held.queue:
            raise DlqError(f"message {letter.message_id} in {held.dlq} says it came from {letter.queue}, "
                           f"not {held.queue}: not replayed")
        exchange_name, routing_key = route(self.topology, held.queue, letter)
        exchange = self.channel.default_exchange if not exchange_name else \
            await self.channel.get_exchange(exchange_name, ensure=False)
        try:
            await exchange.publish(replay_message(letter), routing_key=routing_key, mandatory=True,
                                   timeout=self.timeout_s)
        except DeliveryError as error:
            raise DlqError(f"the broker did not take message {letter.message_id} into {held.queue} "
                           f"(is the queue there?); it stays in {held.dlq}") from None
        await self.remove(letter)


def select(held: list[Held], ids: list[str]) -> list[tuple[Held, DeadLetter]]:
    """The messages named (every message with that id), or all of them when ``ids`` is empty;
    ``UnknownMessage`` naming the ids that are in none of the DLQs."""
    chosen = [(h, letter) for h in held for letter in h.letters if not ids or letter.message_id in ids]
    missing = [i for i in dict.fromkeys(ids) if not any(letter.message_id == i for _, letter in chosen)]
    if missing:
        names = ", ".join(h.dlq for h in held)
        raise UnknownMessage(f"no message {', '.join(missing)} in {names}")
    return chosen
