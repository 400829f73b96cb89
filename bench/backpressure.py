"""Benchmark: a burst of recordings absorbed with bounded memory in every service (issue 8).

A day's offline captures synced at once. Every service runs as its own process
(``python -m services.<name>``, as in its container; programme/stack.py) on
the real broker; the bench samples each process's resident memory (``/proc/<pid>/status``
VmRSS) and the depth of every Jemput queue every half second, from before a burst (the
baseline) until the burst has drained.

1. **Bus burst** (``--events``, default 10,000 per burst, run at each of ``--bursts`` sizes):
   the ``student.recorded`` events of that many recordings published at once to the public
   exchange; notifications and the dashboard take them through their bounded prefetch
   (``JEMPUT_PREFETCH``) while the rest waits in their quorum queues. Drained: the dashboard holds
   every recording and every queue is empty.
2. **Desk sync** (``--captures``, default 1,000): that many students of one school, checked in
   beforehand (not measured), then all their captures posted at once by ``--sync-concurrency``
   tablets (the enrollment API answers each with its own problems, so the field app syncs capture
   by capture); the central answers, ``card.requested``, printing and the notifications follow.
   Drained: every student at the end of its way (card printed or print failed, or the central
   registry's ``student.enrollment_rejected``: the simulator answers about 1.5 % duplicate and 1 %
   failed, as the real one does) and every queue empty.

    .venv/bin/python bench/backpressure.py [--bursts 2000,10000] [--captures 1000] [--sync-concurrency 32]

Last line: {"recordings", "captures", "peak_rss_mb", "baseline_rss_mb", "growth_mb", "drain_s",
"max_queue_depth", "bursts", "desk_sync"} — the first three per service, the largest burst's figures
on top and each burst size's in "bursts", so that memory can be compared as the burst grows; the
desk sync's figures with how many students were "printed", "print_failed" and "rejected".
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aio_pika

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from programme.pipeline import check_in_all, open_desk  # noqa: E402
from programme.runner import UNITS, Runner, desk_key  # noqa: E402
from programme.stack import Stack, running_stack  # noqa: E402
from programme.synthetic import generate  # noqa: E402
from shared import infra  # noqa: E402
from shared.bus.topology import Topology  # noqa: E402
from shared.events import models as ev  # noqa: E402
from shared.events import new_event  # noqa: E402
from shared.testing import EventTap, delete_topology  # noqa: E402

SAMPLE_S = 0.5
DRAIN_LIMIT_S = 3600
FIGURES = ("peak_rss_mb", "growth_mb", "drain_s", "max_queue_depth", "dead_lettered")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Sampler:
    """Resident memory of each service process and the depth of each queue, every SAMPLE_S."""

    pids: dict[str, int]
    rabbit_url: str
    queues: list[str]
    dlqs: list[str] = field(default_factory=list)
    peak_rss: dict[str, float] = field(default_factory=dict)
    depth: dict[str, int] = field(default_factory=dict)
    max_depth: int = 0

    def baseline(self) -> dict[str, float]:
        return {name: round(rss_mb(pid), 1) for name, pid in self.pids.items()}

    async def run(self, stop: asyncio.Event) -> None:
        """Sample until ``stop``; a broker restart skips samples, never stalls the sampling."""
        connection = None
        while not stop.is_set():
            try:
                async with asyncio.timeout(5):
                    if connection is None or connection.is_closed:
                        connection = await aio_pika.connect(self.rabbit_url)
                    async with connection.channel() as channel:  # fresh: a failed declare closes it
                        await self.sample(channel)
            except Exception as error:  # noqa: BLE001 — the figures say what was sampled
                print(f"sample skipped: {error!r}", flush=True)
                connection = None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), SAMPLE_S)
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close()

    async def sample(self, channel: aio_pika.abc.AbstractChannel) -> None:
        for name, pid in self.pids.items():
            self.peak_rss[name] = max(self.peak_rss.get(name, 0.0), rss_mb(pid))
        for queue in self.queues + self.dlqs:
            declared = await channel.declare_queue(queue, passive=True)
            self.depth[queue] = declared.declaration_result.message_count or 0
        self.max_depth = max(self.max_depth, max((self.depth[q] for q in self.queues), default=0))

    @property
    def dead_lettered(self) -> int:
        return sum(self.depth.get(q, 0) for q in self.dlqs)

    @property
    def empty(self) -> bool:
        return bool(self.depth) and not any(self.depth.get(q) for q in self.queues)


async def measured(sampler: Sampler, burst, drained, late=lambda: "") -> dict:
    """Baseline, then ``burst()``; sample until ``drained()`` and the queues stay empty
    (``late()`` says what is missing when the drain limit passes)."""
    await asyncio.sleep(1)
    base = sampler.baseline()
    sampler.peak_rss, sampler.max_depth = dict(base), 0
    dead_before = sampler.dead_lettered
    stop = asyncio.Event()
    task = asyncio.create_task(sampler.run(stop))
    began = time.monotonic()
    await burst()
    calm = 0
    while calm < 3:  # three samples in a row with everything done
        await asyncio.sleep(SAMPLE_S)
        calm = calm + 1 if sampler.empty and await drained() else 0
        if time.monotonic() - began > DRAIN_LIMIT_S:
            print(f"not drained after {DRAIN_LIMIT_S} s: queues {sampler.depth}; {late()}", flush=True)
            break
    took = time.monotonic() - began - 2 * SAMPLE_S
    stop.set()
    await task
    return {"baseline_rss_mb": base, "peak_rss_mb": {k: round(v, 1) for k, v in sampler.peak_rss.items()},
            "growth_mb": {k: round(sampler.peak_rss[k] - base[k], 1) for k in base},
            "drain_s": round(took, 1), "max_queue_depth": sampler.max_depth,
            "dead_lettered": sampler.dead_lettered - dead_before}


# --- 1. the bus burst ------------------------------------------------------------------------
def recorded(i: int, run: str) -> ev.StudentRecorded:
    return ev.StudentRecorded(
        student_id=f"S-{run}-{i:06}", npsn="20612345", visit_id="V-SYNC", unit_id=UNITS[i % len(UNITS)],
        nik_masked="3603********0001", recorded_at=dt.datetime.now(dt.UTC), version=1)


async def publish_all(url: str, exchange: str, events: list) -> None:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        ex = await channel.get_exchange(exchange)
        for start in range(0, len(events), 500):
            await asyncio.gather(*(ex.publish(aio_pika.Message(
                e.to_json(), message_id=e.id, content_type="application/cloudevents+json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT), routing_key=e.routing_key)
                for e in events[start:start + 500]))


async def bus_burst(sampler: Sampler, rabbit_url: str, topology: Topology, dashboard_db, n: int) -> dict:
    run = uuid.uuid4().hex[:6]
    events = [new_event("enrollment", recorded(i, run), subject=f"S-{run}-{i:06}") for i in range(n)]

    async def drained() -> bool:  # every recording in the dashboard, or (a defect) dead-lettered
        kept = await dashboard_db["facts"].count_documents({"_id": {"$regex": f"^recorded:S-{run}-"}})
        return kept + sampler.dead_lettered >= n

    figures = await measured(sampler, lambda: publish_all(rabbit_url, topology.exchange_name("events"), events),
                             drained)
    print(f"bus burst of {n:,} student.recorded: drained in {figures['drain_s']} s, queue depth up to "
          f"{figures['max_queue_depth']:,}, dead-lettered {figures['dead_lettered']}; RSS MB baseline {figures['baseline_rss_mb']} peak {figures['peak_rss_mb']}",
          flush=True)
    return figures


# --- 2. the desk sync ------------------------------------------------------------------------
ENDS = {"card.printed": "printed", "card.print_failed": "print_failed",
        "student.enrollment_rejected": "rejected"}  # where a student's way ends, as the bus shows it
STEPS = ("student.recorded", "student.print_ready", "card.printed")  # public events of the way there


def outcomes(tap: EventTap, ids: set[str]) -> dict[str, set[str]]:
    """The students of ``ids`` at each end of their way."""
    ended: dict[str, set[str]] = {name: set() for name in ENDS.values()}
    for key, name in ENDS.items():
        ended[name] |= {m["body"]["data"]["student_id"] for m in tap.of_type(key)} & ids
    return ended


def where(tap: EventTap, ids: set[str]) -> str:
    """The first public step not seen for each student whose way has not ended."""
    ended = set().union(*outcomes(tap, ids).values())
    seen: dict[str, set[str]] = {sid: set() for sid in ids - ended}
    for m in tap.received:
        sid = m["body"].get("data", {}).get("student_id")
        if sid in seen:
            seen[sid].add(m["routing_key"])
    missing: dict[str, int] = {}
    for got in seen.values():
        step = next((s for s in STEPS if s not in got), "?")
        missing[step] = missing.get(step, 0) + 1
    return f"{len(seen)} students unfinished: " + ", ".join(f"no {k} for {n}" for k, n in missing.items())


async def prepare(runner: Runner, n: int, seed: int) -> list[tuple[str, dict]]:
    """``n`` students of one school checked in at its visit (a guardian's consent for minors)."""
    school = runner.programme.schools[0]
    visit = await open_desk(runner, blanks=n + 50)
    ids = [sid for sid in runner.state.students_of[school.npsn]
           if runner.state.student_by_id[sid].expected == "ready_to_record"][:n]
    return await check_in_all(runner, visit, school.kecamatan, ids, seed=seed, operator="op-sync",
                              today=dt.date.today())


async def desk_sync(sampler: Sampler, runner: Runner, tap: EventTap, captures: list[tuple[str, dict]],
                    concurrency: int) -> dict:
    gate = asyncio.Semaphore(concurrency)
    ids = {sid for sid, _ in captures}

    async def one(sid: str, body: dict) -> None:
        async with gate:
            await runner.call("POST", "enrollment", f"/students/{sid}/capture", json=body, headers=desk_key())

    async def sync() -> None:
        await asyncio.gather(*(one(sid, body) for sid, body in captures))

    async def drained() -> bool:  # a rejected record is never printed: its way ends there
        return ids <= set().union(*outcomes(tap, ids).values())

    figures = await measured(sampler, sync, drained, lambda: where(tap, ids))
    figures |= {name: len(got) for name, got in outcomes(tap, ids).items()}
    print(f"desk sync of {len(captures):,} captures ({concurrency} at once): {figures['printed']:,} cards printed, "
          f"{figures['print_failed']} print failed, {figures['rejected']} rejected by the central registry, every "
          f"queue empty after {figures['drain_s']} s, queue depth up to {figures['max_queue_depth']:,}; RSS MB "
          f"baseline {figures['baseline_rss_mb']} peak {figures['peak_rss_mb']}", flush=True)
    return figures


async def main(args: argparse.Namespace) -> dict:
    ns = f"bp{uuid.uuid4().hex[:8]}"
    topology = Topology(ns)
    bursts = sorted(int(x) for x in args.bursts.split(",") if x)
    with infra.rabbitmq() as rabbit_url, infra.mongodb() as (mongo_url, kind):
        print(f"database: {kind}; broker {rabbit_url.split('@')[-1]}; namespace {ns}", flush=True)
        workdir = Path(tempfile.mkdtemp(prefix="jemput-backpressure-"))

        def base_env(name: str) -> dict[str, str]:
            return {"RABBITMQ_URL": rabbit_url, "MONGODB_URL": mongo_url, "JEMPUT_SERVICE": name,
                    "JEMPUT_NAMESPACE": ns, "JEMPUT_DATABASE": f"{ns}_{name}"}

        stack = Stack(base_env=base_env, workdir=workdir)
        programme = generate(schools=1, students=args.captures + 10, ready=args.captures, seed=args.seed,
                             start=dt.date.today() - dt.timedelta(days=400))
        programme.start = dt.date.today() + dt.timedelta(days=14)
        try:
            async with running_stack(stack) as stack, EventTap(rabbit_url, topology.exchange_name("events")) as tap:
                pids = {name: p.process.pid for name, p in stack.procs.items()}
                sampler = Sampler(pids, rabbit_url, topology.all_queues(),
                                  [topology.dlq_name(q) for q in topology.all_queues()])
                from pymongo import AsyncMongoClient
                client: AsyncMongoClient = AsyncMongoClient(mongo_url)
                try:
                    per_burst = {n: await bus_burst(sampler, rabbit_url, topology, client[f"{ns}_dashboard"], n)
                                 for n in bursts}
                    sync = None
                    if args.captures:
                        runner = Runner(stack, programme, tap, seed=args.seed)
                        started = time.monotonic()
                        captures = await prepare(runner, args.captures, args.seed)
                        print(f"prepared {len(captures):,} students (roster, plan, stock, check-ins) in "
                              f"{time.monotonic() - started:.0f} s", flush=True)
                        sync = await desk_sync(sampler, runner, tap, captures, args.sync_concurrency)
                        await runner.http.aclose()
                finally:
                    await client.close()
        finally:
            with contextlib.suppress(Exception):
                await delete_topology(rabbit_url, topology)
        print(f"service logs in {workdir / 'logs'}")
    top = per_burst[bursts[-1]] if bursts else {}
    return {"recordings": bursts[-1] if bursts else 0, "captures": args.captures,
            "peak_rss_mb": top.get("peak_rss_mb"), "baseline_rss_mb": top.get("baseline_rss_mb"),
            "growth_mb": top.get("growth_mb"), "drain_s": top.get("drain_s"),
            "max_queue_depth": top.get("max_queue_depth"),
            "dead_lettered": sum(f["dead_lettered"] for f in [*per_burst.values(), *([sync] if sync else [])]),
            "bursts": {str(n): {k: f[k] for k in FIGURES} for n, f in per_burst.items()},
            "desk_sync": sync and {k: sync[k] for k in (*FIGURES, *ENDS.values())}}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bursts", default="2000,10000", help="bus burst sizes, comma-separated (default 2000,10000)")
    parser.add_argument("--captures", type=int, default=1000, help="captures synced at once (0: skip)")
    parser.add_argument("--sync-concurrency", type=int, default=32, help="captures in flight at once")
    parser.add_argument("--seed", type=int, default=2026)
    print(json.dumps(asyncio.run(main(parser.parse_args()))))
