"""The recording desk at a visit: check-in, consent, biodata corrections, capture,
supervisor approval of exceptions. Each operation is one guarded write on the student; with an
``Idempotency-Key`` (``desk_idempotency``) that write also keeps the key and the answer."""

from __future__ import annotations

import hashlib
import io
import uuid
from datetime import UTC, datetime
from typing import Any

from PIL import Image

from shared.events import models as ev
from shared.events import new_event

from .adapters.biometric_vault import BiometricVault
from .adapters.student_repository import STUDENTS, StudentRepository, contact_event
from .desk_idempotency import FIELD, KEPT, DeskRequest, KeyReused, applied
from .desk_requests import (
    CORRECTABLE,
    Approval,
    CaptureIn,
    CheckIn,
    ConsentIn,
    Correction,
    Withdrawal,
)
from .domain import cells
from .domain.capture import CapturePayload, CaptureRejected, validate_capture
from .domain.cells import MaritalStatus
from .domain.consent import (
    Consent,
    ConsentRequired,
    accept_consent,
    consent_for_capture,
)
from .domain.nik import mask_nik
from .domain.recording import (
    ApprovalRefused,
    RecordingState,
    approve_exceptions,
    check_submittable,
)
from .domain.roster import Category
from .domain.status import RecordingStatus, move
from .settings import EnrollmentSettings


