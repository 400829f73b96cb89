"""Benchmark: students end to end — capture → central answer → card printed → "card ready" SMS.

The four services run in this process (so PyMongo command monitoring counts their database
commands) on the real broker and database, with the central-registry simulator set to answer at
once and the local SMS gateway and SMTP server (programme/pipeline.py says how, and what is
prepared beforehand: roster, plan, stock, check-ins and consents).

Two runs on two sets of prepared students, in the same process:
1. at a fixed arrival rate (``--rate``, default 20 captures a second, open loop): latency per
   student from the capture request to the "card ready" SMS reaching the gateway → p50, p95;
   database commands (all services' databases, their periodic passes at their defaults included
   for as long as the run lasts) and broker messages (both exchanges, one per publish) in that
   run, divided by the students;
2. at full speed (``--concurrency`` captures in flight): students per second, first capture to
   last SMS.

    .venv/bin/python bench/e2e.py [--students 200] [--rate 20] [--concurrency 16]

Last line: {"students_per_s": …, "p50_ms": …, "p95_ms": …, "db_ops_per_student": …,
"messages_per_student": …}. Targets: ≤ 15 database operations and ≤ 8 messages per student;
p95 ≤ 500 ms at 20 students/s.

Messages: 6 a student (student.recorded, student.print_ready, card.requested, card.printed and a
notification.sent for each of the two texts), 8 for a minor, whose guardian gets both texts too.

Database commands, one student at a time with the periodic passes out of the way
(tests/e2e/test_pipeline_counts.py holds these; in a run, batching saves some and the periodic
passes add some):
- enrollment 7: capture (read, guarded write, outbox pull); submission to the central registry
  (claim, the empty claim that ends the pass, the answer's write, outbox pull);
- printing 15: the request (job insert, intake record); the print pass (units with ready jobs,
  leftover stock movements, the unit's stock, ready jobs, the job); the blank taken (stock read
  and write); job started and job printed (two writes); the blank issued (stock read and write,
  movement done); outbox pull;
- notifications 18, 28 for a minor: per event (student.recorded, card.printed) the contact, the
  school's name and the delivery insert; per dispatch pass a claim and the empty claim that ends
  it; per text the contact again (opt-outs are checked when sending), the recipient's recent sends
  (rate limit), the outcome's write and the outbox pull.
That is 40 (50 for a minor), from 55 (67) before the waste was taken out: reads of a document
just written or just claimed, read-backs of events just written, empty passes, lost wake-ups.
Reaching 15 would take another design, not less waste: each step is a guarded single-document
write whose events are pulled from its outbox once published, the blank stock is a ledger of its
own, and each text is a delivery of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from programme.pipeline import Run, running_pipeline  # noqa: E402
from shared import infra  # noqa: E402
from shared.bus.topology import Topology  # noqa: E402
from shared.testing import delete_topology  # noqa: E402


def breakdown(run: Run) -> None:
    print(f"  database commands per student: {run.db_ops_per_student:.2f}")
    for (service, command, collection), n in sorted(run.db_ops.items(), key=lambda kv: (kv[0][0], -kv[1])):
        print(f"    {service:<14} {command:<15} {collection:<22} {n / run.students:6.2f}")
    print(f"  broker messages per student: {run.messages_per_student:.2f}")
    for key, n in run.messages.most_common():
        print(f"    {key:<30} {n / run.students:6.2f}")


async def main(students: int, rate: float, concurrency: int) -> dict:
    logging.basicConfig(level=logging.WARNING)
    with infra.rabbitmq() as rabbit_url, infra.mongodb() as (mongo_url, mongo_kind):
        where = ("the mongoeco stand-in (one to two orders of magnitude slower than a real MongoDB: "
                 "its figures are floors)" if mongo_kind.startswith("mongoeco") else mongo_kind)
        print(f"database: {where}; broker: {rabbit_url.split('@')[-1]}")
        print(f"students: {students} per run; arrival rate {rate:g}/s; full speed with {concurrency} in flight")
        ns = f"e2e{uuid.uuid4().hex[:8]}"
        try:
            with tempfile.TemporaryDirectory() as tmp:
                async with running_pipeline(rabbit_url, mongo_url, Path(tmp), namespace=ns) as pipeline:
                    prepared = await pipeline.prepare(2 * students)
                    paced = await pipeline.run(prepared[:students], rate=rate)
                    print(f"at {rate:g} students/s: p50 {paced.percentile_ms(50):,.0f} ms, "
                          f"p95 {paced.percentile_ms(95):,.0f} ms, max {max(paced.latencies_ms):,.0f} ms "
                          f"(achieved {paced.students_per_s:.1f} students/s)")
                    breakdown(paced)
                    full = await pipeline.run(prepared[students:], concurrency=concurrency)
                    print(f"full speed: {full.students_per_s:.1f} students/s ({full.students} in {full.seconds:.1f} s); "
                          f"p50 {full.percentile_ms(50):,.0f} ms, p95 {full.percentile_ms(95):,.0f} ms; "
                          f"{full.db_ops_per_student:.2f} database commands and "
                          f"{full.messages_per_student:.2f} messages per student")
        finally:
            await delete_topology(rabbit_url, Topology(ns))
            from pymongo import AsyncMongoClient

            client: AsyncMongoClient = AsyncMongoClient(mongo_url)
            for name in await client.list_database_names():
                if name.startswith(f"{ns}_"):
                    await client.drop_database(name)
            await client.close()
    return {"students_per_s": round(full.students_per_s, 2), "p50_ms": round(paced.percentile_ms(50), 1),
            "p95_ms": round(paced.percentile_ms(95), 1), "db_ops_per_student": round(paced.db_ops_per_student, 2),
            "messages_per_student": round(paced.messages_per_student, 2),
            "rate": rate, "students": students, "database": mongo_kind}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200, help="students in each of the two runs")
    parser.add_argument("--rate", type=float, default=20.0, help="captures a second in the paced run")
    parser.add_argument("--concurrency", type=int, default=16, help="captures in flight in the full-speed run")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.students, args.rate, args.concurrency))))
