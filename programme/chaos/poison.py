"""Poison messages: bad JSON, schema-invalid, unknown type version, published straight into a
service's queue (the default exchange routes by queue name), and found again in its DLQ."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
import uuid
from collections import Counter
from dataclasses import dataclass

import aio_pika
import aiormq

from shared.bus.consumer import REASON_HEADER
from shared.envelope import CONTENT_TYPE

KINDS = ("bad JSON", "schema-invalid", "unknown type version")
PREFIX = "chaos-poison-"


def poison_body(kind: str, routing_key: str) -> bytes:
    if kind == "bad JSON":
        return b'{"specversion": "1.0", "id": '
    event = {"specversion": "1.0", "id": str(uuid.uuid4()), "source": "/jemput/chaos",
             "type": f"jemput.{routing_key}.v1", "time": dt.datetime.now(dt.UTC).isoformat(),
             "subject": "chaos", "datacontenttype": "application/json", "correlationid": str(uuid.uuid4()),
             "causationid": None, "data": {}}
    if kind == "unknown type version":
        event["type"] = f"jemput.{routing_key}.v99"
    return json.dumps(event).encode()


async def inject(url: str, queues: dict[str, str], per_queue: int, patience_s: float = 120.0) -> list[str]:
    """Publish ``per_queue`` poison messages into each queue (name -> a routing key it binds), with
    confirms; returns their message ids (``chaos-poison-<queue>-<n>``). A broker that is down
    (restarting) is waited for: publishing goes on from the first message not confirmed."""
    todo = [(queue, key, n) for queue, key in queues.items() for n in range(per_queue)]
    ids: list[str] = []
    deadline = time.monotonic() + patience_s
    while len(ids) < len(todo):
        try:
            connection = await aio_pika.connect(url)
            async with connection:
                channel = await connection.channel(publisher_confirms=True)
                for queue, routing_key, n in todo[len(ids):]:
                    kind = KINDS[n % len(KINDS)]
                    message_id = f"{PREFIX}{queue}-{n}"
                    await channel.default_exchange.publish(
                        aio_pika.Message(poison_body(kind, routing_key), message_id=message_id,
                                         content_type=CONTENT_TYPE, headers={"x-chaos-kind": kind},
                                         delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                        routing_key=queue, mandatory=True)
                    ids.append(message_id)
        except (ConnectionError, aio_pika.exceptions.AMQPError, aiormq.exceptions.ChannelInvalidStateError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(1)
    return ids


@dataclass
class DlqContents:
    poison: Counter[str]        # poison message id -> times found (once is right)
    without_reason: list[str]   # poison found without the reason header, or with a wrong one
    others: list[dict]          # anything else: an event that was not consumed


def sort_dlq(messages: list[aio_pika.abc.AbstractIncomingMessage]) -> DlqContents:
    out = DlqContents(Counter(), [], [])
    for m in messages:
        headers = m.headers or {}
        reason = str(headers.get(REASON_HEADER) or "")
        if (m.message_id or "").startswith(PREFIX):
            out.poison[m.message_id] += 1
            kind = str(headers.get("x-chaos-kind") or "")
            if not reason.startswith(kind) or not kind:
                out.without_reason.append(m.message_id)
        else:
            out.others.append({"message_id": m.message_id, "reason": reason[:200],
                               "first_death": str(headers.get("x-first-death-reason") or "")})
    return out
