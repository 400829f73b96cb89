"""Guarded single-document updates from many callers at once, as one bulk write.

A guarded update changes a document only if it is still as the caller read it (a version in
the filter, a status): the optimistic check of every state change here. Callers at about the
same time (concurrent handlers, a dispatcher's batch) share one ``bulk_write`` through a
``Batcher``; each still learns whether its own update took effect. Every update also sets a
token of its own (``_write``): when fewer documents changed than updates were sent, the tokens
are read back (one more command) to tell which.

``claim_batch`` takes work the same way: the candidates, one guarded ``update_many`` marking
those still due with a token of this claim, and the claimed ones read back by that token —
three commands however many, and a document another worker claimed in between is not taken.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

from shared.store.batching import Batcher

TOKEN = "_write"


class GuardedUpdates:
    def __init__(self, collection: AsyncCollection) -> None:
        self.collection = collection
        self._batch = Batcher(self._write, name=f"guarded-{collection.name}")

    @property
    def batches(self) -> int:
        return self._batch.batches

    async def __call__(self, filter_: dict[str, Any], update: dict[str, Any]) -> bool:
        """Apply ``update`` to the document matching ``filter_``; True if it changed it."""
        return await self._batch((filter_, update))

    async def _write(self, items: list[tuple[dict[str, Any], dict[str, Any]]]) -> list[bool]:
        ops, tokens = [], []
        for filter_, update in items:
            token = uuid.uuid4().hex
            ops.append(UpdateOne(filter_, {**update, "$set": {**update.get("$set", {}), TOKEN: token}}))
            tokens.append(token)
        result = await self.collection.bulk_write(ops, ordered=False)
        if result.modified_count == len(ops):
            return [True] * len(ops)
        done = {doc[TOKEN] async for doc in self.collection.find({TOKEN: {"$in": tokens}}, {TOKEN: 1})}
        return [token in done for token in tokens]


async def claim_batch(collection: AsyncCollection, due: dict[str, Any], claim: dict[str, Any], *, limit: int,
                      token_field: str, sort: Sequence[tuple[str, int]] | None = None,
                      projection: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Apply ``claim`` (an update: the lease, the new status) to up to ``limit`` documents that
    match ``due``, in ``sort`` order; returns the documents this call claimed, in that order."""
    cursor = collection.find(due, {"_id": 1})
    if sort:
        cursor = cursor.sort(list(sort))
    ids = [doc["_id"] async for doc in cursor.limit(limit)]
    if not ids:
        return []
    token = uuid.uuid4().hex
    result = await collection.update_many(
        {"_id": {"$in": ids}, **due}, {**claim, "$set": {**claim.get("$set", {}), token_field: token}})
    if result.modified_count == 0:
        return []
    order = {doc_id: i for i, doc_id in enumerate(ids)}
    claimed = [doc async for doc in collection.find({"_id": {"$in": ids}, token_field: token}, projection)]
    return sorted(claimed, key=lambda doc: order[doc["_id"]])
