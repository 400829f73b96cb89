"""MongoDB storage: the contact directory (copies kept from events) and the deliveries.

A delivery's `_id` is derived from its key (cause event, kind, recipient, channel),
so the `_id`'s own uniqueness makes planning a message twice insert it once (a second,
compound unique index on the key would only cost every write a check). Every change of a
delivery is one atomic update of its document, carrying the events it causes in the same write
(the outbox).

Reads and writes that many handlers or deliveries make at about the same time (a contact, a
school, recent sends, new deliveries, outcomes) share one command (``shared/store/batching.py``):
the documents and guards are the same as one at a time, only the round trips are fewer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.envelope import CloudEvent
from shared.store import OUTBOX, apply_if_newer, outbox_push
from shared.store.effects import InsertOnce
from shared.store.batching import Batcher
from shared.store.guarded import GuardedUpdates, claim_batch

from ..domain.contacts import GuardianContact, Preferences, SchoolContact, StudentContact
from ..domain.delivery import Delivery, DeliveryStatus
from ..domain.messages import MessageKind

DELIVERIES = "deliveries"
SCHOOLS = "schools"
STUDENTS = "students"
VISITS = "visits"

INDEXES: dict[str, list[IndexModel]] = {
    DELIVERIES: [
        IndexModel([("cause_event_id", ASCENDING)], name="by_cause"),
        IndexModel([("status", ASCENDING), ("next_attempt_at", ASCENDING)], name="due"),
        IndexModel([("status", ASCENDING), ("lease_until", ASCENDING)], name="leases"),
        IndexModel([("recipient_id", ASCENDING), ("created_at", DESCENDING)], name="by_recipient"),
        IndexModel([("about", ASCENDING), ("status", ASCENDING)], name="by_about"),
        IndexModel([("recipient_id", ASCENDING), ("sent_at", DESCENDING)], name="recent_sends"),
    ],
    STUDENTS: [IndexModel([("npsn", ASCENDING)], name="by_school")],
    VISITS: [IndexModel([("npsn", ASCENDING), ("date", ASCENDING)], name="by_school_date")],
}


def to_document(delivery: Delivery, version: int = 1) -> dict[str, Any]:
    doc = delivery.model_dump(mode="python")
    doc["_id"] = doc.pop("delivery_id")
    doc["history"] = [dict(a) for a in doc["history"]]
    doc["version"] = version
    return doc


def from_document(doc: dict[str, Any]) -> Delivery:
    return Delivery.model_validate({**doc, "delivery_id": doc["_id"]})


class DeliveryRepository:
    def __init__(self, db: AsyncDatabase) -> None:
        self.collection = db[DELIVERIES]
        self._insert = InsertOnce(self.collection)
        self._save = GuardedUpdates(self.collection)
        self._recent = Batcher(self._recent_batch, name="deliveries-recent")

    async def insert_new(self, deliveries: Sequence[Delivery]) -> list[str]:
        """Insert the deliveries not yet known; returns the ids actually inserted."""
        docs = [to_document(d) for d in deliveries]
        inserted = await asyncio.gather(*(self._insert(doc) for doc in docs))  # one insert_many
        return [doc["_id"] for doc, new in zip(docs, inserted, strict=True) if new]

    async def insert_one(self, delivery: Delivery) -> bool:
        try:
            await self.collection.insert_one(to_document(delivery))
        except DuplicateKeyError:
            return False
        return True

    async def get(self, delivery_id: str) -> tuple[Delivery, int] | None:
        doc = await self.collection.find_one({"_id": delivery_id}, {OUTBOX: 0})
        return None if doc is None else (from_document(doc), doc.get("version", 1))

    async def find(self, query: dict[str, Any], limit: int = 100) -> list[Delivery]:
        cursor = self.collection.find(query, {OUTBOX: 0}).sort("created_at", DESCENDING).limit(limit)
        return [from_document(doc) async for doc in cursor]

    async def claim_due(self, now: datetime, lease: timedelta, limit: int = 1) -> list[tuple[Delivery, int]]:
        """Take up to ``limit`` deliveries whose time has come, or whose dispatcher's lease ran
        out, earliest first. The claim is a guarded update (status, due time and lease checked
        again) marked with this claim's own token, so a delivery another dispatcher took in
        between is not taken twice; the claimed ones are read back by that token."""
        due = {"$or": [
            {"status": DeliveryStatus.SCHEDULED.value, "next_attempt_at": {"$lte": now}},
            {"status": DeliveryStatus.SENDING.value, "lease_until": {"$lte": now}},
        ]}
        docs = await claim_batch(
            self.collection, due,
            {"$set": {"status": DeliveryStatus.SENDING.value, "lease_until": now + lease}, "$inc": {"version": 1}},
            limit=limit, token_field="claim", sort=[("next_attempt_at", ASCENDING)], projection={OUTBOX: 0},
        )
        return [(from_document(doc), doc["version"]) for doc in docs]

    async def save(self, delivery: Delivery, expected_version: int, events: Iterable[CloudEvent] = ()) -> bool:
        """Write the new state if nobody changed the document since `expected_version`."""
        doc = to_document(delivery, expected_version + 1)
        doc.pop("_id")
        update: dict[str, Any] = {"$set": doc}
        events = list(events)
        if events:
            update["$push"] = outbox_push(*events)
        return await self._save({"_id": delivery.delivery_id, "version": expected_version}, update)

    async def recent_sends(self, recipient_id: str, since: datetime) -> list[datetime]:
        return await self._recent((recipient_id, since))

    async def _recent_batch(self, items: list[tuple[str, datetime]]) -> list[list[datetime]]:
        cursor = self.collection.find(
            {"recipient_id": {"$in": sorted({r for r, _ in items})}, "status": DeliveryStatus.SENT.value,
             "sent_at": {"$gt": min(since for _, since in items)}},
            {"sent_at": 1, "recipient_id": 1},
        )
        sends = [(doc["recipient_id"], doc["sent_at"]) async for doc in cursor]
        return [[at for r, at in sends if r == recipient and at > since] for recipient, since in items]

    async def withdraw_reminders(self, about: str, older_than_version: int, reason: str) -> int:
        """Cancel pending reminders planned for an older version of a visit."""
        result = await self.collection.update_many(
            {"about": about, "status": DeliveryStatus.SCHEDULED.value,
             "kind": {"$in": [MessageKind.VISIT_REMINDER.value, MessageKind.VISIT_STUDENT_REMINDER.value]},
             "about_version": {"$lt": older_than_version}},
            {"$set": {"status": DeliveryStatus.CANCELLED.value, "cancelled_reason": reason}, "$inc": {"version": 1}},
        )
        return result.modified_count

    async def count_by_status(self) -> dict[str, int]:
        out: dict[str, int] = {}
        async for row in await self.collection.aggregate([{"$group": {"_id": "$status", "n": {"$sum": 1}}}]):
            out[row["_id"]] = row["n"]
        return out


class Directory:
    """Schools, students (with guardians) and visits as this service last heard of them."""

    def __init__(self, db: AsyncDatabase) -> None:
        self.schools = db[SCHOOLS]
        self.students = db[STUDENTS]
        self.visits = db[VISITS]
        self._school = Batcher(self._by_ids(self.schools), name="schools-read")
        self._student = Batcher(self._by_ids(self.students), name="students-read")

    @staticmethod
    def _by_ids(collection: Any):
        async def load(ids: list[str]) -> list[dict[str, Any] | None]:
            found = {doc["_id"]: doc async for doc in collection.find({"_id": {"$in": sorted(set(ids))}})}
            return [found.get(i) for i in ids]
        return load

    async def keep_school(self, npsn: str, version: int, fields: dict[str, Any]) -> bool:
        return await apply_if_newer(self.schools, npsn, version, fields)

    async def keep_student(self, student_id: str, version: int, fields: dict[str, Any]) -> bool:
        return await apply_if_newer(self.students, student_id, version, fields)

    async def keep_visit(self, visit_id: str, version: int, fields: dict[str, Any]) -> dict[str, Any] | None:
        """Apply if newer; returns the stored copy (whichever version won)."""
        await apply_if_newer(self.visits, visit_id, version, fields)
        return await self.visits.find_one({"_id": visit_id}, {"applied_events": 0})

    async def school(self, npsn: str) -> SchoolContact | None:
        doc = await self._school(npsn)
        return None if doc is None else school_contact(doc)

    async def school_name(self, npsn: str) -> str:
        doc = await self._school(npsn)
        if doc is None:
            doc = await self.visits.find_one({"npsn": npsn}, {"school_name": 1})
            return (doc or {}).get("school_name") or f"sekolah NPSN {npsn}"
        return doc["name"]

    async def student(self, student_id: str) -> StudentContact | None:
        doc = await self._student(student_id)
        return None if doc is None else student_contact(doc)

    async def students_of(self, npsn: str) -> list[StudentContact]:
        return [student_contact(doc) async for doc in self.students.find({"npsn": npsn})]

    async def upcoming_visits(self, npsn: str, from_date: str) -> list[dict[str, Any]]:
        cursor = self.visits.find({"npsn": npsn, "date": {"$gte": from_date}, "status": {"$ne": "cancelled"}})
        return [doc async for doc in cursor]


def school_contact(doc: dict[str, Any]) -> SchoolContact | None:
    contact = doc.get("contact") or {}
    try:
        return SchoolContact(
            school_id=doc["_id"], name=doc.get("name") or doc["_id"],
            email=contact.get("email"), phone=contact.get("phone"), version=doc.get("version", 0),
        )
    except ValueError:
        return SchoolContact(school_id=doc["_id"], name=doc.get("name") or doc["_id"], version=doc.get("version", 0))


def student_contact(doc: dict[str, Any]) -> StudentContact:
    opted = frozenset(doc.get("opted_out") or ())
    prefs = Preferences(language=doc.get("language") or "id", phone_channel=doc.get("phone_channel") or "sms",
                        opted_out=opted)
    guardians = tuple(
        GuardianContact(guardian_id=g["guardian_id"], phone=g["phone"], preferences=prefs)
        for g in doc.get("guardians") or ()
    )
    return StudentContact(
        student_id=doc["_id"], school_id=doc["npsn"], phone=doc.get("phone"), minor=doc.get("is_minor", True),
        preferences=prefs, guardians=guardians, version=doc.get("version", 0),
    )
