"""The intake log: every `card.requested` event received, and what became of it.

One document per event id (written once): `queued` (it made the job), `duplicate` (the
request already had a job) or `refused` (it can never print; the message went to the DLQ
with the same reason). Operators see refused requests here without reading the DLQ. No
personal data: ids, school, unit, visit and the reason (field names, never values).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pymongo import ASCENDING, DESCENDING, IndexModel

from shared.store.effects import InsertOnce

COLLECTION = "card_requests"
INDEXES = {COLLECTION: [IndexModel([("outcome", ASCENDING), ("received_at", DESCENDING)], name="by_outcome")]}

Outcome = Literal["queued", "duplicate", "refused"]


class IntakeLog:
    def __init__(self, db: Any) -> None:
        self.collection = db[COLLECTION]
        self._insert = InsertOnce(self.collection)

    async def record(self, event_id: str, *, request_id: str, student_id: str, npsn: str, unit_id: str,
                     visit_id: str | None, received_at: datetime, outcome: Outcome,
                     job_id: str | None = None, reason: str | None = None) -> bool:
        return await self._insert({
            "_id": event_id, "request_id": request_id, "student_id": student_id, "npsn": npsn, "unit_id": unit_id,
            "visit_id": visit_id, "received_at": received_at, "outcome": outcome, "job_id": job_id,
            "reason": reason,
        })

    async def list(self, outcome: Outcome | None = None, limit: int = 200) -> list[dict[str, Any]]:
        query = {"outcome": outcome} if outcome else {}
        cursor = self.collection.find(query).sort("received_at", DESCENDING).limit(limit)
        return [{**doc, "event_id": doc.pop("_id")} async for doc in cursor]
