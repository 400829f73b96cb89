"""Students in MongoDB: one document per student (the aggregate), keyed by a pseudonymous
student_id derived from the NIK, with its outgoing events embedded (the outbox).

Every change is one atomic single-document write guarded by the document's version; the
events it causes are pushed in that same write and published by the relay.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from pymongo import ASCENDING, IndexModel, ReturnDocument, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from shared.events import models as ev
from shared.events import new_event
from shared.store import outbox_push

from ..domain.eligibility import AgePolicy
from ..domain.roster import Category, RosterStudent, RowVerdict

STUDENTS = "students"
ROSTERS = "rosters"
CONTACT_FIELDS = ("name", "phone", "guardian_name", "guardian_phone")

INDEXES = {
    STUDENTS: [
        IndexModel([("nik", ASCENDING)], unique=True, name="nik_unique"),
        IndexModel([("npsn", ASCENDING), ("roster.category", ASCENDING)], name="school_category"),
        IndexModel([("nisn", ASCENDING)], name="nisn"),
        IndexModel([("recording.status", ASCENDING), ("recording.next_attempt_at", ASCENDING)],
                   name="submission_queue", sparse=True),
        IndexModel([("print_request.state", ASCENDING), ("print_request.due_on", ASCENDING)],
                   name="deferred_prints", sparse=True),
    ],
    ROSTERS: [IndexModel([("imported_at", ASCENDING)])],
}


def student_id_for(nik: str, key: str) -> str:
    """Pseudonymous, stable id: the same NIK always gives the same student."""
    digest = hmac.new(key.encode(), nik.encode(), hashlib.sha256).hexdigest()
    return f"ST-{digest[:24]}"


def _fingerprint(values: dict[str, Any]) -> str:
    text = "|".join(f"{k}={values[k]}" for k in sorted(values))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def contact_event(
    student_id: str, student: dict[str, Any], version: int, *, is_minor: bool
) -> ev.StudentContactUpdated:
    guardian = None
    if student.get("guardian_name"):
        guardian = ev.Guardian(name=student["guardian_name"], phone=student.get("guardian_phone"))
    return ev.StudentContactUpdated(
        student_id=student_id, npsn=student["npsn"], name=student["name"],
        phone=student.get("phone"), is_minor=is_minor, guardian=guardian, version=version)


class StudentRepository:
    def __init__(self, db: AsyncDatabase, *, student_id_key: str, policy: AgePolicy) -> None:
        self.db = db
        self.students = db[STUDENTS]
        self.rosters = db[ROSTERS]
        self.key = student_id_key
        self.policy = policy

    def student_id(self, nik: str) -> str:
        return student_id_for(nik, self.key)

    # --- roster import ------------------------------------------------------------------------
    async def other_schools(self, schools_of: dict[str, str]) -> dict[str, str]:
        """NIKs already on the roster of another school than the one importing them."""
        found: dict[str, str] = {}
        cursor = self.students.find({"nik": {"$in": list(schools_of)}}, {"nik": 1, "npsn": 1})
        async for doc in cursor:
            if doc["npsn"] != schools_of.get(doc["nik"]):
                found[doc["nik"]] = doc["npsn"]
        return found

    async def save_verdicts(
        self, verdicts: Sequence[RowVerdict], *, roster_id: str, today: date, now: datetime
    ) -> list[str]:
        """Insert new students, update changed ones, leave unchanged ones alone. A changed
        contact publishes `student.contact_updated`. Returns the ids written."""
        valid = [v for v in verdicts if v.student is not None]
        if not valid:
            return []
        ids = {self.student_id(v.student.nik): v for v in valid}  # type: ignore[union-attr]
        existing = {
            doc["_id"]: doc
            async for doc in self.students.find(
                {"_id": {"$in": list(ids)}},
                {"version": 1, "row_hash": 1, "contact_hash": 1, "roster.category": 1})
        }
        inserts: list[dict[str, Any]] = []
        updates: list[UpdateOne] = []
        written: list[str] = []
        for student_id, verdict in ids.items():
            operation = self._operation(student_id, verdict, existing.get(student_id),
                                        roster_id=roster_id, today=today, now=now)
            if operation is None:
                continue
            (updates if isinstance(operation, UpdateOne) else inserts).append(operation)
            written.append(student_id)
        if not written:
            return []
        if inserts:
            updates.extend(await self._superseded(inserts, now))
        try:
            if inserts:  # new students: the common case of a first import
                await self.students.insert_many(inserts, ordered=False)
            if updates:
                await self.students.bulk_write(updates, ordered=False)
        except BulkWriteError as error:  # a concurrent import of the same students
            if any(e.get("code") != 11000 for e in error.details.get("writeErrors", [])):
                raise
            raise ConcurrentImport("another import changed these students; import again") from None
        return written

    async def _superseded(self, inserts: list[dict[str, Any]], now: datetime) -> list[UpdateOne]:
        """A corrected roster may fix a NIK: the student keeps the NISN, so the record under
        the old NIK is marked superseded by the new one instead of living on as a second
        student. It stays (with its audit trail) but leaves visit lists and check-in."""
        new_by_nisn = {doc["nisn"]: doc for doc in inserts}
        updates = []
        async for old in self.students.find(
                {"nisn": {"$in": list(new_by_nisn)}, "superseded_by": {"$exists": False},
                 "_id": {"$nin": [doc["_id"] for doc in inserts]}},
                {"nisn": 1, "npsn": 1, "version": 1}):
            new = new_by_nisn[old["nisn"]]
            if old["npsn"] != new["npsn"]:
                continue  # another school's student: the NISN check of the import reports it
            updates.append(UpdateOne(
                {"_id": old["_id"], "version": old["version"]},
                {"$set": {"superseded_by": new["_id"], "superseded_at": now,
                          "roster.category": "superseded", "version": old["version"] + 1}}))
        return updates

    def _operation(
        self, student_id: str, verdict: RowVerdict, current: dict[str, Any] | None, *,
        roster_id: str, today: date, now: datetime,
    ) -> dict[str, Any] | UpdateOne | None:
        """A new student's document, the update of a changed one, or None."""
        student: RosterStudent = verdict.student  # type: ignore[assignment]
        fields = student.model_dump(mode="json")
        row_hash = _fingerprint({**fields, "category": verdict.category.value,
                                 "eligible_on": str(verdict.eligible_on)})
        contact_hash = _fingerprint({k: fields.get(k) for k in CONTACT_FIELDS})
        if current is not None and current.get("row_hash") == row_hash:
            return None  # the same row imported again: nothing changes
        version = (current or {}).get("version", 0) + 1
        roster = {"roster_id": roster_id, "row": verdict.row, "category": verdict.category.value,
                  "eligible_on": verdict.eligible_on.isoformat() if verdict.eligible_on else None,
                  "warnings": [i.model_dump(mode="json") for i in verdict.warnings],
                  "imported_at": now}
        events = []
        if current is None or current.get("contact_hash") != contact_hash:
            is_minor = self.policy.needs_guardian_consent(student.birth_date, today)
            events.append(new_event("enrollment", contact_event(student_id, fields, version,
                                                                is_minor=is_minor),
                                    subject=student_id))
        body = {**fields, "roster": roster, "row_hash": row_hash, "contact_hash": contact_hash,
                "updated_at": now}
        if current is None:
            return {"_id": student_id, **body, "version": version, "created_at": now,
                    "outbox": [e.to_document() for e in events]}
        update: dict[str, Any] = {"$set": {**body, "version": version},
                                  "$unset": {"superseded_by": "", "superseded_at": ""}}
        if events:
            update["$push"] = outbox_push(*events)
        return UpdateOne({"_id": student_id, "version": current["version"]}, update)

    async def save_roster(self, roster_id: str, report: dict[str, Any], events: list[Any],
                          now: datetime) -> None:
        await self.rosters.insert_one({"_id": roster_id, "imported_at": now, "report": report,
                                       "version": 1,
                                       "outbox": [e.to_document() for e in events]})

    async def roster(self, roster_id: str) -> dict[str, Any] | None:
        return await self.rosters.find_one({"_id": roster_id}, {"outbox": 0})

    # --- reading ------------------------------------------------------------------------------
    async def get(self, student_id: str, projection: dict[str, int] | None = None
                  ) -> dict[str, Any] | None:
        return await self.students.find_one({"_id": student_id}, projection)

    async def update(self, student_id: str, version: int, update: dict[str, Any],
                     *events: Any) -> dict[str, Any] | None:
        """One guarded write: applies only if nobody changed the student meanwhile. Answers
        the student as written (without outbox and biometrics), or None if it had changed."""
        update = dict(update)
        update.setdefault("$set", {})["version"] = version + 1
        update["$set"]["updated_at"] = datetime.now(UTC)
        if events:
            update["$push"] = {**update.get("$push", {}), **outbox_push(*events)}
        return await self.students.find_one_and_update(
            {"_id": student_id, "version": version}, update, projection={"outbox": 0, "biometrics": 0},
            return_document=ReturnDocument.AFTER)

    async def of_school(self, npsn: str, categories: Sequence[Category]) -> list[dict[str, Any]]:
        cursor = self.students.find(
            {"npsn": npsn, "roster.category": {"$in": [c.value for c in categories]},
             "superseded_by": {"$exists": False}},
            {"outbox": 0, "biometrics": 0},
        ).sort("name", ASCENDING)
        return [doc async for doc in cursor]


class ConcurrentImport(Exception):
    pass
