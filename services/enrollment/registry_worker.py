"""Background work that survives restarts because its state lives in each student's
document: submitting captured records to the central registry (with back-off while it is
down) and requesting deferred cards on the 17th birthday."""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from shared.events import models as ev
from shared.events import new_event
from shared.store.guarded import GuardedUpdates, claim_batch

from .adapters.biometric_vault import BiometricVault
from .adapters.central_registry import (
    CentralRegistryGateway,
    RegistryAnswer,
    RegistryRejected,
    RegistryUnavailable,
    Submission,
)
from .adapters.student_repository import STUDENTS, StudentRepository
from .card_request import card_requested, deferred_state, print_decision, requested_state
from .domain.nik import mask_nik
from .domain.status import RecordingStatus
from .settings import EnrollmentSettings

log = logging.getLogger("jemput.enrollment.registry")
_REJECTED = {"duplicate": "duplicate", "failed": "failed"}


class RegistryWorker:
    def __init__(self, repository: StudentRepository, gateway: CentralRegistryGateway,
                 vault: BiometricVault | None, settings: EnrollmentSettings,
                 publish_written=None) -> None:  # type: ignore[no-untyped-def]
        self.repository = repository
        self.students = repository.students
        self.gateway = gateway
        self.vault = vault
        self.settings = settings
        self.publish_written = publish_written  # the relay's: publishes events just written
        self.wakeup = asyncio.Event()
        self.print_passes = 0  # completed deferred-print sweeps (for health and tests)
        self._guarded = GuardedUpdates(self.students)

    def lease(self) -> timedelta:
        s = self.settings
        return timedelta(seconds=s.registry_timeout_s * s.registry_attempts
                         + s.registry_backoff_max_s + 5)

    def retry_delay(self, attempts: int) -> timedelta:
        s = self.settings
        ceiling = min(max(s.registry_backoff_max_s, 0.01),
                      max(s.registry_backoff_base_s, 0.01) * 2 ** min(attempts, 20))
        return timedelta(seconds=random.uniform(ceiling / 2, ceiling))

    async def claim(self, now: datetime, limit: int = 1) -> list[dict[str, Any]]:
        """Take up to ``limit`` records due for submission; the lease keeps other replicas off
        them (three commands however many, ``claim_batch``)."""
        due = {"recording.submittable": True,
               "recording.status": {"$in": [RecordingStatus.CAPTURED.value, RecordingStatus.SUBMITTED.value]},
               "recording.next_attempt_at": {"$lte": now}}
        return await claim_batch(
            self.students, due,
            {"$set": {"recording.status": RecordingStatus.SUBMITTED.value,
                      "recording.next_attempt_at": now + self.lease(), "recording.submitted_at": now},
             "$inc": {"recording.attempts": 1}},
            limit=limit, token_field="recording.claim", projection={"outbox": 0})

    async def submit_due(self) -> int:
        """Submit every record that is due, a few at a time; returns how many got an answer.
        A pass stops at the first sign that the central system is down, and after a batch that
        took all there was (a capture meanwhile wakes the next pass)."""
        answered = 0
        while True:
            docs = await self.claim(datetime.now(UTC), self.settings.submit_concurrency)
            if not docs:
                return answered
            results = await asyncio.gather(*(self._submit_one(doc) for doc in docs))
            answered += sum(1 for r in results if r is True)
            if any(r is None for r in results) or len(docs) < self.settings.submit_concurrency:
                return answered

    async def _submit_one(self, doc: dict[str, Any]) -> bool | None:
        """True: answer applied; False: answered already; None: the registry is down."""
        recording = doc["recording"]
        submission = Submission(
            submission_id=recording["submission_id"], nik=doc["nik"], name=doc["name"],
            birth_date=date.fromisoformat(doc["birth_date"]), sex=doc["sex"],
            npsn=doc["npsn"], biometrics_digest=doc["biometrics"]["digest"])
        try:
            answer = await self.gateway.submit(submission)
        except RegistryUnavailable as error:
            delay = self.retry_delay(recording["attempts"])
            log.warning("central registry unavailable; retrying later",
                        extra={"student_id": doc["_id"], "retry_in_s": delay.total_seconds(),
                               "error": str(error)})
            await self.students.update_one(
                {"_id": doc["_id"], "recording.submission_id": submission.submission_id,
                 "recording.status": RecordingStatus.SUBMITTED.value},
                {"$set": {"recording.next_attempt_at": datetime.now(UTC) + delay}})
            return None
        except RegistryRejected as error:
            answer = RegistryAnswer(submission_id=submission.submission_id, outcome="failed",
                                    reason=f"refused by the central system: {error}"[:200])
        return await self.apply_answer(doc["_id"], answer, claimed=doc)

    async def apply_answer(self, student_id: str, answer: RegistryAnswer,
                           claimed: dict[str, Any] | None = None) -> bool:
        """Record the answer once: guarded by submission id and 'submitted' status. The
        document as claimed is tried first; the version guard sends a changed one round again."""
        for attempt in range(5):
            doc = claimed if attempt == 0 and claimed is not None else \
                await self.repository.get(student_id, {"outbox": 0})
            if (doc is None or doc["recording"]["submission_id"] != answer.submission_id
                    or doc["recording"]["status"] != RecordingStatus.SUBMITTED.value):
                return False  # answered already (another replica, or a retry)
            update, events = self._answer_effects(doc, answer)
            filter_ = {"_id": student_id, "version": doc["version"],
                       "recording.status": RecordingStatus.SUBMITTED.value}
            update.setdefault("$set", {})["version"] = doc["version"] + 1
            update["$push"] = {"outbox": {"$each": [e.to_document() for e in events]}}
            if await self._guarded(filter_, update):  # answers at about the same time: one command
                await self._publish(student_id, events)
                return True
        return False

    def _answer_effects(self, doc: dict[str, Any], answer: RegistryAnswer
                        ) -> tuple[dict[str, Any], list[Any]]:
        now = datetime.now(UTC)
        version = doc["version"] + 1
        student_id, npsn, masked = doc["_id"], doc["npsn"], mask_nik(doc["nik"])
        sets: dict[str, Any] = {
            "recording.status": answer.outcome,
            "recording.answer": {"outcome": answer.outcome, "reason": answer.reason, "at": now},
            "recording.submittable": False}
        if answer.outcome != "print_ready":
            data = ev.StudentEnrollmentRejected(
                student_id=student_id, npsn=npsn, nik_masked=masked,
                reason_category=_REJECTED[answer.outcome],
                reason=(answer.reason or answer.outcome)[:200], rejected_at=now, version=version)
            return {"$set": sets}, [new_event("enrollment", data, subject=student_id)]
        events = [new_event("enrollment", ev.StudentPrintReady(
            student_id=student_id, npsn=npsn, nik_masked=masked, ready_at=now, version=version),
            subject=student_id)]
        decision = print_decision(doc, self.settings.current_date(), self.settings.policy())
        if decision.request_now and self.vault is not None:
            request_id, event = card_requested(doc, self.vault,
                                               issue_place=self.settings.issue_place,
                                               version=version)
            events.append(event)
            sets["print_request"] = requested_state(request_id, decision, now)
        else:
            sets["print_request"] = deferred_state(decision)
        return {"$set": sets}, events

    # --- deferred print requests -----------------------------------------------------------
    async def request_due_prints(self) -> int:
        """Request the cards whose day has come (the 17th birthday); survives restarts."""
        if self.vault is None:
            return 0
        today = self.settings.current_date()
        requested = 0
        cursor = self.students.find(
            {"print_request.state": "deferred", "print_request.due_on": {"$lte": today.isoformat()}},
            {"_id": 1})
        for student_id in [d["_id"] async for d in cursor]:
            doc = await self.repository.get(student_id, {"outbox": 0})
            if doc is None or doc.get("print_request", {}).get("state") != "deferred":
                continue
            decision = print_decision(doc, today, self.settings.policy())
            if not decision.request_now:
                continue
            request_id, event = card_requested(doc, self.vault,
                                               issue_place=self.settings.issue_place,
                                               version=doc["version"] + 1)
            state = requested_state(request_id, decision, datetime.now(UTC))
            result = await self.students.update_one(
                {"_id": student_id, "version": doc["version"], "print_request.state": "deferred"},
                {"$set": {"print_request": state, "version": doc["version"] + 1},
                 "$push": {"outbox": {"$each": [event.to_document()]}}})
            if result.modified_count == 1:
                requested += 1
                await self._publish(student_id, [event])
        return requested

    async def _publish(self, student_id: str, events: list[Any]) -> None:
        if self.publish_written is not None:
            await self.publish_written(STUDENTS, student_id, events)

    # --- loops -----------------------------------------------------------------------------
    async def run_submissions(self) -> None:
        while True:
            self.wakeup.clear()  # before the pass: a capture during the pass wakes the next one
            try:
                # captures a moment apart go to the central registry in one claimed batch
                await asyncio.sleep(self.settings.submit_gather_s)
                await self.submit_due()
            except Exception as error:  # never let the loop die; the state is in MongoDB
                log.warning("submission pass failed", exc_info=error)
            try:
                await asyncio.wait_for(self.wakeup.wait(), self.settings.submit_sweep_s)
            except TimeoutError:
                pass

    async def run_prints(self) -> None:
        while True:
            try:
                await self.request_due_prints()
            except Exception as error:
                log.warning("deferred print pass failed", exc_info=error)
            self.print_passes += 1
            await asyncio.sleep(self.settings.print_sweep_s)
