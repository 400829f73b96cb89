"""Visits in MongoDB: one document per visit, its outgoing events embedded in it."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from pymongo import IndexModel

from shared.envelope import CloudEvent
from shared.events import models as ev
from shared.events import new_event
from shared.service import Runtime
from shared.store import outbox_insert, outbox_push

from ..domain.visit import Visit
from .documents import visit_doc, visit_from

COLLECTION = "visits"
INDEXES = {COLLECTION: [IndexModel([("date", 1), ("unit_id", 1)]), IndexModel([("npsn", 1)]),
                        IndexModel([("status", 1), ("date", 1)]), IndexModel([("plan_id", 1)])]}


class ConcurrentChange(RuntimeError):
    """The visit changed since it was read (another operator or replica): read again."""


class VisitRepository:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.collection = runtime.db[COLLECTION]

    async def schedule(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Insert one visit scheduled by hand and its ``visit.scheduled`` event in one write."""
        visit_id = fields.get("visit_id") or f"V-{uuid.uuid4().hex[:12]}"
        data = ev.VisitScheduled(**{**fields, "visit_id": visit_id, "version": 1})
        event = new_event("scheduling", data, subject=visit_id)
        document = {**data.model_dump(mode="json"), "_id": visit_id, "status": "scheduled",
                    "session": "full_day", "start": data.session_start, "end": data.session_end,
                    "plan_id": data.plan_id or "manual"}
        await self.collection.insert_one({**document, **outbox_insert(event)})
        await self.runtime.relay.publish_written(COLLECTION, visit_id, [event])
        return document

    async def get(self, visit_id: str) -> dict[str, Any] | None:
        return await self.collection.find_one({"_id": visit_id}, {"outbox": 0})

    async def get_visit(self, visit_id: str) -> Visit | None:
        doc = await self.get(visit_id)
        return visit_from(doc) if doc else None

    async def find(self, *, day: dt.date | None = None, unit_id: str | None = None, npsn: str | None = None,
                   status: str | None = None, plan_id: str | None = None, limit: int = 5000) -> list[dict[str, Any]]:
        query: dict[str, Any] = {}
        if day is not None:
            query["date"] = day.isoformat()
        if unit_id:
            query["unit_id"] = unit_id
        if npsn:
            query["npsn"] = npsn
        if status:
            query["status"] = status
        if plan_id:
            query["plan_id"] = plan_id
        cursor = self.collection.find(query, {"outbox": 0}).sort([("date", 1), ("unit_id", 1), ("start", 1)])
        return await cursor.to_list(limit)

    async def all_visits(self) -> list[Visit]:
        return [visit_from(d) async for d in self.collection.find({"status": {"$ne": "cancelled"}}, {"outbox": 0})]

    async def insert_new(self, visits: Sequence[Visit], cause: CloudEvent | None = None) -> None:
        """New visits, each with its ``visit.scheduled`` event, written and then published."""
        from .documents import scheduled_data

        docs, events = [], []
        for v in visits:
            event = self._event(scheduled_data(v), v.visit_id, cause)
            docs.append({**visit_doc(v), **outbox_insert(event)})
            events.append(event)
        if not docs:
            return
        await self.collection.insert_many(docs, ordered=False)
        for v, event in zip(visits, events, strict=True):
            await self.runtime.relay.publish_written(COLLECTION, v.visit_id, [event])

    async def replace(self, before: Visit, after: Visit, data: Any, cause: CloudEvent | None = None) -> None:
        """Write ``after`` over ``before`` (guarded by its version) with one event, then publish."""
        event = self._event(data, after.visit_id, cause)
        doc = visit_doc(after)
        doc.pop("_id")
        result = await self.collection.update_one(
            {"_id": before.visit_id, "version": before.version},
            {"$set": doc, "$push": outbox_push(event)},
        )
        if result.modified_count != 1:
            raise ConcurrentChange(f"visit {before.visit_id} changed meanwhile")
        await self.runtime.relay.after_write(COLLECTION, after.visit_id)

    @staticmethod
    def _event(data: Any, subject: str, cause: CloudEvent | None) -> CloudEvent:
        return new_event("scheduling", data, subject=subject,
                         causationid=cause.id if cause else None,
                         correlationid=cause.correlationid if cause else None)