class DeskError(Exception):
    """A refused operation; `status` is the HTTP status the API answers with."""

    def __init__(self, status: int, message: str, problems: list[dict] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.problems = problems or []


class Desk:
    def __init__(self, repository: StudentRepository, settings: EnrollmentSettings,
                 vault: BiometricVault | None) -> None:
        self.repository = repository
        self.settings = settings
        self.vault = vault
        self.db = repository.db

    async def _student(self, student_id: str, request: DeskRequest | None = None) -> dict[str, Any]:
        """The student; for a keyed request answered before, ``Replayed`` with that answer."""
        doc = await self.repository.get(student_id, {"outbox": 0, "biometrics": 0})
        if doc is None:
            raise DeskError(404, f"student {student_id} not found")
        if request is not None:
            try:
                request.check(doc)
            except KeyReused as error:
                raise DeskError(422, str(error)) from None
        return doc

    async def _write(self, doc: dict[str, Any], update: dict[str, Any], *events: Any,
                     request: DeskRequest | None = None) -> dict[str, Any]:
        """The guarded write; answers the student as written. A keyed request keeps its key and
        its answer in the same write."""
        if request is not None:
            now = datetime.now(UTC)
            after = applied(doc, update) | {"version": doc["version"] + 1}
            update = {**update, "$push": {**update.get("$push", {}),
                                          FIELD: {"$each": [request.kept(after, now)], "$slice": -KEPT}}}
        written = await self.repository.update(doc["_id"], doc["version"], update, *events)
        if written is None:
            if request is not None:  # the same request, sent twice at once, written by the other
                await self._student(doc["_id"], request)
            raise DeskError(409, "the student changed meanwhile; reload and try again")
        return written

    # --- check-in --------------------------------------------------------------------------
    async def check_in(self, student_id: str, body: CheckIn,
                       request: DeskRequest | None = None) -> dict[str, Any]:
        doc = await self._student(student_id, request)
        visit = await self.db["visits"].find_one({"_id": body.visit_id})
        if visit is None:
            raise DeskError(404, f"visit {body.visit_id} is not known (no visit.* event yet)")
        if visit.get("status") in {"cancelled", "completed"}:
            raise DeskError(409, f"visit {body.visit_id} is {visit['status']}")
        if visit["npsn"] != doc["npsn"]:
            raise DeskError(409, "the student is not on this school's roster")
        category = doc["roster"]["category"]
        if doc.get("superseded_by"):
            raise DeskError(409, f"superseded by {doc['superseded_by']} (a corrected roster row)")
        if category == Category.ALREADY_RECORDED:
            raise DeskError(409, "already recorded in the central registry: no new recording")
        if not self._may_record(doc):
            raise DeskError(409, f"not yet eligible: may be recorded from "
                                 f"{doc['roster'].get('eligible_on')}")
        if any(c["visit_id"] == body.visit_id for c in doc.get("checkins", [])):
            return doc  # checked in already: the same answer again
        checkin = {"visit_id": body.visit_id, "unit_id": visit["unit_id"], "by": body.operator_id,
                   "at": datetime.now(UTC)}
        return await self._write(doc, {"$push": {"checkins": checkin}}, request=request)

    def _may_record(self, doc: dict[str, Any]) -> bool:
        birth = datetime.fromisoformat(doc["birth_date"]).date()
        married = MaritalStatus(doc["marital_status"]).ever_married
        return self.settings.policy().may_record(birth, self.settings.current_date(),
                                                 ever_married=married)

    # --- consent ---------------------------------------------------------------------------
    async def give_consent(self, student_id: str, body: ConsentIn,
                           request: DeskRequest | None = None) -> Consent:
        doc = await self._student(student_id, request)
        try:
            consent = accept_consent(Consent(
                consent_id=f"C-{uuid.uuid4().hex[:10]}", guardian_name=body.guardian_name,
                relationship=body.relationship, method=body.method, reference=body.reference,
                given_at=body.given_at, recorded_by=body.operator_id), now=datetime.now(UTC))
        except ValueError as error:
            raise DeskError(422, str(error)) from None
        await self._write(doc, {"$push": {"consents": consent.model_dump(mode="json")}}, request=request)
        return consent

    async def withdraw_consent(self, student_id: str, consent_id: str, body: Withdrawal,
                               request: DeskRequest | None = None) -> Consent:
        doc = await self._student(student_id, request)
        consents = [Consent.model_validate(c) for c in doc.get("consents", [])]
        match = [c for c in consents if c.consent_id == consent_id]
        if not match:
            raise DeskError(404, f"consent {consent_id} not found")
        try:
            withdrawn = match[0].withdraw(by=body.operator_id, at=datetime.now(UTC),
                                          reason=body.reason)
        except ValueError as error:
            raise DeskError(409, str(error)) from None
        consents = [withdrawn if c.consent_id == consent_id else c for c in consents]
        await self._write(doc, {"$set": {"consents": [c.model_dump(mode="json") for c in consents]}},
                          request=request)
        return withdrawn

    # --- corrections -----------------------------------------------------------------------
    async def correct(self, student_id: str, body: Correction,
                      request: DeskRequest | None = None) -> dict[str, Any]:
        doc = await self._student(student_id, request)
        parse = {"name": lambda v: cells.parse_name(v)[0], "birth_place": cells.parse_place,
                 "class_name": cells.parse_free_text, "phone": cells.parse_phone,
                 "guardian_name": lambda v: cells.parse_name(v)[0] if v else None,
                 "guardian_phone": cells.parse_phone,
                 "marital_status": lambda v: cells.parse_marital_status(v).value}[body.field]
        try:
            value = parse(body.value)
        except cells.FieldError as error:
            raise DeskError(422, f"{body.field}: {error}") from None
        old = doc.get(body.field)
        if old == value:
            return doc
        audit = {"field": body.field, "old": old, "new": value, "by": body.operator_id,
                 "at": datetime.now(UTC), "reason": body.reason}
        events = []
        if body.field in {"name", "phone", "guardian_name", "guardian_phone"}:
            changed = {**doc, body.field: value}
            birth = datetime.fromisoformat(doc["birth_date"]).date()
            minor = self.settings.policy().needs_guardian_consent(birth,
                                                                  self.settings.current_date())
            events.append(new_event("enrollment", contact_event(
                student_id, changed, doc["version"] + 1, is_minor=minor), subject=student_id))
        return await self._write(doc, {"$set": {body.field: value}, "$push": {"corrections": audit}},
                                 *events, request=request)

    # --- capture ---------------------------------------------------------------------------
    async def capture(self, student_id: str, body: CaptureIn,
                      request: DeskRequest | None = None) -> tuple[dict[str, Any], list[Any]]:
        """The student as written, and the events written with it (for the relay to publish)."""
        if self.vault is None:
            raise DeskError(503, "no biometric encryption key is configured "
                                 "(JEMPUT_BIOMETRIC_KEYS); capture is disabled")
        doc = await self._student(student_id, request)
        checkin = next((c for c in doc.get("checkins", []) if c["visit_id"] == body.visit_id),
                       None)
        if checkin is None:
            raise DeskError(409, f"the student has not checked in at visit {body.visit_id}")
        current = doc.get("recording", {}).get("status")
        try:
            move(RecordingStatus(current) if current else None, RecordingStatus.CAPTURED)
        except ValueError as error:
            raise DeskError(409, str(error)) from None
        now = datetime.now(UTC)
        birth = datetime.fromisoformat(doc["birth_date"]).date()
        consents = [Consent.model_validate(c) for c in doc.get("consents", [])]
        try:
            consent = consent_for_capture(birth, now, consents, self.settings.policy(),
                                          today=self.settings.current_date())
        except ConsentRequired as error:
            raise DeskError(409, f"capture refused: {error}") from None
        try:
            validate_capture(body.biometrics, self.settings.thresholds())
        except CaptureRejected as error:
            raise DeskError(422, "capture refused: biometrics unusable",
                            [p.model_dump() for p in error.problems]) from None
        if not (doc.get("birth_place") or body.card_details.birth_place):
            raise DeskError(422, "card_details.birth_place: the roster has none; confirm it")
        biometrics = self._seal(student_id, body.biometrics)
        exceptions = [e.model_dump(mode="json") for e in body.biometrics.exceptions]
        number = doc.get("recording", {}).get("number", 0) + 1
        recording = {
            "status": RecordingStatus.CAPTURED.value, "number": number,
            "submission_id": f"{student_id}-{number}",
            "captured_by": body.operator_id, "captured_at": now,
            "visit_id": body.visit_id, "unit_id": checkin["unit_id"],
            "consent_id": consent.consent_id if consent else None,
            "exceptions": exceptions, "exceptions_approved_by": None,
            "submittable": not exceptions, "attempts": 0, "next_attempt_at": now,
        }
        events = []
        if not exceptions:
            events.append(self._recorded_event(doc, recording, now, doc["version"] + 1))
        written = await self._write(doc, {"$set": {"recording": recording, "biometrics": biometrics,
                                                   "card_details": body.card_details.model_dump()}},
                                    *events, request=request)
        return written, events

    def _seal(self, student_id: str, payload: CapturePayload) -> dict[str, Any]:
        assert self.vault is not None
        seal = self.vault.seal

        def sealed(modality: str, data: bytes) -> dict[str, Any]:
            return seal(data, context=f"{student_id}/{modality}").to_document()

        digest = hashlib.sha256(payload.face_photo)
        out: dict[str, Any] = {"face_photo": sealed("face_photo", payload.face_photo),
                               "fingerprints": {}, "irises": {}}
        for f in payload.fingerprints:
            digest.update(f.template)
            out["fingerprints"][f.position] = {"quality": f.quality,
                                               **sealed(f"fingerprint:{f.position}", f.template)}
        for i in payload.irises:
            digest.update(i.template)
            out["irises"][i.eye] = {"quality": i.quality, **sealed(f"iris:{i.eye}", i.template)}
        if payload.signature is not None:
            out["signature"] = sealed("signature", _as_png(payload.signature))
        out["digest"] = "sha256:" + digest.hexdigest()
        return out

    def _recorded_event(self, doc: dict[str, Any], recording: dict[str, Any], at: datetime,
                        version: int) -> Any:
        data = ev.StudentRecorded(
            student_id=doc["_id"], npsn=doc["npsn"], visit_id=recording["visit_id"],
            unit_id=recording["unit_id"], nik_masked=mask_nik(doc["nik"]), recorded_at=at,
            exceptions=len(recording["exceptions"]), version=version)
        return new_event("enrollment", data, subject=doc["_id"])

    # --- supervisor ------------------------------------------------------------------------
    async def approve(self, student_id: str, body: Approval,
                      request: DeskRequest | None = None) -> dict[str, Any]:
        doc = await self._student(student_id, request)
        recording = doc.get("recording")
        if not recording:
            raise DeskError(409, "nothing captured yet")
        state = RecordingState.model_validate(recording)
        try:
            approved = approve_exceptions(
                state, supervisor=body.supervisor_id,
                is_supervisor=body.supervisor_id in self.settings.supervisor_ids(),
                at=datetime.now(UTC))
            check_submittable(approved)
        except ApprovalRefused as error:
            raise DeskError(403, str(error)) from None
        except ValueError as error:  # not submittable (e.g. not in 'captured' any more)
            raise DeskError(409, str(error)) from None
        now = datetime.now(UTC)
        event = self._recorded_event(doc, recording, now, doc["version"] + 1)
        return await self._write(doc, {"$set": {
            "recording.exceptions_approved_by": approved.exceptions_approved_by,
            "recording.exceptions_approved_at": approved.exceptions_approved_at,
            "recording.submittable": True, "recording.next_attempt_at": now}}, event, request=request)


def _as_png(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        if image.format == "PNG":
            return data
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        return buffer.getvalue()


__all__ = ["CORRECTABLE", "STUDENTS", "Approval", "CaptureIn", "CheckIn", "ConsentIn",
           "Correction", "Desk", "DeskError", "Withdrawal"]
