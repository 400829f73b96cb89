"""SIGTERM on a service process (shared/shutdown.py): consuming stops, handlers in flight finish
and are acknowledged, messages not yet started stay in the queue untouched, what was written to
the outbox is published, and the process exits 0 within JEMPUT_SHUTDOWN_TIMEOUT — or 1, still
within the bound and losing nothing, when a handler outlives it."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import textwrap
import datetime as dt
import time

import aio_pika
import httpx

from shared.events import models as ev
from shared.events import new_event
from shared.shutdown import WATCHDOG_GRACE_S
from shared.store import outbox_insert
from shared.testing import EventTap, get_messages, queue_depth, running_service, service_processes

from .helpers import eventually, publish_event, visit_event

SLOW_SERVICE = textwrap.dedent("""
    # a service whose handler takes SLOW_HANDLER_S seconds, run by the platform's own serve()
    import asyncio, os
    from shared.bus import SUBSCRIPTIONS, Consumer
    from shared.service import ServiceDefinition, serve

    consumer = Consumer("scheduling")

    async def slow(event, data, rt):
        await rt.db.started.insert_one({"_id": event.id})
        await asyncio.sleep(float(os.environ["SLOW_HANDLER_S"]))
        await rt.db.effects.insert_one({"_id": event.id})

    for key in SUBSCRIPTIONS["scheduling"]:
        consumer.on(key)(slow)
    serve(ServiceDefinition(name="scheduling", consumer=consumer, outbox_collections=["notes"]))
