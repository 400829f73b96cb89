"""Schools, mobile units, closures, roster counts and plan records in MongoDB."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pymongo import IndexModel
from pymongo.errors import DuplicateKeyError

from shared.envelope import CloudEvent
from shared.events import models as ev
from shared.events import new_event
from shared.service import Runtime
from shared.store import outbox_insert, outbox_push

from ..domain.closure import Closure
from ..domain.school import School
from ..domain.unit import MobileUnit, Unavailability
from .documents import closure_from, school_doc, school_event_data, school_from, unit_doc, unit_from

SCHOOLS = "schools"
UNITS = "units"
CLOSURES = "closures"
ROSTER_COUNTS = "roster_counts"
PLANS = "plans"
INDEXES = {
    SCHOOLS: [IndexModel([("kecamatan", 1)])],
    CLOSURES: [IndexModel([("npsn", 1)]), IndexModel([("start", 1)])],
    PLANS: [IndexModel([("committed_at", -1)])],
}
SCHOOL_FIELDS = ("name", "kind", "ownership", "kecamatan", "address", "coordinates", "contact")


class SchoolExists(ValueError):
    pass


class NotFound(LookupError):
    pass


class ProgrammeRepository:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        db = runtime.db
        self.schools = db[SCHOOLS]
        self.units = db[UNITS]
        self.closures = db[CLOSURES]
        self.roster_counts = db[ROSTER_COUNTS]
        self.plans = db[PLANS]

    # --- schools -----------------------------------------------------------------------------
    async def register_school(self, school: School) -> dict[str, Any]:
        counted = await self.roster_counts.find_one({"_id": school.npsn})
        if counted is not None:
            school = school.model_copy(update={"ready_students": counted["ready_to_record"],
                                               "ready_source": "roster"})
        event = new_event("scheduling", school_event_data(school, 1, ev.SchoolRegistered), subject=school.npsn)
        doc = {**school_doc(school), "_id": school.npsn, "version": 1}
        try:
            await self.schools.insert_one({**doc, **outbox_insert(event)})
        except DuplicateKeyError:
            raise SchoolExists(f"school {school.npsn} is already registered") from None
        await self.runtime.relay.publish_written(SCHOOLS, school.npsn, [event])
        return doc

    async def update_school(self, school: School) -> tuple[dict[str, Any], bool]:
        """Update what the operator can change; True when something changed (school.updated sent)."""
        for _ in range(5):
            current = await self.schools.find_one({"_id": school.npsn}, {"outbox": 0})
            if current is None:
                raise NotFound(f"school {school.npsn} is not registered")
            new = school_doc(school)
            changes = {k: new[k] for k in SCHOOL_FIELDS if new.get(k) != current.get(k)}
            if current.get("ready_source") != "roster" and new["ready_students"] != current.get("ready_students"):
                changes["ready_students"] = new["ready_students"]  # an operator estimate
            if not changes:
                return current, False
            version = current["version"] + 1
            merged = school_from({**current, **changes})
            event = new_event("scheduling", school_event_data(merged, version, ev.SchoolUpdated), subject=school.npsn)
            result = await self.schools.update_one(
                {"_id": school.npsn, "version": current["version"]},
                {"$set": {**changes, "version": version}, "$push": outbox_push(event)},
            )
            if result.modified_count == 1:
                await self.runtime.relay.after_write(SCHOOLS, school.npsn)
                return {**current, **changes, "version": version}, True
        raise RuntimeError(f"school {school.npsn} keeps changing; try again")

    async def get_school(self, npsn: str) -> dict[str, Any] | None:
        return await self.schools.find_one({"_id": npsn}, {"outbox": 0})

    async def list_schools(self) -> list[dict[str, Any]]:
        return await self.schools.find({}, {"outbox": 0}).sort("_id", 1).to_list(None)

    async def all_schools(self) -> list[School]:
        return [school_from(d) for d in await self.list_schools()]

    async def record_roster(self, data: ev.RosterVerified, cause: CloudEvent) -> bool:
        """Keep the newest roster count per school; True when the school's count changed."""
        # Newest verification wins: by verification time, then by the roster's version (a new
        # roster for the school starts its own versions again).
        at = data.verified_at.astimezone(dt.UTC)
        try:
            result = await self.roster_counts.update_one(
                {"_id": data.npsn, "$or": [
                    {"verified_at": {"$lt": at}},
                    {"verified_at": at, "version": {"$lt": data.version}},
                    {"verified_at": {"$exists": False}},
                ]},
                {"$set": {"ready_to_record": data.ready_to_record, "roster_id": data.roster_id,
                          "verified_at": at, "version": data.version, "event_id": cause.id}},
                upsert=True,
            )
        except DuplicateKeyError:  # we hold this verification or a newer one
            return False
        if result.upserted_id is None and result.modified_count != 1:
            return False
        result = await self.schools.update_one(
            {"_id": data.npsn, "$or": [{"ready_students": {"$ne": data.ready_to_record}},
                                       {"ready_source": {"$ne": "roster"}}]},
            {"$set": {"ready_students": data.ready_to_record, "ready_source": "roster"}},
        )
        return result.modified_count == 1

    # --- units -------------------------------------------------------------------------------
    async def put_unit(self, unit: MobileUnit) -> dict[str, Any]:
        doc = unit_doc(unit)
        await self.units.replace_one({"_id": unit.unit_id}, {**doc, "_id": unit.unit_id}, upsert=True)
        return doc

    async def add_unavailability(self, unit_id: str, period: Unavailability) -> MobileUnit:
        doc = await self.units.find_one_and_update(
            {"_id": unit_id}, {"$push": {"unavailable": period.model_dump(mode="json")}},
            return_document=True)
        if doc is None:
            raise NotFound(f"unit {unit_id} is not registered")
        return unit_from(doc)

    async def list_units(self) -> list[dict[str, Any]]:
        return await self.units.find({}).sort("_id", 1).to_list(None)

    async def all_units(self) -> list[MobileUnit]:
        return [unit_from(d) for d in await self.list_units()]

    # --- closures ----------------------------------------------------------------------------
    async def add_closure(self, closure: Closure) -> dict[str, Any]:
        if closure.npsn is not None and await self.schools.count_documents({"_id": closure.npsn}, limit=1) == 0:
            raise NotFound(f"school {closure.npsn} is not registered")
        doc = {**closure.model_dump(mode="json"), "_id": f"C-{uuid.uuid4().hex[:12]}"}
        await self.closures.insert_one(doc)
        return doc

    async def list_closures(self) -> list[dict[str, Any]]:
        return await self.closures.find({}).sort("start", 1).to_list(None)

    async def all_closures(self) -> list[Closure]:
        return [closure_from(d) for d in await self.list_closures()]

    # --- plans -------------------------------------------------------------------------------
    async def record_plan(self, summary: dict[str, Any]) -> None:
        await self.plans.insert_one(summary)

    async def latest_plan(self) -> dict[str, Any] | None:
        return await self.plans.find_one({}, sort=[("committed_at", -1)])
