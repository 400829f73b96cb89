"""Blank stock in MongoDB: one document per mobile unit, with its own outbox (`stock.low`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pymongo.errors import DuplicateKeyError

from shared.envelope import CloudEvent
from shared.store import outbox_insert, outbox_push

from ..domain.stock import BlankStock
from .concurrency import MAX_CONFLICT_RETRIES, ConcurrentUpdate

COLLECTION = "blank_stock"
INDEXES: dict[str, list] = {COLLECTION: []}

T = TypeVar("T")


def to_document(stock: BlankStock) -> dict[str, Any]:
    return {"data": stock.model_dump(mode="json"), "version": stock.version, "unit_id": stock.unit_id}


def from_document(doc: dict[str, Any]) -> BlankStock:
    return BlankStock.model_validate(doc["data"])


class StockRepository:
    def __init__(self, db: Any, default_threshold: int) -> None:
        self.collection = db[COLLECTION]
        self.default_threshold = default_threshold

    def new(self, unit_id: str) -> BlankStock:
        return BlankStock(unit_id=unit_id, threshold=self.default_threshold)

    async def get(self, unit_id: str) -> BlankStock:
        """The unit's stock; a unit never stocked has an empty ledger."""
        doc = await self.collection.find_one({"_id": unit_id}, {"outbox": 0})
        return from_document(doc) if doc else self.new(unit_id)

    async def exists(self, unit_id: str) -> bool:
        return await self.collection.count_documents({"_id": unit_id}, limit=1) == 1

    async def all(self) -> list[BlankStock]:
        return [from_document(doc) async for doc in self.collection.find({}, {"outbox": 0}).sort("_id", 1)]

    async def _save(self, stock: BlankStock, expected_version: int, events: list[CloudEvent], is_new: bool) -> None:
        if is_new:
            try:
                await self.collection.insert_one(
                    {"_id": stock.unit_id, **to_document(stock), **outbox_insert(*events)}
                )
            except DuplicateKeyError as exc:
                raise ConcurrentUpdate(f"stock of {stock.unit_id} was created meanwhile") from exc
            return
        update: dict[str, Any] = {"$set": to_document(stock)}
        if events:
            update["$push"] = outbox_push(*events)
        result = await self.collection.update_one({"_id": stock.unit_id, "version": expected_version}, update)
        if result.matched_count != 1:
            raise ConcurrentUpdate(f"stock of {stock.unit_id} changed while being updated")

    async def update(
        self, unit_id: str, change: Callable[[BlankStock], tuple[T, list[CloudEvent]]]
    ) -> tuple[BlankStock, T]:
        """Read, change, write guarded by version; the change may raise a domain error."""
        for _ in range(MAX_CONFLICT_RETRIES):
            doc = await self.collection.find_one({"_id": unit_id}, {"outbox": 0})
            stock = from_document(doc) if doc else self.new(unit_id)
            before = stock.version
            result, events = change(stock)
            if stock.version == before and not events:
                return stock, result
            try:
                await self._save(stock, before, events, is_new=doc is None)
            except ConcurrentUpdate:
                continue
            return stock, result
        raise ConcurrentUpdate(f"stock of {unit_id} kept changing; try again")
