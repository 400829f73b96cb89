"""The planning lease: one placer at a time, across replicas; an expired lease is taken over."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from services.scheduling.adapters.lease import Lease, LeaseBusy


async def test_lease_serialises_and_expires(mongo_client, namespace):
    leases = mongo_client[f"{namespace}_scheduling"]["leases"]
    order: list[str] = []

    async def worker(name: str) -> None:
        async with Lease(leases, "planning", wait_s=10):
            order.append(f"{name}+")
            await asyncio.sleep(0.2)
            order.append(f"{name}-")

    await asyncio.gather(worker("a"), worker("b"))
    assert order in (["a+", "a-", "b+", "b-"], ["b+", "b-", "a+", "a-"])
    assert await leases.count_documents({}) == 0  # released

    async with Lease(leases, "planning"):
        with pytest.raises(LeaseBusy):
            async with Lease(leases, "planning", wait_s=0.2):
                pass
    # a holder that died: its lease expires and is taken over
    await leases.insert_one({"_id": "planning", "owner": "dead", "expires": dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)})
    async with Lease(leases, "planning", wait_s=1) as lease:
        assert (await leases.find_one({"_id": "planning"}))["owner"] == lease.token
    await mongo_client.drop_database(f"{namespace}_scheduling")
