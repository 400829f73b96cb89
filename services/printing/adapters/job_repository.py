"""Print jobs in MongoDB: one document per job, its outgoing events in its own outbox.

The document keeps the job (as JSON-mode data, images as binary) and a few top-level
fields for the queries: queue order, readiness, uncollected cards. Every change is one
`update_one` guarded by the job's version. Stock movements a job change implies (issue,
release or spoil a blank) are written into the same document as `stock_actions` and applied
to the unit's stock document afterwards, like an outbox: a crash in between leaves them
there for the next sweep, and applying one twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from bson import Binary
from pymongo import ASCENDING, IndexModel, UpdateOne

from shared.envelope import CloudEvent
from shared.store import outbox_insert, outbox_push
from shared.store.effects import InsertOnce
from shared.vault import Vault, VaultError

from ..domain.print_job import JobStatus, PrintJob
from .concurrency import MAX_CONFLICT_RETRIES, ConcurrentUpdate, NotFound

COLLECTION = "print_jobs"
INDEXES = {
    COLLECTION: [
        IndexModel([("request_id", ASCENDING)], unique=True, name="one_job_per_request"),
        IndexModel([("unit_id", ASCENDING), ("status", ASCENDING), ("requested_at", ASCENDING),
                    ("request_id", ASCENDING)], name="queue"),
        IndexModel([("unit_id", ASCENDING), ("visit_id", ASCENDING), ("requested_at", ASCENDING)], name="visit"),
        IndexModel([("npsn", ASCENDING), ("status", ASCENDING), ("handed_over", ASCENDING)], name="uncollected"),
        IndexModel([("stock_actions.id", ASCENDING)], name="stock_actions_pending", sparse=True),
    ]
}
FIFO = [("requested_at", ASCENDING), ("request_id", ASCENDING)]
WITHOUT_IMAGES = {"images": 0, "outbox": 0}

StockAction = dict[str, Any]  # {"id", "op": "issue"|"release"|"spoil", "serial", "at", "reason"}


def to_document(job: PrintJob, vault: Vault) -> dict[str, Any]:
    data = job.model_dump(mode="json", exclude={"images"})
    images = None
    if job.images is not None:  # sealed at rest (AES-GCM, key id kept), bound to this job and part
        images = {"photo": _seal(vault, job.job_id, "photo", job.images.photo),
                  "signature": _seal(vault, job.job_id, "signature", job.images.signature)}
    return {
        "data": data,
        "images": images,
        "version": job.version,
        "status": job.status.value,
        "unit_id": job.unit_id,
        "visit_id": job.visit_id,
        "npsn": job.npsn,
        "student_id": job.student_id,
        "request_id": job.request_id,
        "requested_at": job.requested_at,
        "retry_at": job.retry_at,
        "needs_attention": job.needs_attention,
        "waiting_for_stock": job.waiting_for_stock,
        "has_certificate": job.certificate is not None,
        "handed_over": job.handover is not None,
    }


def _seal(vault: Vault, job_id: str, part: str, data: bytes | None) -> dict[str, Any] | None:
    if data is None:
        return None
    blob = vault.seal(data, context=f"{job_id}/{part}")
    return {"key_id": blob.key_id, "nonce": Binary(blob.nonce), "ciphertext": Binary(blob.ciphertext)}


def _open(vault: Vault | None, job_id: str, part: str, stored: Any) -> bytes | None:
    if not stored:
        return None
    if not isinstance(stored, dict):  # written in clear before images were sealed: still read
        return bytes(stored)
    if vault is None:
        raise VaultError(f"job {job_id}: {part} is sealed and no vault was given")
    return vault.open({k: bytes(v) if k != "key_id" else v for k, v in stored.items()},
                      context=f"{job_id}/{part}")


def from_document(doc: dict[str, Any], vault: Vault | None = None) -> PrintJob:
    images = doc.get("images")
    if images is not None:
        images = {"photo": _open(vault, doc["_id"], "photo", images["photo"]),
                  "signature": _open(vault, doc["_id"], "signature", images.get("signature"))}
    elif "images" not in doc:  # projected away: a summary, never rendered
        images = None
    return PrintJob.model_validate({**doc["data"], "images": images})


class JobRepository:
    def __init__(self, db: Any, vault: Vault) -> None:
        self.collection = db[COLLECTION]
        self.vault = vault
        self._insert = InsertOnce(self.collection)

    async def create(self, job: PrintJob, correlation_id: str | None) -> bool:
        """Insert a new job; False when this request already has one (redelivery, duplicate)."""
        document = {**to_document(job, self.vault), "_id": job.job_id, "correlation_id": correlation_id,
                    "stock_actions": [], **outbox_insert()}
        return await self._insert(document)

    async def job_id_for_request(self, request_id: str) -> str | None:
        doc = await self.collection.find_one({"request_id": request_id}, {"_id": 1})
        return doc["_id"] if doc else None

    async def get(self, job_id: str, *, images: bool = True) -> PrintJob | None:
        doc = await self.collection.find_one({"_id": job_id}, None if images else WITHOUT_IMAGES)
        return from_document(doc, self.vault) if doc else None

    async def correlation_id(self, job_id: str) -> str | None:
        doc = await self.collection.find_one({"_id": job_id}, {"correlation_id": 1})
        return (doc or {}).get("correlation_id")

    async def save(self, job: PrintJob, expected_version: int, events: Sequence[CloudEvent],
                   stock_actions: Sequence[StockAction] = ()) -> None:
        update: dict[str, Any] = {"$set": to_document(job, self.vault)}
        push: dict[str, Any] = {}
        if events:
            push.update(outbox_push(*events))
        if stock_actions:
            push["stock_actions"] = {"$each": list(stock_actions)}
        if push:
            update["$push"] = push
        result = await self.collection.update_one({"_id": job.job_id, "version": expected_version}, update)
        if result.matched_count != 1:
            raise ConcurrentUpdate(f"job {job.job_id} changed while being updated")

    async def read(self, job_id: str) -> tuple[PrintJob, str | None] | None:
        """A job with the correlation id of its request (what `update` may start from)."""
        doc = await self.collection.find_one({"_id": job_id}, {"outbox": 0})
        return (from_document(doc, self.vault), doc.get("correlation_id")) if doc else None

    async def update(
        self,
        job_id: str,
        change: Callable[[PrintJob, str | None], tuple[list[CloudEvent], list[StockAction]]],
        current: tuple[PrintJob, str | None] | None = None,
    ) -> PrintJob:
        """Read, change (a domain step that returns events and stock actions), write; retried on
        conflict. ``current``: the job as last read or written, tried first instead of a read
        (the version guard catches a change meanwhile)."""
        for attempt in range(MAX_CONFLICT_RETRIES):
            if attempt == 0 and current is not None:
                job, correlation_id = current[0].model_copy(deep=True), current[1]
            else:
                read = await self.read(job_id)
                if read is None:
                    raise NotFound(f"print job {job_id} not found")
                job, correlation_id = read
            before = job.version
            try:
                events, actions = change(job, correlation_id)
            except Exception:
                if attempt == 0 and current is not None:
                    continue  # the job as known may be out of date: decide on a fresh read
                raise
            if job.version == before and not events and not actions:
                return job
            try:
                await self.save(job, before, events, actions)
            except ConcurrentUpdate:
                continue
            return job
        raise ConcurrentUpdate(f"job {job_id} kept changing; try again")

    async def pending_stock_actions(self, job_id: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Jobs (one, or any) with stock movements still to apply: `_id`, `unit_id`, `stock_actions`."""
        query: dict[str, Any] = {"stock_actions.0": {"$exists": True}}
        if job_id is not None:
            query["_id"] = job_id
        cursor = self.collection.find(query, {"stock_actions": 1, "unit_id": 1}).limit(limit)
        return [doc async for doc in cursor]

    async def stock_actions_done(self, moves: Sequence[tuple[str, Sequence[StockAction]]]) -> None:
        """Clear applied stock actions from their jobs: one command for them all."""
        ops = [UpdateOne({"_id": job_id}, {"$pull": {"stock_actions": {"id": {"$in": [a["id"] for a in actions]}}}})
               for job_id, actions in moves if actions]
        if ops:
            await self.collection.bulk_write(ops, ordered=False)

    # -- queries ----------------------------------------------------------------------------

    def _ready(self, now: datetime) -> dict[str, Any]:
        return {"$or": [
            {"status": JobStatus.QUEUED.value},
            {"status": JobStatus.FAILED.value, "needs_attention": False, "retry_at": {"$lte": now}},
        ]}

    async def units_with_ready_jobs(self, now: datetime) -> list[str]:
        units = await self.collection.distinct("unit_id", self._ready(now))
        return sorted(units)

    async def ready_jobs(self, unit_id: str, now: datetime, *, without_certificate: bool = False,
                         limit: int = 50) -> list[tuple[PrintJob, str | None]]:
        """A unit's ready jobs in FIFO order, each with its request's correlation id."""
        query = {"unit_id": unit_id, **self._ready(now)}
        if without_certificate:
            query["has_certificate"] = False
        cursor = self.collection.find(query, {"outbox": 0}).sort(FIFO).limit(limit)
        return [(from_document(doc, self.vault), doc.get("correlation_id")) async for doc in cursor]

    async def printing(self, limit: int = 200) -> list[PrintJob]:
        """Jobs at the printer now (or left there by a process that died)."""
        cursor = self.collection.find({"status": JobStatus.PRINTING.value}, WITHOUT_IMAGES).limit(limit)
        return [from_document(doc) async for doc in cursor]

    async def queue(self, unit_id: str, visit_id: str | None = None, *, include_done: bool = False) -> list[PrintJob]:
        query: dict[str, Any] = {"unit_id": unit_id}
        if visit_id is not None:
            query["visit_id"] = visit_id
        if not include_done:
            query["handed_over"] = False
        cursor = self.collection.find(query, WITHOUT_IMAGES).sort(FIFO)
        return [from_document(doc) async for doc in cursor]

    async def uncollected(self, npsn: str) -> list[PrintJob]:
        """Cards printed for a school's students and not yet handed over."""
        cursor = self.collection.find(
            {"npsn": npsn, "status": JobStatus.PRINTED.value, "handed_over": False}, WITHOUT_IMAGES
        ).sort(FIFO)
        return [from_document(doc) async for doc in cursor]

    async def waiting_with_certificate(self, npsn: str) -> list[PrintJob]:
        cursor = self.collection.find(
            {"npsn": npsn, "has_certificate": True, "status": {"$ne": JobStatus.PRINTED.value}}, WITHOUT_IMAGES
        ).sort(FIFO)
        return [from_document(doc) async for doc in cursor]
