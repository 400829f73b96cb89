"""Biometric data is kept only as long as it serves (UU 27/2022: specific personal data).

Once the central registry has confirmed a record (``print_ready``) the fingerprint and iris
templates have done their work: they go ``JEMPUT_BIOMETRIC_RETENTION_DAYS`` after the answer.
The face photo and the signature are still needed to print the card, so they go the same time
after the card has been requested (a student under printing age keeps them until then). What is
kept: the digest the registry was sent and a ``biometrics_deleted`` note on the student (when
each part went); every deletion is also an audit record (``audit`` collection, action
``biometrics.deleted``, actor ``system:biometric-retention``). Replicas may sweep at once: each
deletion is one guarded update, and only the one that made it writes the audit record.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from shared.audit import AuditLog

from .adapters.student_repository import STUDENTS
from .settings import EnrollmentSettings

log = logging.getLogger("jemput.enrollment.retention")
ACTION = "biometrics.deleted"


class Actor(StrEnum):
    SYSTEM = "system"


@dataclass(frozen=True)
class SystemActor:
    """Who the audit log names for what the service does by itself (no token behind it)."""

    subject: str
    role: Actor = Actor.SYSTEM


RETENTION = SystemActor("system:biometric-retention")


@dataclass(frozen=True)
class Phase:
    name: str  # the marker under ``biometrics_deleted``
    parts: tuple[str, ...]  # keys under ``biometrics``
    since: str  # the moment the retention counts from
    reason: str
    condition: tuple[tuple[str, Any], ...] = ()


PHASES = (
    Phase("templates_at", ("fingerprints", "irises"), "recording.answer.at",
          "confirmed by the central registry"),
    Phase("print_material_at", ("face_photo", "signature"), "print_request.requested_at",
          "card requested after confirmation", (("print_request.state", "requested"),)),
)


class BiometricRetention:
    def __init__(self, db: Any, settings: EnrollmentSettings, batch: int = 200) -> None:
        self.students = db[STUDENTS]
        self.audit = AuditLog(db, "enrollment")
        self.retention = timedelta(days=settings.biometric_retention_days)
        self.sweep_s = settings.retention_sweep_s
        self.batch = batch

    async def sweep(self, now: datetime | None = None) -> int:
        """Delete what is due; answers how many deletions (student x phase) were made."""
        now = now or datetime.now(UTC)
        deleted = 0
        for phase in PHASES:
            due = {"recording.status": "print_ready", phase.since: {"$lte": now - self.retention},
                   f"biometrics_deleted.{phase.name}": {"$exists": False}, **dict(phase.condition)}
            docs = await self.students.find(due, {"_id": 1, phase.since: 1}).to_list(self.batch)
            for doc in docs:
                deleted += await self._delete(doc, phase, due, now)
        return deleted

    async def _delete(self, doc: dict[str, Any], phase: Phase, due: dict[str, Any], now: datetime) -> int:
        result = await self.students.update_one(
            {"_id": doc["_id"], **due},
            {"$unset": {f"biometrics.{part}": "" for part in phase.parts},
             "$set": {f"biometrics_deleted.{phase.name}": now}})
        if result.modified_count != 1:
            return 0  # another replica did it
        since = _get(doc, phase.since)
        await self.audit.record(RETENTION, ACTION, doc["_id"], {  # type: ignore[arg-type]
            "parts": list(phase.parts), "reason": phase.reason,
            "retention_days": self.retention / timedelta(days=1),
            "since": since.isoformat() if isinstance(since, datetime) else None}, at=now)
        return 1

    async def run(self) -> None:
        while True:
            try:
                if deleted := await self.sweep():
                    log.info("biometric data deleted after retention", extra={"deletions": deleted})
            except Exception as error:  # never let the loop die; the state is in MongoDB
                log.warning("biometric retention pass failed", exc_info=error)
            await asyncio.sleep(self.sweep_s)


def _get(doc: dict[str, Any], dotted: str) -> Any:
    for key in dotted.split("."):
        doc = doc.get(key) if isinstance(doc, dict) else None  # type: ignore[assignment]
    return doc
