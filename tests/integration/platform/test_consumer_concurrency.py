"""A queue's messages are handled up to JEMPUT_PREFETCH at a time (each acks its own: this is
what lets concurrent handlers share database commands, shared/store/batching.py), one after
another with 1; a failing one among them is retried alone; a shutdown waits for the handlers in
flight and leaves nothing unacknowledged."""

from __future__ import annotations

import asyncio

from shared.bus import Consumer
from shared.service import ServiceDefinition
from shared.testing import queue_depth, running_service

from .helpers import card_requested, eventually, publish_event


def gated_printing(gate: asyncio.Event, running: list[str], done: list[str], fail_once: set[str]) -> ServiceDefinition:
    """card.requested handlers that wait for ``gate``; the request ids in ``fail_once`` fail once."""
    consumer = Consumer("printing")

    @consumer.on("card.requested")
    async def on_card_requested(event, data, rt) -> None:
        running.append(data.request_id)
        await gate.wait()
        if data.request_id in fail_once:
            fail_once.discard(data.request_id)
            raise ConnectionError("printer offline")
        await rt.db["card_requests"].insert_one({"_id": event.id})
        done.append(data.request_id)

    return ServiceDefinition(name="printing", consumer=consumer)


async def _publish(rabbit_url: str, topology, n: int) -> None:
    for i in range(n):
        await publish_event(rabbit_url, topology.exchange_name("restricted"), card_requested(f"R-{i}"))


async def test_messages_of_one_queue_are_handled_concurrently_and_each_acked(settings_for, rabbit_url, topology):
    gate, running, done = asyncio.Event(), [], []
    settings = settings_for("printing", JEMPUT_PREFETCH="4", JEMPUT_RETRY_BASE_S="0.05", JEMPUT_RETRY_MAX_S="0.1")
    async with running_service(gated_printing(gate, running, done, {"R-1"}), settings) as printing:
        await _publish(rabbit_url, topology, 6)
        await eventually(lambda: asyncio.sleep(0, len(running) == 4))
        await asyncio.sleep(0.3)
        assert len(running) == 4  # four at once: the other two wait for a free slot
        gate.set()
        await eventually(lambda: asyncio.sleep(0, len(done) == 6))
        assert sorted(done) == [f"R-{i}" for i in range(6)] and running.count("R-1") == 2  # retried alone
        queue = topology.queue_name("printing", "restricted")
        await eventually(lambda: _empty(rabbit_url, queue))
        assert await printing.runtime.db["card_requests"].count_documents({}) == 6


async def test_with_concurrency_one_they_go_one_after_another(settings_for, rabbit_url, topology):
    gate, running, done = asyncio.Event(), [], []
    settings = settings_for("printing", JEMPUT_PREFETCH="1")
    async with running_service(gated_printing(gate, running, done, set()), settings):
        await _publish(rabbit_url, topology, 3)
        await eventually(lambda: asyncio.sleep(0, len(running) == 1))
        await asyncio.sleep(0.3)
        assert running == ["R-0"]
        gate.set()
        await eventually(lambda: asyncio.sleep(0, len(done) == 3))
        assert done == ["R-0", "R-1", "R-2"]


async def test_a_shutdown_waits_for_the_handlers_in_flight(settings_for, rabbit_url, topology):
    gate, running, done = asyncio.Event(), [], []
    settings = settings_for("printing", JEMPUT_PREFETCH="4")
    service = running_service(gated_printing(gate, running, done, set()), settings)
    printing = await service.__aenter__()
    try:
        await _publish(rabbit_url, topology, 4)
        await eventually(lambda: asyncio.sleep(0, len(running) == 4))
        asyncio.get_running_loop().call_later(0.5, gate.set)  # they finish while the service drains
        await printing.runtime.drain()
        assert sorted(done) == [f"R-{i}" for i in range(4)]
    finally:
        await service.__aexit__(None, None, None)
    assert await queue_depth(rabbit_url, topology.queue_name("printing", "restricted")) == 0  # all four acknowledged


async def _empty(url: str, queue: str) -> bool:
    return await queue_depth(url, queue) == 0
