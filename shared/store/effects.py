"""Idempotent effects keyed by event id (DESIGN.md: delivery at least once, effects once).

Three shapes, each a single-document atomic write:

- ``record_once``: the effect *is* a new document whose ``_id`` derives from the cause event id
  (a delivery, a print job). The unique ``_id`` makes the second insert a no-op.
- ``apply_once``: an update to an existing aggregate guarded by the ids of the events already
  applied to it (a bounded list kept in the document).
- ``apply_if_newer``: a local copy of another service's aggregate, replaced only by an event
  carrying a higher aggregate version, so reordered deliveries end in the right state.
"""

from __future__ import annotations

from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError

from shared.store.batching import Batcher

DUPLICATE_KEY = 11000

APPLIED = "applied_events"
APPLIED_KEEP = 200


async def record_once(collection: AsyncCollection, key: str, document: dict[str, Any]) -> bool:
    """Insert ``document`` under ``_id = key``; False when it already exists (a redelivery)."""
    try:
        await collection.insert_one({**document, "_id": key})
    except DuplicateKeyError:
        return False
    return True


class InsertOnce:
    """``record_once`` for documents that carry their own ``_id`` (or another unique key), with
    the inserts of callers at about the same time sent as one ``insert_many``: each caller gets
    True when its document went in, False when its key existed already."""

    def __init__(self, collection: AsyncCollection) -> None:
        self.collection = collection
        self._batch = Batcher(self._insert, name=f"insert-{collection.name}")

    @property
    def batches(self) -> int:
        return self._batch.batches

    async def __call__(self, document: dict[str, Any]) -> bool:
        return await self._batch(document)

    async def _insert(self, documents: list[dict[str, Any]]) -> list[bool]:
        try:
            await self.collection.insert_many(documents, ordered=False)
        except BulkWriteError as error:
            errors = error.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            failed = {e["index"] for e in errors}
            return [i not in failed for i in range(len(documents))]
        return [True] * len(documents)


async def apply_once(
    collection: AsyncCollection,
    filter_: dict[str, Any],
    update: dict[str, Any],
    event_id: str,
    *,
    upsert: bool = False,
) -> dict[str, Any] | None:
    """Apply ``update`` unless ``event_id`` was applied already; returns the new document or None."""
    guarded = {**filter_, APPLIED: {"$ne": event_id}}
    push = dict(update.get("$push", {}))
    push[APPLIED] = {"$each": [event_id], "$slice": -APPLIED_KEEP}
    try:
        return await collection.find_one_and_update(
            guarded, {**update, "$push": push}, upsert=upsert, return_document=ReturnDocument.AFTER
        )
    except DuplicateKeyError:  # upsert raced with an existing document that already has the event
        return None


async def apply_if_newer(
    collection: AsyncCollection, doc_id: Any, version: int, fields: dict[str, Any]
) -> bool:
    """Keep a copy at the highest version seen; True when this version was newer and applied."""
    try:
        result = await collection.update_one(
            {"_id": doc_id, "$or": [{"version": {"$lt": version}}, {"version": {"$exists": False}}]},
            {"$set": {**fields, "version": version}},
            upsert=True,
        )
    except DuplicateKeyError:  # the document exists at this version or a newer one
        return False
    return result.upserted_id is not None or result.modified_count == 1
