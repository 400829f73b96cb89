"""The projection store on the real database (idempotent under redelivery and reordering) and
queue depths read from the real broker, including the ways reading them fails."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from services.dashboard.adapters.projections import ProjectionStore
from services.dashboard.adapters.queues import QueueDepths
from services.dashboard.domain.facts import fact_of, visit_details, visit_state
from shared.bus.topology import Topology
from shared.events import models as ev
from shared.events import spec_for_type

from .helpers import T0, printed, recorded, visit

JAKARTA = ZoneInfo("Asia/Jakarta")


async def test_facts_count_once_whatever_the_deliveries(mongo_client, namespace):
    store = ProjectionStore(mongo_client[f"{namespace}_dashboard"])
    first, again = recorded("S-1", T0), recorded("S-1", T0 + dt.timedelta(days=1), version=2)
    card = printed("S-1", T0)

    def fact(event):
        return fact_of(spec_for_type(event.type).model.model_validate(event.data), event.id, JAKARTA)

    assert await store.fact(fact(first)) is True
    assert await store.fact(fact(first)) is False  # redelivered
    assert await store.fact(fact(again)) is True  # captured again: replaces the first
    assert await store.fact(fact(first)) is False  # the older one arriving late changes nothing
    assert await store.fact(fact(card)) is True
    assert await store.fact(fact(card)) is False
    p = await store.read()
    assert p.students_by_school == {("recorded", "20600001"): 1, ("printed", "20600001"): 1}
    assert p.by_day == {("recorded", "2026-05-07"): 1, ("printed", "2026-05-06"): 1}


async def test_visits_and_stock_keep_the_newest_version(mongo_client, namespace):
    store = ProjectionStore(mongo_client[f"{namespace}_dashboard"])
    day = dt.date(2026, 5, 6)
    rescheduled = visit("rescheduled", "V-1", 2, "20600001", "unit-1", dt.date(2026, 5, 7),
                        previous_date=day, reason="ujian")
    scheduled = visit("scheduled", "V-1", 1, "20600001", "unit-1", day)
    for event in (rescheduled, scheduled, rescheduled):
        data = spec_for_type(event.type).model.model_validate(event.data)
        status, fields = visit_state(data)
        await store.visit(data.visit_id, data.version, status, fields, visit_details(data))
    [doc] = (await store.read()).visits
    assert (doc["status"], doc["date"], doc["version"], doc["detail_version"]) == ("rescheduled", "2026-05-07", 2, 2)

    assert await store.stock_low("unit-1", 5, 3, 10, T0) is True
    assert await store.stock_low("unit-1", 4, 9, 10, T0 - dt.timedelta(hours=1)) is False
    assert await store.fact(fact_of(ev.CardPrinted.model_validate(printed("S-9", T0 + dt.timedelta(minutes=1)).data),
                                    "e-9", JAKARTA))
    [report] = (await store.read()).stock
    assert (report.remaining, report.printed_since) == (3, 1)


async def test_queue_depths_of_every_service_queue(rabbit_url, topology, settings_for):
    from services.dashboard.settings import DashboardSettings
    from shared.testing import running_service

    async with running_service("dashboard", settings_for("dashboard", DashboardSettings)):
        pass  # declares the namespace's topology
    depths = QueueDepths(rabbit_url, topology)
    try:
        rows = await depths.read()
    finally:
        await depths.close()
    assert [r.queue for r in rows] == topology.all_queues()
    assert all(r.depth == 0 and r.dlq_depth == 0 and r.error is None for r in rows)


async def test_missing_queues_and_an_unreachable_broker_are_said_not_zero(rabbit_url):
    absent = QueueDepths(rabbit_url, Topology("tnotdeclared0"))
    try:
        rows = await absent.read()
    finally:
        await absent.close()
    assert rows and all(r.depth is None and r.dlq_depth is None for r in rows)
    assert "tnotdeclared0.dashboard.dlq does not exist" in next(r.error for r in rows if r.queue.endswith("dashboard"))

    unreachable = QueueDepths("amqp://guest:guest@127.0.0.1:9/", Topology("tx"), timeout_s=2)
    rows = await unreachable.read()
    assert rows and all(r.error and r.error.startswith("broker unreachable") for r in rows)