""")


def roster_verified(npsn: str):
    return new_event("enrollment", ev.RosterVerified(
        npsn=npsn, roster_id="R-1", total=10, already_recorded=1, ready_to_record=7, not_yet_eligible=1,
        invalid=1, verified_at=dt.datetime(2026, 4, 20, 9, tzinfo=dt.UTC), version=1), subject=npsn)


def start_slow_service(env: dict[str, str]) -> subprocess.Popen[str]:
    import os

    from shared.testing import ROOT
    return subprocess.Popen([sys.executable, "-c", SLOW_SERVICE], cwd=ROOT, text=True,
                            env={**os.environ, **env}, stderr=subprocess.PIPE)


async def ready(url: str, proc: subprocess.Popen[str]) -> None:
    async with httpx.AsyncClient(timeout=2) as http, asyncio.timeout(60):
        while True:
            assert proc.poll() is None, proc.stderr.read()[-3000:] if proc.stderr else proc.returncode
            try:
                if (await http.get(f"{url}/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)


async def terminate(proc: subprocess.Popen[str]) -> tuple[int, float, str]:
    """SIGTERM; the exit code, the seconds it took and the log."""
    began = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, log = await asyncio.to_thread(proc.communicate, timeout=60)
    return proc.returncode, time.monotonic() - began, log


def drained_line(log: str) -> dict:
    [line] = [json.loads(x) for x in log.splitlines() if '"service drained"' in x]
    return line


async def test_sigterm_finishes_the_handlers_in_flight_flushes_the_outbox_and_exits_0(
        env_for, rabbit_url, topology, mongo_client):
    from shared.infra import free_port
    port = free_port()
    env = env_for("scheduling", JEMPUT_PREFETCH=2, JEMPUT_SHUTDOWN_TIMEOUT=10, SLOW_HANDLER_S=2.5,
                  JEMPUT_RELAY_SWEEP_S=600, HTTP_PORT=port)
    db = mongo_client[env["JEMPUT_DATABASE"]]
    queue = topology.queue_name("scheduling")
    events = [roster_verified(f"2061{i:04}") for i in range(6)]
    proc = start_slow_service(env)
    try:
        await ready(f"http://127.0.0.1:{port}", proc)
        for event in events:
            await publish_event(rabbit_url, topology.exchange_name("events"), event)
        await eventually(lambda: _count(db.started, 2))  # two handlers in flight (the prefetch)
        # an event written just before the signal whose immediate publish did not happen; the
        # periodic sweep is ten minutes away, so only the shutdown can publish it
        note = visit_event("scheduled", "V-NOTE", 1)
        await db.notes.insert_one({"_id": "N-1", **outbox_insert(note)})
        async with EventTap(rabbit_url, topology.exchange_name("events")) as tap:
            code, took, log = await terminate(proc)
            await tap.wait_for("visit.scheduled", timeout=5)
        assert code == 0, log[-3000:]
        assert 2.0 <= took < 10, took  # waited for the handlers, within the bound
        assert [m["message_id"] for m in tap.received] == [note.id]
        assert (await db.notes.find_one({"_id": "N-1"}))["outbox"] == []
        started = {d["_id"] async for d in db.started.find()}
        assert {d["_id"] async for d in db.effects.find()} == started and len(started) == 2
        # the four not yet delivered wait in the queue, never delivered (nothing was left unacked)
        left = await get_messages(rabbit_url, queue, limit=10)
        assert sorted(m.message_id for m in left) == sorted(e.id for e in events if e.id not in started)
        assert not any(m.redelivered for m in left)
        assert await queue_depth(rabbit_url, topology.dlq_name(queue)) == 0
        assert drained_line(log)["handlers_finished"] is True
    finally:
        if proc.poll() is None:
            proc.kill()


async def test_a_handler_outliving_the_bound_ends_the_process_with_1_and_loses_nothing(
        env_for, rabbit_url, topology, mongo_client):
    from shared.infra import free_port
    port = free_port()
    env = env_for("scheduling", JEMPUT_PREFETCH=1, JEMPUT_SHUTDOWN_TIMEOUT=3, SLOW_HANDLER_S=120, HTTP_PORT=port)
    db = mongo_client[env["JEMPUT_DATABASE"]]
    event = roster_verified("20619999")
    proc = start_slow_service(env)
    try:
        await ready(f"http://127.0.0.1:{port}", proc)
        await publish_event(rabbit_url, topology.exchange_name("events"), event)
        await eventually(lambda: _count(db.started, 1))
        code, took, log = await terminate(proc)
        assert code == 1, log[-3000:]
        assert took < 3 + 3, took  # the bound, and closing the connections
        assert drained_line(log)["handlers_finished"] is False
        assert await db.effects.count_documents({}) == 0
        [back] = await get_messages(rabbit_url, topology.queue_name("scheduling"))
        assert back.message_id == event.id and back.redelivered  # returned to the queue, not lost
    finally:
        if proc.poll() is None:
            proc.kill()


async def test_with_the_database_gone_the_shutdown_still_ends_within_the_bound_with_1(env_for, tmp_path):
    """The outbox cannot be flushed: the service says so and exits 1 in time (its events wait in
    the database for the next instance's sweep)."""
    from shared.infra import MongoStandin, free_port
    port = free_port()
    database = MongoStandin()
    env = env_for("scheduling", MONGODB_URL=database.start(), JEMPUT_SHUTDOWN_TIMEOUT=6, HTTP_PORT=port)
    proc = start_slow_service(env | {"SLOW_HANDLER_S": "0"})
    try:
        await ready(f"http://127.0.0.1:{port}", proc)
        database.stop(kill=True)
        code, took, log = await terminate(proc)
        assert code == 1, log[-3000:]
        assert took < 6 + WATCHDOG_GRACE_S, (took, log[-4000:])  # what compose's grace period relies on
        drained = drained_line(log)
        assert (drained["handlers_finished"], drained["outbox_flushed"]) == (True, False)
        assert "Application shutdown failed" not in log
    finally:
        database.stop(kill=True)
        if proc.poll() is None:
            proc.kill()


async def test_a_real_service_with_a_backlog_acks_what_it_did_and_leaves_the_rest(
        env_for, rabbit_url, topology, mongo_client, tmp_path):
    """The dashboard as its container runs it, stopped in the middle of a backlog of 1,000 events."""
    env = env_for("dashboard", JEMPUT_PREFETCH=16, JEMPUT_SHUTDOWN_TIMEOUT=15)
    visits = mongo_client[env["JEMPUT_DATABASE"]]["visits"]
    queue = topology.queue_name("dashboard")
    events = [visit_event("scheduled", f"V-{i:04}", 1) for i in range(1000)]
    async with service_processes({"dashboard": env}, log_dir=tmp_path) as procs:
        proc = procs["dashboard"].process
        await publish_many(rabbit_url, topology.exchange_name("events"), events)
        await eventually(lambda: _count(visits, 20))
        began = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        await asyncio.to_thread(proc.wait, 30)
        took = time.monotonic() - began
    log = (tmp_path / "dashboard.log").read_text()
    assert proc.returncode == 0 and took < 15, (proc.returncode, took, log[-2000:])
    done = {d["_id"] async for d in visits.find({}, {"_id": 1})}
    left = await get_messages(rabbit_url, queue, limit=len(events))
    assert left, "the backlog outlasted the service, so some messages were never started"
    assert not any(m.redelivered for m in left)
    by_id = {e.id: e for e in events}
    left_visits = {json.loads(m.body)["data"]["visit_id"] for m in left}
    assert not (left_visits & done) and len(left_visits) + len(done) == len(events)  # each once: done or waiting
    assert all(m.message_id in by_id for m in left)
    assert drained_line(log)["handlers_finished"] is True


async def test_readiness_says_draining_once_the_shutdown_began(settings_for):
    async with running_service("dashboard", settings_for("dashboard")) as svc:
        async with httpx.AsyncClient(base_url=svc.url) as http:
            assert (await http.get("/readyz")).status_code == 200
            svc.runtime.begin_shutdown()
            answer = await http.get("/readyz")
        assert (answer.status_code, answer.json()) == (503, {"status": "draining"})


async def publish_many(url: str, exchange: str, events: list) -> None:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        ex = await channel.get_exchange(exchange)
        await asyncio.gather(*(ex.publish(aio_pika.Message(
            e.to_json(), message_id=e.id, content_type="application/cloudevents+json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT), routing_key=e.routing_key) for e in events))


async def _count(collection, at_least: int) -> bool:
    return await collection.count_documents({}) >= at_least
