"""The outbox inside each aggregate document, and the relay that empties it.

A command or event changes one document in one atomic write; the events that change causes are
pushed onto that document's ``outbox`` array in the same write (``outbox_push``). The relay then
publishes them with confirms, in order, and pulls each published event out of the array (the pulls of
documents published at about the same time go out as one command, ``shared/store/batching.py``).
It runs right after a write (``flush``) and as a sweep at start-up and every few seconds, so a crash
between the write and the publish delays an event but never loses it. A crash between publish
and pull publishes it again: consumers are idempotent (DESIGN.md: at least once, effects once).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from pymongo import IndexModel, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from shared.envelope import CloudEvent
from shared.store.batching import Batcher

log = logging.getLogger("jemput.outbox")

OUTBOX = "outbox"
PENDING = {f"{OUTBOX}.0": {"$exists": True}}
# a sparse index: only documents with pending events are in it, so the sweep stays cheap
OUTBOX_INDEX = IndexModel([(f"{OUTBOX}.id", 1)], name="outbox_pending", sparse=True)


def outbox_push(*events: CloudEvent) -> dict[str, Any]:
    """The ``$push`` clause that embeds ``events`` in the document being written."""
    return {OUTBOX: {"$each": [e.to_document() for e in events]}}


def outbox_insert(*events: CloudEvent) -> dict[str, Any]:
    """The ``outbox`` field of a document being inserted with ``events`` pending."""
    return {OUTBOX: [e.to_document() for e in events]}


class Publisher(Protocol):
    async def publish(self, event: dict[str, Any]) -> None: ...


class OutboxRelay:
    def __init__(
        self,
        db: AsyncDatabase,
        publisher: Publisher,
        collections: Sequence[str],
        *,
        sweep_interval_s: float = 5.0,
        on_published: Any = None,
        pull_linger_s: float = 0.02,
    ) -> None:
        self.db = db
        self.publisher = publisher
        self.collections = tuple(collections)
        self.sweep_interval_s = sweep_interval_s
        self._busy: set[tuple[str, Any]] = set()
        self._wanted: set[tuple[str, Any]] = set()  # found busy: sweep again once free
        self._on_published = on_published
        self._wakeup = asyncio.Event()
        # a document stays busy (no other flush in this process) until its events are pulled
        self._pull = Batcher(self._pull_batch, linger_s=pull_linger_s, name="outbox-pull")

    async def _pull_batch(self, items: list[tuple[str, Any, list[str]]]) -> list[None]:
        """Pull published events out of their documents' outboxes: one command per collection."""
        by_collection: dict[str, list[UpdateOne]] = {}
        for collection, doc_id, event_ids in items:
            by_collection.setdefault(collection, []).append(
                UpdateOne({"_id": doc_id}, {"$pull": {OUTBOX: {"id": {"$in": event_ids}}}}))
        for collection, ops in by_collection.items():
            await self.db[collection].bulk_write(ops, ordered=False)
        return [None] * len(items)

    async def flush(self, collection: str, doc_id: Any) -> int:
        """Publish the pending events of one document; returns how many went out."""
        key = (collection, doc_id)
        if key in self._busy:  # this process is already publishing it; a pass after that sees the rest
            self._wanted.add(key)
            return 0
        self._busy.add(key)
        try:
            doc = await self.db[collection].find_one({"_id": doc_id}, {OUTBOX: 1})
            pending: list[dict[str, Any]] = (doc or {}).get(OUTBOX) or []
            published: list[str] = []
            try:
                for event in pending:
                    await self.publisher.publish(event)
                    published.append(event["id"])
            finally:
                if published:
                    await self._pull((collection, doc_id, published))
                    if self._on_published is not None:
                        self._on_published(len(published))
            return len(published)
        finally:
            self._leave(key)

    def reserve(self, collection: str, doc_id: Any) -> bool:
        """Keep this process's sweeps off a document whose events the caller is about to write
        and will publish itself a while later (``publish_written(..., reserved=True)``, or
        ``release``); False when a flush holds it already (then publish without ``reserved``)."""
        key = (collection, doc_id)
        if key in self._busy:
            return False
        self._busy.add(key)
        return True

    def release(self, collection: str, doc_id: Any) -> None:
        """Give a reserved document back to the sweep (its write did not happen)."""
        self._leave((collection, doc_id))

    def _leave(self, key: tuple[str, Any]) -> None:
        """A document is free again; if a flush found it busy meanwhile, the sweep runs now
        (waking it while the document is still held would only spin)."""
        self._busy.discard(key)
        if key in self._wanted:
            self._wanted.discard(key)
            self._wakeup.set()

    async def publish_written(self, collection: str, doc_id: Any, events: Sequence[CloudEvent],
                              reserved: bool = False) -> None:
        """Publish events the caller has just written to ``doc_id``'s outbox, without reading
        them back, then pull them out. A failure is logged and left to the sweep. While this
        process is already flushing the document, the events are left to that flush or to the
        sweep it wakes, so that they go out once."""
        key = (collection, doc_id)
        if not reserved:
            if key in self._busy:
                self._wanted.add(key)
                return
            self._busy.add(key)
        try:
            try:
                for event in events:
                    await self.publisher.publish(event)
            except Exception as error:
                log.warning("outbox publish failed; the sweep will retry", exc_info=error,
                            extra={"collection": collection})
                return
            await self._pull((collection, doc_id, [e.id for e in events]))
            if self._on_published is not None:
                self._on_published(len(events))
        finally:
            self._leave(key)

    async def after_write(self, collection: str, *doc_ids: Any) -> None:
        """Publish right after a write. A failure is logged, not raised: the write stands and
        the sweep publishes later, so the caller's command still succeeds."""
        for doc_id in doc_ids:
            try:
                await self.flush(collection, doc_id)
            except Exception as error:
                log.warning("outbox flush failed; the sweep will retry", exc_info=error,
                            extra={"collection": collection})
                return

    def flush_soon(self, collection: str, *doc_ids: Any) -> None:
        """Fire-and-forget ``after_write`` (for hot paths that must not wait on the broker)."""
        task = asyncio.create_task(self.after_write(collection, *doc_ids))
        _background.add(task)
        task.add_done_callback(_background.discard)

    async def sweep(self, *, batch: int = 500) -> int:
        """Publish every pending event of every outbox collection."""
        total = 0
        for collection in self.collections:
            cursor = self.db[collection].find(PENDING, {"_id": 1}).limit(batch)
            async for doc in cursor:
                try:
                    total += await self.flush(collection, doc["_id"])
                except Exception as error:
                    log.warning("outbox sweep could not publish; will retry", exc_info=error,
                                extra={"collection": collection})
                    break
        return total

    async def drain(self, timeout: float) -> bool:
        """At shutdown: let the flushes in flight finish, then sweep until nothing is pending.
        True when the outbox is empty; what is left waits for the next instance's sweep."""
        try:
            async with asyncio.timeout(timeout):
                if _background:
                    await asyncio.gather(*list(_background), return_exceptions=True)
                await self._pull.idle()
                while await self.sweep():
                    pass
                return await self.pending() == 0
        except TimeoutError:
            return False
        except Exception as error:  # e.g. the database is gone: the next instance's sweep publishes
            log.warning("outbox flush at shutdown failed", exc_info=error)
            return False

    async def pending(self) -> int:
        total = 0
        for collection in self.collections:
            async for doc in await self.db[collection].aggregate([
                {"$match": PENDING}, {"$project": {"n": {"$size": f"${OUTBOX}"}}},
                {"$group": {"_id": None, "n": {"$sum": "$n"}}},
            ]):
                total += doc["n"]
        return total

    async def run(self) -> None:
        """The periodic sweep; started with the service, cancelled at shutdown."""
        while True:
            self._wakeup.clear()  # before the pass: a flush that found the document busy wakes the next one
            try:
                await self.sweep()
            except Exception as error:
                log.warning("outbox sweep failed", exc_info=error)
            try:
                await asyncio.wait_for(self._wakeup.wait(), self.sweep_interval_s)
            except TimeoutError:
                pass


_background: set[asyncio.Task[None]] = set()


def outbox_indexes(collections: Iterable[str]) -> dict[str, list[IndexModel]]:
    return {c: [OUTBOX_INDEX] for c in collections}
