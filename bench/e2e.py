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

Database commands. Each step is still a guarded single-document write whose events are
pulled from its outbox once published (DESIGN.md); what changed is that the commands of
students going through at about the same time are shared (shared/store/batching.py): a
queue's messages are handled up to JEMPUT_PREFETCH at a time, their reads and inserts go
as one ``$in`` find or ``insert_many``, their guarded updates as one ``bulk_write``
(shared/store/guarded.py), the outbox pulls of a moment as one; the registry submissions and
the dispatcher claim a batch with three commands (candidates, one guarded ``update_many`` with a
claim token, the claimed read back); a print pass loads the blanks of a batch with one stock
write and records them issued with one more. So a lone student costs more than the average of
a busy day:
- one student at a time (tests/e2e/test_pipeline_counts.py holds these as ceilings):
  enrollment 8, printing 12, notifications 20 (22 for a minor) = 40;
- 20 students at the desks at once (the same test): 11–14 a student, against the target of 15;
- at 20 a second (this benchmark): 12–15 a student (from 39–40 before the batching).
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
