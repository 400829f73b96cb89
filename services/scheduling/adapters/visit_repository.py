"""Visits in MongoDB: one document per visit, its outgoing events embedded in it."""

from __future__ import annotations

import uuid
from typing import Any

from pymongo import IndexModel

from shared.events import models as ev
from shared.events import new_event
from shared.service import Runtime
from shared.store import outbox_insert

COLLECTION = "visits"
INDEXES = {COLLECTION: [IndexModel([("date", 1), ("unit_id", 1)]), IndexModel([("npsn", 1)])]}


class VisitRepository:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.collection = runtime.db[COLLECTION]

    async def schedule(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Insert a scheduled visit and its ``visit.scheduled`` event in one write, then publish."""
        visit_id = fields.get("visit_id") or f"V-{uuid.uuid4().hex[:12]}"
        data = ev.VisitScheduled(**{**fields, "visit_id": visit_id, "version": 1})
        event = new_event("scheduling", data, subject=visit_id)
        document = {**data.model_dump(mode="json"), "_id": visit_id, "status": "scheduled"}
        await self.collection.insert_one({**document, **outbox_insert(event)})
        await self.runtime.relay.publish_written(COLLECTION, visit_id, [event])
        return document

    async def get(self, visit_id: str) -> dict[str, Any] | None:
        return await self.collection.find_one({"_id": visit_id}, {"outbox": 0})
