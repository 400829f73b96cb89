"""The deliveries' storage when many dispatchers and handlers use it at once: claims, outcomes,
inserts and reads shared by concurrent callers (one command each, shared/store/batching.py)
keep the guarantees of one-at-a-time: no delivery claimed twice, a stale outcome refused, a
delivery planned twice inserted once, each caller seeing only its own answers."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta

import pytest

from services.notifications.adapters.repository import DeliveryRepository
from services.notifications.domain.contacts import Recipient, RecipientKind
from services.notifications.domain.delivery import Delivery, DeliveryStatus
from services.notifications.domain.language import Channel
from services.notifications.domain.messages import MessageKind
from services.notifications.domain.planning import PlannedMessage
from services.notifications.domain.views import VisitView

LEASE = timedelta(minutes=2)
VISIT = VisitView(visit_id="V-0001", school_id="20000001", school_name="SMAN 99 Contoh",
                  visit_date=date(2026, 12, 10), start_time=time(8, 0), end_time=time(14, 0),
                  location="Aula", unit_name="Unit Keliling 1")


def delivery(n: int, due: datetime, cause: str = "E1") -> Delivery:
    r = Recipient(recipient_id=f"student:S{n}", kind=RecipientKind.STUDENT, channel=Channel.SMS,
                  address=f"+62812000000{n:02d}")
    return Delivery.from_plan(PlannedMessage(cause_event_id=cause, kind=MessageKind.VISIT_STUDENT_REMINDER,
                                             recipient=r, due_at=due, view=VISIT, about="visit:V-0001"), due)


@pytest.fixture
async def db(mongo_client, namespace):
    return mongo_client[f"{namespace}_notifications"]


async def test_competing_claims_take_each_due_delivery_once_earliest_first(db) -> None:
    now = datetime.now(UTC)
    due = [delivery(n, now - timedelta(minutes=30 - n)) for n in range(20)]
    later = delivery(50, now + timedelta(hours=1))
    await DeliveryRepository(db).insert_new([*due, later])
    replicas = [DeliveryRepository(db) for _ in range(3)]  # three dispatchers, one database

    claims: list[list[tuple[Delivery, int]]] = []
    while True:  # the replicas race for the same earliest candidates: the guard gives each to one
        round_ = await asyncio.gather(*(r.claim_due(now, LEASE, limit=8) for r in replicas))
        if not any(round_):
            break
        claims += round_

    ids = [d.delivery_id for claim in claims for d, _ in claim]
    assert len(ids) == len(set(ids)), "a delivery claimed by two dispatchers"
    assert set(ids) == {d.delivery_id for d in due}  # all due, none early
    for claim in claims:
        assert [d.next_attempt_at for d, _ in claim] == sorted(d.next_attempt_at for d, _ in claim)
        assert all(d.status is DeliveryStatus.SENDING and v == 2 for d, v in claim)
    # leased: nobody takes them again until the lease runs out, then somebody does
    assert await replicas[0].claim_due(now, LEASE, limit=50) == []
    retaken = await replicas[1].claim_due(now + LEASE + timedelta(seconds=1), LEASE, limit=50)
    assert {d.delivery_id for d, _ in retaken} == set(ids)


async def test_outcomes_written_together_refuse_only_the_stale_one(db) -> None:
    now = datetime.now(UTC)
    repo = DeliveryRepository(db)
    await repo.insert_new([delivery(n, now - timedelta(minutes=1)) for n in range(4)])
    claimed = await repo.claim_due(now, LEASE, limit=4)
    assert len(claimed) == 4
    # another dispatcher took the third over meanwhile (its lease ran out): our version is stale
    stale_id = claimed[2][0].delivery_id
    await db["deliveries"].update_one({"_id": stale_id}, {"$inc": {"version": 1}})

    results = await asyncio.gather(*(repo.save(d.succeeded(now, f"p{i}", 1)[0], v)
                                     for i, (d, v) in enumerate(claimed)))

    assert results == [True, True, False, True]
    assert repo._save.batches == 1  # the four outcomes went in one command
    sent = {doc["_id"] async for doc in db["deliveries"].find({"status": "sent"}, {"_id": 1})}
    assert sent == {d.delivery_id for i, (d, _) in enumerate(claimed) if i != 2}


async def test_deliveries_planned_twice_at_once_are_inserted_once_and_each_caller_told(db) -> None:
    now = datetime.now(UTC)
    repo = DeliveryRepository(db)
    first, second = [delivery(1, now), delivery(2, now)], [delivery(2, now), delivery(3, now)]

    a, b = await asyncio.gather(repo.insert_new(first), repo.insert_new(second))

    assert repo._insert.batches == 1
    assert a == [d.delivery_id for d in first]  # the batch's first copy of delivery 2 went in
    assert b == [second[1].delivery_id]  # its second copy is a duplicate, not inserted
    assert await db["deliveries"].count_documents({}) == 3
    assert await repo.insert_new(first) == []  # a redelivery plans nothing


async def test_recent_sends_read_together_are_each_recipients_own(db) -> None:
    now = datetime.now(UTC)
    repo = DeliveryRepository(db)
    ds = [delivery(1, now - timedelta(minutes=50), "E1"), delivery(1, now - timedelta(minutes=5), "E2"),
          delivery(2, now - timedelta(minutes=5), "E3")]
    await repo.insert_new(ds)
    for d, v in await repo.claim_due(now, LEASE, limit=10):
        sent_at = d.next_attempt_at
        assert await repo.save(d.succeeded(sent_at, None, 1)[0], v)

    s1_hour, s1_ten_min, s2, nobody = await asyncio.gather(
        repo.recent_sends("student:S1", now - timedelta(hours=1)),
        repo.recent_sends("student:S1", now - timedelta(minutes=10)),
        repo.recent_sends("student:S2", now - timedelta(hours=1)),
        repo.recent_sends("student:S9", now - timedelta(hours=1)),
    )
    assert repo._recent.batches >= 1 and len(s1_hour) == 2 and len(s1_ten_min) == 1
    assert len(s2) == 1 and nobody == []
