"""Bounds that keep a burst from growing a service's memory (bench/backpressure.py measures it):
API requests in flight, the outbox relay's batches. The consumers' prefetch is shown in
test_graceful_shutdown.py (only JEMPUT_PREFETCH handlers run while more messages wait). And a
burst that makes the database drop connections waits instead of filling the DLQ."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from pymongo.errors import AutoReconnect

from shared.service import ServiceDefinition
from shared.store import outbox_insert
from shared.testing import EventTap, get_messages, queue_depth, running_service

from .helpers import card_requested, eventually, failing_printing, publish_event, visit_event


async def test_api_requests_beyond_the_limit_wait_for_a_slot_while_health_answers(settings_for):
    inside, peak = 0, 0
    release = asyncio.Event()

    def build(rt) -> FastAPI:
        api = FastAPI()

        @api.post("/captures")
        async def capture(body: dict) -> dict:
            nonlocal inside, peak
            inside += 1
            peak = max(peak, inside)
            await release.wait()
            inside -= 1
            return {"n": body["n"]}

        return api

    definition = ServiceDefinition(name="dashboard", api=build)
    async with running_service(definition, settings_for("dashboard", JEMPUT_HTTP_CONCURRENCY=2)) as svc:
        async with httpx.AsyncClient(base_url=svc.url, timeout=20) as http:
            calls = [asyncio.create_task(http.post("/captures", json={"n": i})) for i in range(6)]

            async def two_inside() -> bool:
                return inside == 2

            await eventually(two_inside)
            await asyncio.sleep(0.3)
            assert inside == 2  # the other four wait for a slot
            assert (await http.get("/readyz")).status_code == 200  # health is not behind the limit
            release.set()
            answers = await asyncio.gather(*calls)
    assert [(a.status_code, a.json()["n"]) for a in answers] == [(200, i) for i in range(6)]
    assert peak == 2


async def test_the_relay_publishes_in_bounded_batches_and_the_shutdown_drain_takes_them_all(
        settings_for, rabbit_url, topology):
    async with running_service("scheduling", settings_for("scheduling", JEMPUT_RELAY_SWEEP_S=600)) as svc:
        rt = svc.runtime
        async def relay_started() -> bool:  # the periodic sweep starts just after start-up
            return any(task.get_name().endswith("-relay") for task in rt._tasks)

        await eventually(relay_started)
        for task in rt._tasks:  # out of the way, so that only the calls below publish
            task.cancel()
        await asyncio.gather(*rt._tasks, return_exceptions=True)
        events = [visit_event("scheduled", f"V-{i:02}", 1) for i in range(25)]
        # written, their immediate publish lost: only sweeps publish them
        await rt.db["visits"].insert_many([{"_id": f"B-{i:02}", **outbox_insert(e)} for i, e in enumerate(events)])
        async with EventTap(rabbit_url, topology.exchange_name("events")) as tap:
            assert await rt.relay.sweep(batch=10) == 10  # one pass reads at most one batch
            assert await rt.relay.pending() == 15
            assert await rt.relay.drain(timeout=30) is True  # at shutdown: pass after pass until none
            assert await rt.relay.pending() == 0
            await tap.wait_for("visit.scheduled", count=25)
        assert sorted(m["message_id"] for m in tap.received) == sorted(e.id for e in events)


def printing_with_a_database_that_drops(drops: int | None, attempts: list[str]) -> ServiceDefinition:
    """card.requested handled against a database that drops the connection ``drops`` times (None: always)."""
    return failing_printing(drops, attempts, AutoReconnect("127.0.0.1:27017: connection closed"))


async def test_a_database_dropping_connections_is_waited_out_without_spending_the_delivery_limit(
        settings_for, rabbit_url, topology):
    attempts: list[str] = []
    settings = settings_for("printing", JEMPUT_DELIVERY_LIMIT=1, JEMPUT_RETRY_MAX_S=0.1)
    async with running_service(printing_with_a_database_that_drops(6, attempts), settings) as printing:
        event = card_requested()
        await publish_event(rabbit_url, topology.exchange_name("restricted"), event)
        await eventually(lambda: printing.runtime.db["card_requests"].find_one({"_id": event.id}))
    assert attempts == [event.id] * 7  # six drops and the success, all in the one delivery
    dlq = topology.dlq_name(topology.queue_name("printing", "restricted"))
    assert await queue_depth(rabbit_url, dlq) == 0


async def test_a_database_still_unreachable_after_the_outage_retry_falls_back_to_the_delivery_limit(
        settings_for, rabbit_url, topology):
    attempts: list[str] = []
    settings = settings_for("printing", JEMPUT_DELIVERY_LIMIT=1, JEMPUT_OUTAGE_RETRY_S=0.3, JEMPUT_RETRY_MAX_S=0.1)
    async with running_service(printing_with_a_database_that_drops(None, attempts), settings):
        event = card_requested()
        await publish_event(rabbit_url, topology.exchange_name("restricted"), event)
        dlq = topology.dlq_name(topology.queue_name("printing", "restricted"))

        async def dead_lettered() -> bool:
            return await queue_depth(rabbit_url, dlq) == 1

        await eventually(dead_lettered, timeout=30)
    [dead] = await get_messages(rabbit_url, dlq)
    assert dead.headers["x-first-death-reason"] == "delivery_limit"
    assert len(attempts) > 2  # retried in place within each delivery before giving the message back
