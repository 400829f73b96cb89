"""Delivery order and duplicates do not change the figures: the same events applied through the
dashboard's handlers in shuffled orders, some twice, give the same overview on the real database."""

from __future__ import annotations

import datetime as dt
import random
from datetime import UTC
from types import SimpleNamespace

from services.dashboard.adapters.projections import ProjectionStore
from services.dashboard.domain.overview import build_overview
from services.dashboard.handlers import consumer
from services.dashboard.settings import DashboardSettings
from shared.events import spec_for_type

from .helpers import EXPECTED_TOTALS, programme

NOW = dt.datetime(2026, 5, 8, tzinfo=UTC)


async def apply(db, events) -> dict:
    store = ProjectionStore(db)
    rt = SimpleNamespace(state={"projections": store, "settings": DashboardSettings()}, settings=DashboardSettings())
    for event in events:
        data = spec_for_type(event.type).model.model_validate(event.data)
        await consumer.handlers[event.routing_key](event, data, rt)
    return build_overview(await store.read(), [], now=NOW, timezone="Asia/Jakarta").model_dump()


async def test_any_order_with_redeliveries_gives_the_same_figures(mongo_client, namespace):
    events = programme()
    canonical = await apply(mongo_client[f"{namespace}_in_order"], events)
    assert canonical["totals"] == EXPECTED_TOTALS
    for seed in (1, 2, 3):
        rng = random.Random(seed)
        shuffled = events + rng.sample(events, 6)  # six redeliveries
        rng.shuffle(shuffled)
        assert await apply(mongo_client[f"{namespace}_seed{seed}"], shuffled) == canonical, f"seed {seed}"
