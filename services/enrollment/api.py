"""Operators' HTTP API of the enrollment service (OpenAPI at /docs of the service)."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Header, HTTPException, Query, Request, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from shared.audit import AuditLog, audit_router
from shared.auth import OFFICE, READERS, SUPERVISION, Principal, requires
from shared.service import Runtime

from .adapters.central_registry import RegistryUnavailable
from .adapters.student_repository import STUDENTS
from .desk import DeskError
from .desk_idempotency import HEADER, KEY_PATTERN, DeskRequest, Replayed
from .desk_requests import Approval, CaptureIn, CheckIn, ConsentIn, Correction, Withdrawal
from .domain.nik import mask_nik
from .domain.roster import Category, RosterFormatError
from .roster_service import import_roster_file
from .runtime_state import EnrollmentState, state_of


UNAVAILABLE = ("the central registry did not answer the 'already recorded' lookup; rows "
               "verified so far are kept, import the file again later")


IdempotencyKey = Annotated[str | None, Header(
    alias=HEADER, pattern=KEY_PATTERN,
    description="A key the desk makes for each new write request (a UUID) and sends again with "
                "the same request when its answer was lost: the request is then answered as the "
                "first time (same status and body) and changes nothing twice. The same key with "
                "another request is refused with 422. Without the key a request sent again is "
                "a new request (a capture already taken is refused with 409).")]


class NisnLookup(BaseModel):
    nisn: str = Field(pattern=r"^\d{10}$")


class StudentView(BaseModel):
    """What an operator sees: no biometrics, the NIK masked."""

    student_id: str
    nik_masked: str
    nisn: str
    name: str
    npsn: str
    class_name: str | None
    birth_date: date
    sex: str
    marital_status: str
    roster_category: str
    eligible_on: date | None
    superseded_by: str | None
    checked_in_at: list[str]
    consents: list[dict[str, Any]]
    corrections: list[dict[str, Any]]
    recording_status: str | None
    exceptions: list[dict[str, Any]]
    exceptions_approved_by: str | None
    registry_answer: dict[str, Any] | None
    print_request: dict[str, Any] | None
    version: int


def view(doc: dict[str, Any]) -> StudentView:
    recording = doc.get("recording") or {}
    return StudentView(
        student_id=doc["_id"], nik_masked=mask_nik(doc["nik"]), nisn=doc["nisn"],
        name=doc["name"], npsn=doc["npsn"], class_name=doc.get("class_name"),
        birth_date=doc["birth_date"], sex=doc["sex"], marital_status=doc["marital_status"],
        roster_category=doc["roster"]["category"], eligible_on=doc["roster"].get("eligible_on"),
        superseded_by=doc.get("superseded_by"),
        checked_in_at=[c["visit_id"] for c in doc.get("checkins", [])],
        consents=doc.get("consents", []), corrections=doc.get("corrections", []),
        recording_status=recording.get("status"), exceptions=recording.get("exceptions", []),
        exceptions_approved_by=recording.get("exceptions_approved_by"),
        registry_answer=recording.get("answer"), print_request=doc.get("print_request"),
        version=doc["version"])


def build_api(runtime: Runtime) -> FastAPI:
    api = FastAPI(title="Jemput enrollment", version="1.0.0",
                  description="Rosters and verification, consent, recording, central registry, "
                              "print requests.")

    def st() -> EnrollmentState:
        return state_of(runtime)

    def audit() -> AuditLog:
        return AuditLog(runtime.db, runtime.service)

    async def desk_call(coro) -> Any:  # type: ignore[no-untyped-def]
        try:
            return await coro
        except DeskError as error:
            raise HTTPException(error.status, {"message": str(error),
                                               "problems": error.problems}) from None

    async def replayed(request: Request, answer: Exception) -> JSONResponse:
        """A keyed request answered before: that answer again (the route's work is skipped:
        nothing written, published or audited twice)."""
        assert isinstance(answer, Replayed)
        return JSONResponse(answer.body, answer.status, headers={"Idempotency-Replayed": "true"})

    api.add_exception_handler(Replayed, replayed)

    def keyed(request: DeskRequest | None, otherwise: Any) -> Any:
        """The answer kept with a keyed write (the one a request sent again gets), else
        ``otherwise``: the route's usual answer."""
        if request is None or request.answer is None:
            return otherwise
        return JSONResponse(request.answer, request.status)

    def student_answer(doc: dict[str, Any]) -> Any:
        return view(doc).model_dump(mode="json")

    def consent_answer(consent_id: str):  # type: ignore[no-untyped-def]
        return lambda doc: next(c for c in doc["consents"] if c["consent_id"] == consent_id)

    @api.post("/rosters", tags=["rosters"], dependencies=[requires(*OFFICE)])
    async def import_roster(file: UploadFile,
                            stream: bool = Query(False, description="NDJSON progress lines")):
        """Import a roster (CSV or XLSX): verify every row, store the valid ones, answer the
        per-school report. With `stream=true` the answer is NDJSON: progress lines, then
        the report."""
        name = Path(file.filename or "roster").name
        directory = tempfile.mkdtemp(prefix="roster-")
        path = Path(directory) / name
        with path.open("wb") as out:
            shutil.copyfileobj(file.file, out, 1 << 20)

        async def run(on_progress=None) -> dict[str, Any]:  # type: ignore[no-untyped-def]
            state = st()
            try:
                roster_id, report = await import_roster_file(
                    path, source=name, db=runtime.db, repository=state.repository,
                    registry=state.gateway, settings=state.settings, on_progress=on_progress,
                    after_write=runtime.relay.after_write,
                    students_written=lambda ids: runtime.relay.flush_soon(STUDENTS, *ids))
            finally:
                shutil.rmtree(directory, ignore_errors=True)
            return {"roster_id": roster_id, **report.model_dump(mode="json")}

        if not stream:
            try:
                return await run()
            except RosterFormatError as error:
                raise HTTPException(422, {"message": f"{name}: {error}", "problems": []}) from None
            except RegistryUnavailable:
                raise HTTPException(503, {"message": UNAVAILABLE, "problems": []}) from None

        async def lines() -> AsyncIterator[bytes]:
            import asyncio

            queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

            async def progress(rows: int, fraction: float) -> None:
                await queue.put({"rows": rows, "progress": round(fraction, 4)})

            async def work() -> None:
                try:
                    await queue.put({"report": await run(progress)})
                except RosterFormatError as error:
                    await queue.put({"error": f"{name}: {error}"})
                except RegistryUnavailable:
                    await queue.put({"error": UNAVAILABLE})
                except Exception as error:  # reported to the client, not swallowed
                    await queue.put({"error": f"import failed: {type(error).__name__}"})
                    raise

            task = asyncio.create_task(work())
            while True:
                item = await queue.get()
                yield (json.dumps(item) + "\n").encode()
                if "report" in item or "error" in item:
                    break
            await asyncio.gather(task, return_exceptions=True)

        return StreamingResponse(lines(), media_type="application/x-ndjson")

    @api.get("/rosters/{roster_id}", tags=["rosters"], dependencies=[requires(*READERS)])
    async def roster_report(roster_id: str) -> dict[str, Any]:
        doc = await st().repository.roster(roster_id)
        if doc is None:
            raise HTTPException(404, f"roster {roster_id} not found")
        return {"roster_id": roster_id, "imported_at": doc["imported_at"], **doc["report"]}

    @api.get("/visits/{visit_id}/students", response_model=list[StudentView], tags=["visits"],
             dependencies=[requires(*OFFICE)])
    async def visit_list(visit_id: str) -> list[StudentView]:
        """The students a visit may record: the school's roster, ready to record."""
        visit = await runtime.db["visits"].find_one({"_id": visit_id})
        if visit is None:
            raise HTTPException(404, f"visit {visit_id} is not known")
        docs = await st().repository.of_school(
            visit["npsn"], [Category.READY_TO_RECORD, Category.NOT_YET_ELIGIBLE])
        return [view(d) for d in docs]

    @api.post("/students/lookup", response_model=StudentView, tags=["students"],
              dependencies=[requires(*OFFICE)])
    async def student_by_nisn(body: NisnLookup) -> StudentView:
        """Find a student by NISN (in the body, so it stays out of access logs)."""
        nisn = body.nisn
        doc = await runtime.db[STUDENTS].find_one(
            {"nisn": nisn, "superseded_by": {"$exists": False}}, {"outbox": 0, "biometrics": 0})
        if doc is None:
            raise HTTPException(404, "no student with this NISN")
        return view(doc)

    @api.get("/students/{student_id}", response_model=StudentView, tags=["students"],
             dependencies=[requires(*OFFICE)])
    async def student(student_id: str) -> StudentView:
        doc = await st().repository.get(student_id, {"outbox": 0, "biometrics": 0})
        if doc is None:
            raise HTTPException(404, f"student {student_id} not found")
        return view(doc)

    @api.post("/students/{student_id}/check-ins", response_model=StudentView, tags=["desk"],
              dependencies=[requires(*OFFICE)])
    async def check_in(student_id: str, body: CheckIn, idempotency_key: IdempotencyKey = None) -> StudentView:
        request = DeskRequest.of(idempotency_key, "check-in", student_id, body, student_answer)
        doc = await desk_call(st().desk.check_in(student_id, body, request))
        return keyed(request, view(doc))

    @api.post("/students/{student_id}/consents", status_code=201, tags=["desk"])
    async def give_consent(student_id: str, body: ConsentIn, who: Principal = requires(*OFFICE),
                           idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
        request = DeskRequest.of(idempotency_key, "consent", student_id, body,
                                 lambda doc: doc["consents"][-1], status=201)
        consent = await desk_call(st().desk.give_consent(student_id, body, request))
        await audit().record(who, "consent.recorded", student_id,
                             {"consent_id": consent.consent_id, "method": consent.method.value,
                              "operator_id": body.operator_id})
        return keyed(request, consent.model_dump(mode="json"))

    @api.post("/students/{student_id}/consents/{consent_id}/withdrawal", tags=["desk"])
    async def withdraw_consent(student_id: str, consent_id: str, body: Withdrawal,
                               who: Principal = requires(*OFFICE),
                               idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
        request = DeskRequest.of(idempotency_key, "consent-withdrawal", f"{student_id}/{consent_id}", body,
                                 consent_answer(consent_id))
        consent = await desk_call(st().desk.withdraw_consent(student_id, consent_id, body, request))
        await audit().record(who, "consent.withdrawn", student_id,
                             {"consent_id": consent_id, "operator_id": body.operator_id,
                              "reason": body.reason})
        return keyed(request, consent.model_dump(mode="json"))

    @api.post("/students/{student_id}/corrections", response_model=StudentView, tags=["desk"])
    async def correct(student_id: str, body: Correction, who: Principal = requires(*OFFICE),
                      idempotency_key: IdempotencyKey = None) -> StudentView:
        """Correct biodata at the desk; every correction is kept (who, what, when, why) and
        audited (the field and the reason, not the values)."""
        request = DeskRequest.of(idempotency_key, "correction", student_id, body, student_answer)
        doc = await desk_call(st().desk.correct(student_id, body, request))
        await audit().record(who, "biodata.corrected", student_id,
                             {"field": body.field, "reason": body.reason, "operator_id": body.operator_id})
        return keyed(request, view(doc))

    @api.post("/students/{student_id}/capture", response_model=StudentView, tags=["desk"],
              dependencies=[requires(*OFFICE)])
    async def capture(student_id: str, body: CaptureIn, idempotency_key: IdempotencyKey = None) -> StudentView:
        """Biometric capture (face, ten fingerprints, two irises, signature). Refused without
        a guardian's consent for a minor, or when a biometric is unusable."""
        request = DeskRequest.of(idempotency_key, "capture", student_id, body, student_answer)
        doc, events = await desk_call(st().desk.capture(student_id, body, request))
        st().worker.wakeup.set()
        if events:  # published as written, without reading them back
            await runtime.relay.publish_written(STUDENTS, student_id, events)
        return keyed(request, view(doc))

    @api.post("/students/{student_id}/exceptions/approval", response_model=StudentView,
              tags=["desk"])
    async def approve(student_id: str, body: Approval, who: Principal = requires(*SUPERVISION),
                      idempotency_key: IdempotencyKey = None) -> StudentView:
        """A supervisor approves the biometric exceptions of a capture (audited)."""
        request = DeskRequest.of(idempotency_key, "exceptions-approval", student_id, body, student_answer)
        doc = await desk_call(st().desk.approve(student_id, body, request))
        await audit().record(who, "exceptions.approved", student_id, {
            "supervisor_id": body.supervisor_id,
            "exceptions": [f"{e.get('modality')}:{e.get('reason')}"
                           for e in (doc.get("recording") or {}).get("exceptions", [])]})
        st().worker.wakeup.set()
        await runtime.relay.after_write(STUDENTS, student_id)
        return keyed(request, view(doc))

    api.include_router(audit_router(audit))
    return api
