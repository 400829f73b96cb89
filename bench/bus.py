"""Benchmark: events per second through Jemput's bus path, beside a raw aio-pika baseline.

Jemput path, per event: the producer writes an aggregate document with the event in its outbox
(MongoDB), the relay publishes it (persistent, confirmed, mandatory) and pulls it from the
outbox (MongoDB), the consumer validates envelope and data and records the effect idempotently
keyed by the event id (MongoDB), then acknowledges.
Raw path, per event: the same producer write, a persistent confirmed publish with aio-pika, and
a consumer that inserts the same effect document and acknowledges.
Both run with the same number of concurrent producers in the same process and the same run.

    .venv/bin/python bench/bus.py [--events 2000] [--producers 8]

Last line: {"events_per_s": …, "raw_events_per_s": …, "ratio_vs_raw": …}
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
import time
import uuid
from pathlib import Path

import aio_pika

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shared import infra  # noqa: E402
from shared.bus import Consumer  # noqa: E402
from shared.bus.topology import SUBSCRIPTIONS, Topology  # noqa: E402
from shared.events import models as ev  # noqa: E402
from shared.events import new_event  # noqa: E402
from shared.service import ServiceDefinition  # noqa: E402
from shared.settings import ServiceSettings  # noqa: E402
from shared.store import outbox_insert, record_once  # noqa: E402
from shared.testing import delete_topology, running_service  # noqa: E402


def visit(i: int) -> ev.VisitScheduled:
    return ev.VisitScheduled(
        visit_id=f"V-{i}", npsn="20612345", school_name="SMAN 99 Contoh", kecamatan="Balaraja", unit_id="unit-1",
        date=dt.date(2026, 5, 6), session_start="08:00", session_end="12:00", expected_students=100, version=1)


async def jemput_path(n: int, producers: int, settings: dict[str, str]) -> float:
    done = asyncio.Event()
    effects = 0

    consumer = Consumer("enrollment")

    async def on_event(event, data, rt) -> None:
        nonlocal effects
        if await record_once(rt.db["effects"], event.id, {"visit_id": data.visit_id}):
            effects += 1
            if effects == n:
                done.set()

    for key in SUBSCRIPTIONS["enrollment"]:
        consumer.on(key)(on_event)
    consumer_def = ServiceDefinition(name="enrollment", consumer=consumer)
    producer_def = ServiceDefinition(name="scheduling", outbox_collections=["visits"])

    async with (
        running_service(consumer_def, ServiceSettings(**settings, JEMPUT_SERVICE="enrollment")),
        running_service(producer_def, ServiceSettings(**settings, JEMPUT_SERVICE="scheduling")) as producer,
    ):
        rt = producer.runtime
        visits = rt.db["visits"]

        async def produce(indices: range) -> None:
            for i in indices:
                event = new_event("scheduling", visit(i), subject=f"V-{i}")
                await visits.insert_one({"_id": f"V-{i}", "status": "scheduled", **outbox_insert(event)})
                await rt.relay.publish_written("visits", f"V-{i}", [event])

        start = time.perf_counter()
        await asyncio.gather(*(produce(range(p, n, producers)) for p in range(producers)))
        await asyncio.wait_for(done.wait(), 600)
        return n / (time.perf_counter() - start)


async def raw_path(n: int, producers: int, rabbit_url: str, mongo_url: str, db_name: str) -> float:
    from pymongo import AsyncMongoClient

    client = AsyncMongoClient(mongo_url)
    db = client[db_name]
    connection = await aio_pika.connect_robust(rabbit_url)
    queue_name = f"bench.raw.{uuid.uuid4().hex[:8]}"
    done = asyncio.Event()
    effects = 0
    try:
        publish_channel = await connection.channel(publisher_confirms=True)
        consume_channel = await connection.channel()
        await consume_channel.set_qos(prefetch_count=32)
        queue = await consume_channel.declare_queue(queue_name, durable=True, arguments={"x-queue-type": "quorum"})

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal effects
            body = json.loads(message.body)
            await db["effects"].insert_one({"_id": body["id"], "visit_id": body["data"]["visit_id"]})
            await message.ack()
            effects += 1
            if effects == n:
                done.set()

        await queue.consume(on_message)

        async def produce(indices: range) -> None:
            for i in indices:
                event = new_event("scheduling", visit(i), subject=f"V-{i}")
                await db["visits"].insert_one({"_id": f"V-{i}", "status": "scheduled"})
                await publish_channel.default_exchange.publish(
                    aio_pika.Message(event.to_json(), message_id=event.id,
                                     delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                    routing_key=queue_name, mandatory=True)

        start = time.perf_counter()
        await asyncio.gather(*(produce(range(p, n, producers)) for p in range(producers)))
        await asyncio.wait_for(done.wait(), 600)
        rate = n / (time.perf_counter() - start)
        await consume_channel.queue_delete(queue_name)
        return rate
    finally:
        await connection.close()
        await client.drop_database(db_name)
        await client.close()


async def main(n: int, producers: int) -> dict[str, float]:
    with infra.rabbitmq() as rabbit_url, infra.mongodb() as (mongo_url, mongo_kind):
        ns = f"bench{uuid.uuid4().hex[:6]}"
        settings = {"RABBITMQ_URL": rabbit_url, "MONGODB_URL": mongo_url, "JEMPUT_NAMESPACE": ns,
                    "HTTP_PORT": "0", "JEMPUT_RELAY_SWEEP_S": "5"}
        print(f"database: {mongo_kind}; broker: {rabbit_url.split('@')[-1]}; events: {n}; producers: {producers}")
        try:
            raw = await raw_path(n, producers, rabbit_url, mongo_url, f"{ns}_raw")
            print(f"raw aio-pika publish+consume with the same writes: {raw:,.0f} events/s")
            ours = await jemput_path(n, producers, {**settings, "JEMPUT_DATABASE": f"{ns}_jemput"})
            print(f"outbox -> broker -> idempotent consumer:          {ours:,.0f} events/s")
        finally:
            await delete_topology(rabbit_url, Topology(ns))
            from pymongo import AsyncMongoClient

            client = AsyncMongoClient(mongo_url)
            await client.drop_database(f"{ns}_jemput")
            await client.close()
    return {"events_per_s": round(ours, 1), "raw_events_per_s": round(raw, 1), "ratio_vs_raw": round(ours / raw, 3),
            "events": n, "database": mongo_kind}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--producers", type=int, default=8)
    args = parser.parse_args()
    import logging
    logging.basicConfig(level=logging.WARNING)
    print(json.dumps(asyncio.run(main(args.events, args.producers))))
