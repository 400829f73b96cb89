"""The pass conditions of a fault-injection run, each read from the records a party keeps:

- printing's public events (``card.printed``, ``certificate.issued``, each event id once) against
  the students whose card enrollment requested (its student records);
- the notifications service's deliveries (MongoDB) against what the SMTP server and the SMS
  gateway received;
- every producer's outbox (nothing pending), every consumer's queue (nothing left), every DLQ
  (exactly the poison injected, each with its reason);
- every service's ``/readyz``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
from pymongo import AsyncMongoClient

from programme.chaos.poison import sort_dlq
from programme.chaos.stack import ChaosStack
from services.enrollment.adapters.student_repository import STUDENTS
from services.notifications.adapters.repository import DELIVERIES
from shared.bus.topology import Topology
from shared.store.outbox import PENDING
from shared.testing import EventTap, definition_of, get_messages, queue_depth


@dataclass
class Verdict:
    lost: dict[str, int] = field(default_factory=dict)         # what should be there and is not
    duplicates: dict[str, int] = field(default_factory=dict)   # what is there more than once
    poison_in_dlq: int = 0
    poison_without_reason: int = 0
    dlq_second_copies: int = 0
    unhealthy: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not sum(self.lost.values()) and not sum(self.duplicates.values()) and not self.unhealthy \
            and not self.poison_without_reason


def distinct(tap: EventTap, routing_key: str) -> list[dict[str, Any]]:
    """Public events of one kind, each once (delivery is at least once: by event id)."""
    return list({m["body"]["id"]: m["body"] for m in tap.of_type(routing_key)}.values())


async def eligible_students(enrollment_db: Any) -> set[str]:
    """The students whose card enrollment requested: recorded, print-ready in the central
    registry and old enough (the enrollment service's own records)."""
    cursor = enrollment_db[STUDENTS].find({"print_request.state": "requested"}, {"_id": 1})
    return {doc["_id"] async for doc in cursor}


def cards_and_certificates(verdict: Verdict, eligible: set[str], tap: EventTap) -> None:
    """Every eligible present student: exactly one printed card, or none and one certificate."""
    printed = Counter(e["data"]["student_id"] for e in distinct(tap, "card.printed") if not e["data"].get("reprint"))
    certified = Counter(e["data"]["student_id"] for e in distinct(tap, "certificate.issued"))
    handed = Counter(e["data"]["job_id"] for e in distinct(tap, "card.handed_over"))
    verdict.lost["students without card or certificate"] = sum(
        1 for sid in eligible if not printed[sid] and not certified[sid])
    verdict.duplicates["cards printed twice"] = sum(n - 1 for n in printed.values() if n > 1)
    verdict.duplicates["certificates issued twice"] = sum(n - 1 for n in certified.values() if n > 1)
    verdict.duplicates["cards handed over twice"] = sum(n - 1 for n in handed.values() if n > 1)
    verdict.duplicates["cards for students not eligible"] = sum(
        1 for sid in set(printed) | set(certified) if sid not in eligible)
    verdict.examples += [f"eligible student {sid}: no card, no certificate"
                         for sid in sorted(eligible) if not printed[sid] and not certified[sid]][:5]


async def notifications(verdict: Verdict, stack: ChaosStack, db: Any, tap: EventTap) -> None:
    """Each delivery sent reached the SMTP server or the gateway exactly once; no two deliveries
    for one (cause, kind, recipient, channel); one "card ready" message per printed card."""
    assert stack.smtp is not None and stack.gateway is not None
    received = Counter(m.headers.get("X-Jemput-Delivery", "") for m in stack.smtp.received())
    received += Counter(m.body.get("reference", "") for m in stack.gateway.messages)
    deliveries = [d async for d in db[DELIVERIES].find({}, {"outbox": 0})]
    keys = Counter((d["cause_event_id"], d.get("kind"), d["recipient_id"], d["channel"]) for d in deliveries)
    status = Counter(d["status"] for d in deliveries)
    sent = {d["_id"] for d in deliveries if d["status"] == "sent"}
    verdict.duplicates["deliveries for one cause, recipient and channel"] = sum(n - 1 for n in keys.values() if n > 1)
    verdict.duplicates["messages received twice by the SMTP server or gateway"] = sum(
        n - 1 for n in received.values() if n > 1)
    verdict.lost["deliveries sent but never received"] = len(sent - set(received))
    verdict.lost["messages received without a delivery marked sent"] = len(set(received) - sent)
    verdict.lost["deliveries failed or still pending"] = status["failed"] + status["scheduled"] + status["sending"]
    to_students = Counter(d["cause_event_id"] for d in deliveries
                          if d.get("cause_type") == "card.printed" and d.get("recipient_kind") == "student")
    cards = {e["id"] for e in distinct(tap, "card.printed")}
    verdict.lost["printed cards without a card-ready message"] = len(cards - set(to_students))
    verdict.examples.append("deliveries: " + ", ".join(f"{n} {s}" for s, n in sorted(status.items())))


async def bus_and_outboxes(verdict: Verdict, stack: ChaosStack, mongo: AsyncMongoClient, databases: dict[str, str],
                           rabbit_url: str, topology: Topology, poison_ids: list[str]) -> None:
    """Nothing left to publish, nothing left to consume, and the DLQs hold the poison and only it."""
    pending = 0
    for name in stack.procs:
        db = mongo[databases[name]]
        for collection in definition_of(name).outbox_collections:
            pending += await db[collection].count_documents(PENDING)
    verdict.lost["events still in an outbox"] = pending
    left = 0
    dead = []
    for queue in topology.all_queues():
        left += await queue_depth(rabbit_url, queue)
        dead += await get_messages(rabbit_url, topology.dlq_name(queue), limit=100_000)
    verdict.lost["events never consumed (left in a queue)"] = left
    dlq = sort_dlq(dead)
    verdict.lost["events dead-lettered (not poison)"] = len(dlq.others)
    verdict.examples += [f"dead-lettered: {o}" for o in dlq.others[:5]]
    verdict.poison_in_dlq = sum(1 for i in poison_ids if dlq.poison[i] >= 1)
    verdict.poison_without_reason = len(dlq.without_reason)
    verdict.lost["poison messages not in a DLQ"] = len(poison_ids) - verdict.poison_in_dlq
    # dead-lettering with a reason is copy-then-ack: a crash between the two leaves a second copy
    # of the same message (same message id) in the DLQ. Nothing is applied twice; reported apart.
    verdict.dlq_second_copies = sum(n - 1 for n in dlq.poison.values() if n > 1)


async def health(verdict: Verdict, stack: ChaosStack) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        for name, proc in stack.procs.items():
            try:
                ok = proc.process.poll() is None and (await http.get(f"{proc.url}/readyz")).status_code == 200
            except httpx.HTTPError:
                ok = False
            if not ok:
                verdict.unhealthy.append(name)
