"""MongoDB through PyMongo's asyncio API (``AsyncMongoClient``, Motor's official successor)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

Indexes = Mapping[str, Sequence[IndexModel]]


def make_client(url: str, *, app_name: str) -> AsyncMongoClient:
    return AsyncMongoClient(
        url, appname=app_name, tz_aware=True, serverSelectionTimeoutMS=5_000, connectTimeoutMS=5_000
    )


async def create_indexes(db: AsyncDatabase, indexes: Indexes) -> None:
    """Indexes are declared in code, next to the collection they serve, and created at start-up."""
    for collection, models in indexes.items():
        if models:
            await db[collection].create_indexes(list(models))
