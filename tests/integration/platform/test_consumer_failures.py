"""The subscriber layer on the real broker: poison goes to the DLQ at once with its reason,
transient failures are retried with back-off, a message that always fails reaches the DLQ only
after the delivery limit, and a duplicated message has one effect."""

from __future__ import annotations

import asyncio
import json

from shared.bus import REASON_HEADER
from shared.service import ServiceDefinition
from shared.testing import get_messages, queue_depth, running_service

from .helpers import (body_of, card_requested, eventually, failing_printing, publish_event, publish_raw,
                      visit_event)


async def test_poison_lands_in_the_dlq_with_its_reason_and_the_next_message_is_processed(settings_for, rabbit_url, topology):
    events = topology.exchange_name("events")
    good = visit_event("scheduled", "V-good", 1)
    schema_invalid = json.loads(visit_event("scheduled", "V-bad", 1).to_json())
    del schema_invalid["data"]["npsn"]
    unknown_version = json.loads(visit_event("scheduled", "V-v9", 1).to_json())
    unknown_version["type"] = "jemput.visit.scheduled.v9"
    poison = [
        (b"{this is not json", "bad JSON"),
        (json.dumps(schema_invalid).encode(), "schema-invalid jemput.visit.scheduled.v1: data.npsn: missing"),
        (json.dumps(unknown_version).encode(), "unknown type version"),
    ]
    async with running_service("enrollment", settings_for("enrollment")) as enrollment:
        for body, _ in poison:
            await publish_raw(rabbit_url, events, "visit.scheduled", body, message_id="poison")
        await publish_event(rabbit_url, events, good)

        visits = enrollment.runtime.db["visits"]
        await eventually(lambda: visits.find_one({"_id": "V-good"}))
        dlq = topology.dlq_name(topology.queue_name("enrollment"))
        await eventually(lambda: _depth_is(rabbit_url, dlq, 3))
        dead = await get_messages(rabbit_url, dlq)
        assert [m.body for m in dead] == [body for body, _ in poison]  # bodies untouched, in order
        for message, (_, reason) in zip(dead, poison, strict=True):
            assert reason in message.headers[REASON_HEADER]
            assert message.headers["x-jemput-queue"] == topology.queue_name("enrollment")
        assert await visits.count_documents({}) == 1
        assert await queue_depth(rabbit_url, topology.queue_name("enrollment")) == 0


async def _depth_is(url: str, queue: str, n: int) -> bool:
    return await queue_depth(url, queue) == n


def flaky_printing(fail_times: int | None, attempts: list[str]) -> ServiceDefinition:
    """A printing service whose card.requested handler fails ``fail_times`` times (None: always)."""
    return failing_printing(fail_times, attempts, ConnectionError("printer offline"))


async def test_a_transient_failure_is_retried_until_it_succeeds(settings_for, rabbit_url, topology):
    attempts: list[str] = []
    async with running_service(flaky_printing(2, attempts), settings_for("printing")) as printing:
        event = card_requested()
        await publish_event(rabbit_url, topology.exchange_name("restricted"), event)
        await eventually(lambda: printing.runtime.db["card_requests"].find_one({"_id": event.id}))
        assert attempts == [event.id] * 3
        dlq = topology.dlq_name(topology.queue_name("printing", "restricted"))
        assert await queue_depth(rabbit_url, dlq) == 0


async def test_a_message_that_always_fails_reaches_the_dlq_after_the_delivery_limit(settings_for, rabbit_url, topology):
    attempts: list[str] = []
    settings = settings_for("printing", JEMPUT_DELIVERY_LIMIT=3)
    async with running_service(flaky_printing(None, attempts), settings):
        event = card_requested()
        await publish_event(rabbit_url, topology.exchange_name("restricted"), event)
        queue = topology.queue_name("printing", "restricted")
        dlq = topology.dlq_name(queue)
        await eventually(lambda: _depth_is(rabbit_url, dlq, 1), timeout=30)
        [dead] = await get_messages(rabbit_url, dlq)
        assert body_of(dead)["id"] == event.id
        assert dead.headers["x-first-death-reason"] == "delivery_limit"
        assert dead.headers["x-first-death-queue"] == queue
        assert len(attempts) == 4  # the first delivery and three redeliveries, then the limit
        await asyncio.sleep(0.5)
        assert len(attempts) == 4 and await queue_depth(rabbit_url, queue) == 0


async def test_the_same_message_delivered_twice_has_one_effect(settings_for, rabbit_url, topology):
    async with running_service("printing", settings_for("printing")) as printing:
        event = card_requested()
        for _ in range(2):
            await publish_event(rabbit_url, topology.exchange_name("restricted"), event)
        requests = printing.runtime.db["card_requests"]
        await eventually(lambda: requests.find_one({"_id": event.id}))
        await eventually(lambda: _depth_is(rabbit_url, topology.queue_name("printing", "restricted"), 0))
        await asyncio.sleep(0.3)
        assert await requests.count_documents({}) == 1


async def test_copies_end_in_the_right_state_whatever_the_order(settings_for, rabbit_url, topology):
    """visit.rescheduled (version 2) before visit.scheduled (version 1): the copy keeps version 2."""
    async with running_service("enrollment", settings_for("enrollment")) as enrollment:
        events = topology.exchange_name("events")
        await publish_event(rabbit_url, events, visit_event("rescheduled", "V-7", 2, previous_date="2026-05-06",
                                                            reason="unit unavailable", date="2026-05-08"))
        await publish_event(rabbit_url, events, visit_event("scheduled", "V-7", 1))
        visits = enrollment.runtime.db["visits"]
        await eventually(lambda: _depth_is(rabbit_url, topology.queue_name("enrollment"), 0))
        await asyncio.sleep(0.3)
        copy = await visits.find_one({"_id": "V-7"})
        assert copy["status"] == "rescheduled" and copy["version"] == 2 and copy["date"] == "2026-05-08"
