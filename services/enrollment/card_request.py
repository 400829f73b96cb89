"""Building `card.requested` (restricted) for a print-ready student, and deciding when."""

from __future__ import annotations

import base64
import uuid
from datetime import date, datetime
from typing import Any

from shared.events import models as ev
from shared.events import new_event

from .adapters.biometric_vault import BiometricVault
from .domain.cells import MaritalStatus
from .domain.eligibility import AgePolicy
from .domain.print_request import PrintDecision, decide_print
from .domain.status import RecordingStatus

_SEX = {"L": "LAKI-LAKI", "P": "PEREMPUAN"}


def print_decision(doc: dict[str, Any], today: date, policy: AgePolicy) -> PrintDecision:
    return decide_print(
        RecordingStatus.PRINT_READY, date.fromisoformat(doc["birth_date"]),
        ever_married=MaritalStatus(doc["marital_status"]).ever_married, today=today,
        policy=policy)


def card_requested(doc: dict[str, Any], vault: BiometricVault, *, issue_place: str,
                   version: int) -> tuple[str, Any]:
    """The event, with the photo and signature opened from the vault for printing only."""
    student_id = doc["_id"]
    details = doc["card_details"]
    biometrics = doc["biometrics"]
    photo = vault.open(biometrics["face_photo"], context=f"{student_id}/face_photo")
    signature = None
    if biometrics.get("signature"):
        signature = base64.b64encode(
            vault.open(biometrics["signature"], context=f"{student_id}/signature")).decode()
    card = ev.CardFields(
        nik=doc["nik"], name=doc["name"].upper(),
        birth_place=(doc.get("birth_place") or details.get("birth_place") or "").upper(),
        birth_date=date.fromisoformat(doc["birth_date"]), sex=_SEX[doc["sex"]],
        blood_type=details.get("blood_type", "-"), address=ev.CardAddress(**details["address"]),
        religion=details["religion"].upper(), marital_status=doc["marital_status"])
    request_id = f"CR-{uuid.uuid4().hex[:12]}"
    data = ev.CardRequested(
        request_id=request_id, student_id=student_id, npsn=doc["npsn"],
        visit_id=doc["recording"].get("visit_id"), unit_id=doc["recording"]["unit_id"],
        card=card, issue_place=issue_place, photo_jpeg_b64=base64.b64encode(photo).decode(),
        signature_png_b64=signature, version=version)
    return request_id, new_event("enrollment", data, subject=student_id)


def requested_state(request_id: str, decision: PrintDecision, at: datetime) -> dict[str, Any]:
    return {"state": "requested", "request_id": request_id, "requested_at": at,
            "due_on": decision.due_on.isoformat(), "reason": decision.reason}


def deferred_state(decision: PrintDecision) -> dict[str, Any]:
    return {"state": "deferred", "due_on": decision.due_on.isoformat(), "reason": decision.reason}
