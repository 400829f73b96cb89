"""A short lease in MongoDB so that only one replica re-plans at a time.

Two re-plans computed from the same state could both give one free session to different
schools; serialising them (per programme) keeps a unit in one place per session. The lease
expires by itself if its holder dies.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

COLLECTION = "leases"


class LeaseBusy(RuntimeError):
    """Another replica holds the lease for longer than we waited."""


class Lease:
    def __init__(self, collection: AsyncCollection, name: str, *, ttl_s: float = 60.0, wait_s: float = 30.0) -> None:
        self.collection = collection
        self.name = name
        self.ttl_s = ttl_s
        self.wait_s = wait_s
        self.token = uuid.uuid4().hex

    async def __aenter__(self) -> Lease:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait_s
        delay = 0.02
        while True:
            now = dt.datetime.now(dt.UTC)
            try:
                await self.collection.update_one(
                    {"_id": self.name, "expires": {"$lt": now}},
                    {"$set": {"owner": self.token, "expires": now + dt.timedelta(seconds=self.ttl_s)}},
                    upsert=True,
                )
                return self
            except DuplicateKeyError:  # held by someone else and not expired
                if loop.time() >= deadline:
                    raise LeaseBusy(f"{self.name} is busy; try again") from None
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.5)

    async def __aexit__(self, *exc: object) -> None:
        await self.collection.delete_one({"_id": self.name, "owner": self.token})
