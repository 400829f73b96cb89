"""The dashboard's own copies of what public events said (database ``jemput_dashboard``).

Collections:

- ``schools``  one per NPSN, newest ``school.*`` version (apply_if_newer);
- ``rosters``  one per roster and school, from ``roster.verified`` (apply_if_newer);
- ``visits``   one per visit: status fields at the newest visit version, the school name and session
               at the newest ``visit.scheduled``/``visit.rescheduled`` version (``detail_version``);
- ``facts``    counted happenings: a student's recording (newest version), cards printed, handovers
               and certificates (recorded once under a key from the event);
- ``stock``    one per unit, newest ``stock.low``.

Every write is a single-document idempotent write, so redelivered, duplicated or reordered events
leave the same figures.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from shared.store.effects import apply_if_newer, record_once

from ..domain.facts import Fact
from ..domain.overview import Projections
from ..domain.stock import StockReport

SCHOOLS, ROSTERS, VISITS, FACTS, STOCK = "schools", "rosters", "visits", "facts", "stock"

INDEXES = {
    FACTS: [IndexModel([("kind", ASCENDING), ("npsn", ASCENDING)], name="kind_npsn"),
            IndexModel([("kind", ASCENDING), ("unit_id", ASCENDING), ("at", ASCENDING)], name="kind_unit_at")],
    VISITS: [IndexModel([("status", ASCENDING), ("date", ASCENDING)], name="status_date")],
}


class ProjectionStore:
    def __init__(self, db: AsyncDatabase) -> None:
        self.db = db

    # --- writes ------------------------------------------------------------------------------
    async def school(self, npsn: str, version: int, fields: dict[str, Any]) -> bool:
        return await apply_if_newer(self.db[SCHOOLS], npsn, version, fields)

    async def roster(self, npsn: str, roster_id: str, version: int, fields: dict[str, Any]) -> bool:
        return await apply_if_newer(self.db[ROSTERS], f"{roster_id}:{npsn}", version,
                                    {"npsn": npsn, "roster_id": roster_id, **fields})

    async def visit(self, visit_id: str, version: int, status: str, fields: dict[str, Any],
                    details: dict[str, Any] | None = None) -> bool:
        applied = await apply_if_newer(self.db[VISITS], visit_id, version, {"status": status, **fields})
        if details is not None:  # the document exists now, whichever event came first
            guard = {"_id": visit_id, "$or": [{"detail_version": {"$lt": version}},
                                              {"detail_version": {"$exists": False}}]}
            await self.db[VISITS].update_one(guard, {"$set": {**details, "detail_version": version}})
        return applied

    async def fact(self, fact: Fact) -> bool:
        document = {"kind": fact.kind, **fact.fields}
        if fact.version is not None:
            return await apply_if_newer(self.db[FACTS], fact.key, fact.version, document)
        return await record_once(self.db[FACTS], fact.key, document)

    async def stock_low(self, unit_id: str, version: int, remaining: int, threshold: int, at: dt.datetime) -> bool:
        return await apply_if_newer(self.db[STOCK], unit_id, version,
                                    {"remaining": remaining, "threshold": threshold, "at": at})

    # --- reads -------------------------------------------------------------------------------
    async def read(self) -> Projections:
        facts = self.db[FACTS]
        return Projections(
            schools=await self.db[SCHOOLS].find({}).to_list(None),
            rosters=await self.db[ROSTERS].find({}).to_list(None),
            visits=await self.db[VISITS].find({}).to_list(None),
            students_by_school=await self._distinct_students(facts, "npsn"),
            students_by_unit=await self._distinct_students(facts, "unit_id"),
            events_by_unit=await self._count({"unit_id": {"$exists": True}}, "unit_id"),
            reprints_by_unit={unit: n for (_, unit), n in
                              (await self._count({"kind": "printed", "reprint": True}, "unit_id")).items()},
            by_day=await self._count({"reprint": {"$ne": True}}, "day"),
            stock=await self._stock(),
        )

    async def _distinct_students(self, facts: Any, by: str) -> dict[tuple[str, str], int]:
        pipeline = [
            {"$match": {by: {"$exists": True}}},
            {"$group": {"_id": {"k": "$kind", "g": f"${by}", "s": "$student_id"}}},
            {"$group": {"_id": {"k": "$_id.k", "g": "$_id.g"}, "n": {"$sum": 1}}},
        ]
        return {(row["_id"]["k"], row["_id"]["g"]): row["n"] async for row in await facts.aggregate(pipeline)}

    async def _count(self, match: dict[str, Any], by: str) -> dict[tuple[str, str], int]:
        pipeline = [{"$match": match}, {"$group": {"_id": {"k": "$kind", "g": f"${by}"}, "n": {"$sum": 1}}}]
        rows = await self.db[FACTS].aggregate(pipeline)
        return {(row["_id"]["k"], row["_id"]["g"]): row["n"] async for row in rows}

    async def _stock(self) -> list[StockReport]:
        reports = []
        async for doc in self.db[STOCK].find({}):
            since = {"unit_id": doc["_id"], "at": {"$gt": doc["at"]}}
            reports.append(StockReport(
                unit_id=doc["_id"], remaining=doc["remaining"], threshold=doc["threshold"], at=doc["at"],
                printed_since=await self.db[FACTS].count_documents({"kind": "printed", **since}),
                certificates_since=await self.db[FACTS].count_documents({"kind": "certificate", **since}),
            ))
        return reports
