"""The outbox: an event written with its aggregate is published once, and a crash between the
write and the publish loses nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path


from shared.testing import EventTap, api_client, running_service

from .helpers import eventually

ROOT = Path(__file__).resolve().parents[3]
VISIT = {"npsn": "20612345", "school_name": "SMAN 99 Contoh", "kecamatan": "Balaraja", "unit_id": "unit-1",
         "date": "2026-05-06", "expected_students": 80}


async def test_an_event_written_through_the_outbox_arrives_once(settings_for, rabbit_url, topology):
    async with (
        running_service("scheduling", settings_for("scheduling")) as scheduling,
        EventTap(rabbit_url, topology.exchange_name("events")) as tap,
    ):
        async with api_client(scheduling.url) as http:
            visit = (await http.post("/visits", json=VISIT)).json()
        await tap.wait_for("visit.scheduled")
        await asyncio.sleep(1.5)  # three sweeps of the relay (0.5 s each) come and go
        assert [m["body"]["data"]["visit_id"] for m in tap.of_type("visit.scheduled")] == [visit["visit_id"]]
        assert await scheduling.runtime.relay.pending() == 0


CRASHING_WRITER = textwrap.dedent("""
    import asyncio, os, signal
    from services.scheduling.app import definition
    from services.scheduling.adapters.visit_repository import VisitRepository
    from shared.service import Runtime
    from shared.settings import ServiceSettings

    async def main():
        runtime = Runtime(definition, ServiceSettings())
        async def crash(*args, **kwargs):  # the process dies after the write, before publishing
            os.kill(os.getpid(), signal.SIGKILL)
        runtime.relay.publish_written = crash
        await VisitRepository(runtime).schedule({
            "visit_id": "V-crash", "npsn": "20612345", "school_name": "SMAN 99 Contoh", "kecamatan": "Balaraja",
            "unit_id": "unit-1", "date": "2026-05-06", "session_start": "08:00", "session_end": "12:00",
            "expected_students": 80})

    asyncio.run(main())
""")


async def test_a_process_killed_between_write_and_publish_loses_nothing(env_for, settings_for, rabbit_url, topology, mongo_client):
    env = {**os.environ, **env_for("scheduling")}
    # the service ran once before, so the topology (and the consumers' queues) exist
    async with running_service("scheduling", settings_for("scheduling")):
        pass
    killed = await asyncio.to_thread(subprocess.run, [sys.executable, "-c", CRASHING_WRITER], env=env,
                                     cwd=ROOT, capture_output=True, timeout=60)
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()[-2000:]

    visits = mongo_client[env["JEMPUT_DATABASE"]]["visits"]
    stored = await visits.find_one({"_id": "V-crash"})
    assert stored is not None and len(stored["outbox"]) == 1, "the write happened, the publish did not"

    async with EventTap(rabbit_url, topology.exchange_name("events")) as tap:
        async with running_service("scheduling", settings_for("scheduling")):
            [message] = await tap.wait_for("visit.scheduled")
            assert message["body"]["data"]["visit_id"] == "V-crash"
            assert message["body"]["id"] == stored["outbox"][0]["id"]  # the very event that was written
            await eventually(lambda: _outbox_empty(visits))
        await asyncio.sleep(0.5)
        assert len(tap.of_type("visit.scheduled")) == 1


async def _outbox_empty(visits) -> bool:
    return (await visits.find_one({"_id": "V-crash"}))["outbox"] == []


async def test_an_unroutable_restricted_event_stays_in_the_outbox(settings_for, mongo_client):
    """Mandatory publishing: with no queue bound for card.requested, the publish fails and the
    event waits in the outbox instead of vanishing."""
    from shared.events import new_event
    from shared.store import outbox_insert

    from .helpers import card_requested

    async with running_service("enrollment", settings_for("enrollment")) as enrollment:
        rt = enrollment.runtime
        # remove the printing queue's binding so that card.requested has nowhere to go
        channel = await rt.broker._connection.channel()
        queue = await channel.get_queue(rt.topology.queue_name("printing", "restricted"))
        await queue.unbind(rt.topology.exchange_name("restricted"), "card.requested")
        event = card_requested()
        await rt.db["students"].insert_one({"_id": "S-0001", **outbox_insert(event)})
        rt.relay.collections = ("students",)
        published = await rt.relay.sweep()
        assert published == 0
        doc = await rt.db["students"].find_one({"_id": "S-0001"})
        assert [e["id"] for e in doc["outbox"]] == [event.id]
        await queue.bind(rt.topology.exchange_name("restricted"), "card.requested")
        assert await rt.relay.sweep() == 1
        assert (await rt.db["students"].find_one({"_id": "S-0001"}))["outbox"] == []
        await channel.close()
    assert new_event  # imported for the reader: the event above is built with the catalogue's builder


async def test_a_flush_and_a_publish_of_the_same_document_send_each_event_once(settings_for, rabbit_url, topology):
    from shared.events import models as ev
    from shared.events import new_event
    from shared.store import outbox_insert

    async with (
        running_service("scheduling", settings_for("scheduling")) as scheduling,
        EventTap(rabbit_url, topology.exchange_name("events")) as tap,
    ):
        relay, collection = scheduling.runtime.relay, scheduling.runtime.db["outbox_race"]
        events = []
        for i in range(5):
            event = new_event("scheduling", ev.VisitScheduled(
                visit_id=f"V-race-{i}", session_start="08:00", session_end="12:00", version=1, **VISIT), subject=f"V-race-{i}")
            await collection.insert_one({"_id": f"V-race-{i}", **outbox_insert(event)})
            # the writer publishes what it wrote while the sweep flushes the same document
            await asyncio.gather(relay.flush("outbox_race", f"V-race-{i}"),
                                 relay.publish_written("outbox_race", f"V-race-{i}", [event]))
            events.append(event.id)
        await tap.wait_for("visit.scheduled", count=5)
        await asyncio.sleep(1.0)  # two sweeps come and go
        assert sorted(m["body"]["id"] for m in tap.of_type("visit.scheduled")) == sorted(events)
        assert await collection.count_documents({"outbox.0": {"$exists": True}}) == 0
