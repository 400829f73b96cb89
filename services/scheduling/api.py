"""Operators' HTTP API of the scheduling service (OpenAPI at /docs and /openapi.json)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import FastAPI, File, HTTPException, Query, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from shared.audit import AuditLog, audit_router, token_issuance_router
from shared.auth import OFFICE, READERS, SUPERVISION, Principal, Role, own_school, requires
from shared.events.models import NPSN, Clock
from shared.service import Runtime

from .adapters.lease import LeaseBusy
from .adapters.programme_repository import NotFound, SchoolExists
from .adapters.school_file import import_schools
from .adapters.visit_repository import ConcurrentChange, VisitRepository
from .domain.closure import Closure, ClosureReason
from .domain.planner import PlanningError
from .domain.replan import ReplanResult
from .domain.school import School
from .domain.school_import import ImportFileError, RowError
from .domain.unit import MobileUnit, Unavailability
from .domain.visit import InvalidTransition
from .domain.visit_plan import Plan
from .programme import Programme


class VisitIn(BaseModel):
    npsn: NPSN
    school_name: str = Field(min_length=1)
    kecamatan: str = Field(min_length=1)
    unit_id: str = Field(min_length=1)
    date: dt.date
    session_start: Clock = "08:00"
    session_end: Clock = "14:00"
    expected_students: int = Field(ge=0)
    plan_id: str | None = None


class VisitOut(VisitIn):
    visit_id: str
    status: str
    version: int
    session: str | None = None
    recorded: int | None = None
    absent: int | None = None
    cancel_reason: str | None = None
    catch_up_of: str | None = None


class PlanRequest(BaseModel):
    start: dt.date = Field(description="first day of the programme (Asia/Jakarta), after today")


class CommitOut(BaseModel):
    plan: Plan
    replaced_visits: int


class CompleteIn(BaseModel):
    recorded: int = Field(ge=0)
    absent: int = Field(ge=0)


class CompleteOut(BaseModel):
    visit: VisitOut
    catch_up: list[VisitOut]


class CancelIn(BaseModel):
    reason: str = Field(min_length=1, max_length=200)


class ClosureIn(BaseModel):
    start: dt.date
    end: dt.date
    reason: ClosureReason = ClosureReason.OTHER
    note: str = Field("", max_length=200)
    kecamatan: str | None = None


class ImportOut(BaseModel):
    rows_read: int
    registered: int
    updated: int
    unchanged: int
    errors: list[RowError]


class ChangeOut(BaseModel):
    """What a change did to the committed visits."""

    moved: list[dict[str, Any]]
    dropped: list[dict[str, Any]]
    resized: list[dict[str, Any]]
    added: list[dict[str, Any]]
    unplaced: dict[str, int]


def build_api(runtime: Runtime) -> FastAPI:
    api = FastAPI(title="Jemput scheduling", version="1.0.0",
                  description="Schools, mobile units, closures, visit plans and the visit lifecycle.")
    visits = VisitRepository(runtime)
    programme = Programme(runtime)
    repo = programme.repo

    @api.exception_handler(NotFound)
    async def _not_found(_, exc: NotFound) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @api.exception_handler(InvalidTransition)
    async def _conflict(_, exc: InvalidTransition) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @api.exception_handler(LeaseBusy)
    async def _busy(_, exc: LeaseBusy) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": "5"})

    @api.exception_handler(ConcurrentChange)
    async def _concurrent(_, exc: ConcurrentChange) -> JSONResponse:
        return JSONResponse({"detail": f"{exc}; read it again and retry"}, status_code=409)

    # --- schools -----------------------------------------------------------------------------
    @api.post("/schools", status_code=201, tags=["schools"], dependencies=[requires(*SUPERVISION)])
    async def register_school(school: School) -> dict:
        """Register a school; publishes ``school.registered``."""
        try:
            return _school_out(await repo.register_school(school))
        except SchoolExists as exc:
            raise HTTPException(409, str(exc)) from None

    @api.put("/schools/{npsn}", tags=["schools"], dependencies=[requires(*SUPERVISION)])
    async def update_school(npsn: str, school: School) -> dict:
        """Change a school; publishes ``school.updated`` when something changed."""
        if school.npsn != npsn:
            raise HTTPException(422, "the NPSN in the path and the body differ")
        doc, _ = await repo.update_school(school)
        return _school_out(doc)

    @api.get("/schools", tags=["schools"], dependencies=[requires(*READERS)])
    async def list_schools() -> list[dict]:
        return [_school_out(d) for d in await repo.list_schools()]

    @api.get("/schools/{npsn}", tags=["schools"], dependencies=[requires(*READERS, Role.SCHOOL)])
    async def get_school(npsn: str) -> dict:
        doc = await repo.get_school(npsn)
        if doc is None:
            raise HTTPException(404, f"school {npsn} is not registered")
        return _school_out(doc)

    @api.post("/schools/import", response_model=ImportOut, tags=["schools"], dependencies=[requires(*OFFICE)])
    async def import_school_file(file: UploadFile = File(description="CSV (comma or semicolon) or XLSX")) -> dict:
        """Register or update every valid row; every invalid one is reported (row, field, reason)."""
        content = await file.read()
        try:
            result = import_schools(file.filename or "", content)
        except ImportFileError as exc:
            raise HTTPException(422, str(exc)) from None
        registered = updated = unchanged = 0
        for school in result.schools:
            try:
                await repo.register_school(school)
                registered += 1
            except SchoolExists:
                _, changed = await repo.update_school(school)
                updated += changed
                unchanged += not changed
        return {"rows_read": result.rows_read, "registered": registered, "updated": updated,
                "unchanged": unchanged, "errors": result.errors}

    @api.post("/schools/{npsn}/closures", status_code=201, response_model=ChangeOut, tags=["closures"],
              dependencies=[requires(*SUPERVISION)])
    async def close_school(npsn: str, closure: ClosureIn) -> dict:
        """Close a school (exams, school events) and move its visits out of the closure."""
        c = _closure(closure, npsn=npsn)
        await repo.add_closure(c)
        return _change(await programme.replan(f"school {npsn} closed {c.start}..{c.end} ({c.reason.value})"))

    # --- units and regional closures ----------------------------------------------------------
    @api.put("/units/{unit_id}", tags=["units"], dependencies=[requires(*SUPERVISION)])
    async def put_unit(unit_id: str, unit: MobileUnit) -> dict:
        """Register or change a unit; a change (capacity, working days, unavailability)
        re-plans the committed visits, and the answer says what moved."""
        if unit.unit_id != unit_id:
            raise HTTPException(422, "the unit id in the path and the body differ")
        before = await repo.units.find_one({"_id": unit_id})
        doc = await repo.put_unit(unit)
        change = None
        if before is not None and {k: v for k, v in before.items() if k != "_id"} != doc:
            change = _change(await programme.replan(f"unit {unit_id} changed"))
        return {**doc, "change": change}

    @api.get("/units", tags=["units"], dependencies=[requires(*READERS)])
    async def list_units() -> list[dict]:
        return [{**d, "unit_id": d.pop("_id")} for d in await repo.list_units()]

    @api.post("/units/{unit_id}/unavailability", status_code=201, response_model=ChangeOut, tags=["units"],
              dependencies=[requires(*SUPERVISION)])
    async def unit_unavailable(unit_id: str, period: Unavailability) -> dict:
        """Mark a unit unavailable; its future visits in that period move."""
        await repo.add_unavailability(unit_id, period)
        return _change(await programme.replan(
            f"unit {unit_id} unavailable {period.start}..{period.end}" + (f" ({period.reason})" if period.reason else "")))

    @api.post("/closures", status_code=201, response_model=ChangeOut, tags=["closures"],
              dependencies=[requires(*SUPERVISION)])
    async def regional_closure(closure: ClosureIn) -> dict:
        """Close the whole area (or one kecamatan) on some days; affected visits move."""
        c = _closure(closure)
        await repo.add_closure(c)
        where = f"kecamatan {c.kecamatan}" if c.kecamatan else "area"
        return _change(await programme.replan(f"{where} closed {c.start}..{c.end} ({c.note or c.reason.value})"))

    @api.get("/closures", tags=["closures"], dependencies=[requires(*READERS)])
    async def list_closures() -> list[dict]:
        return [{**d, "closure_id": d.pop("_id")} for d in await repo.list_closures()]

    # --- plans -------------------------------------------------------------------------------
    @api.post("/plans/preview", response_model=Plan, tags=["plans"], dependencies=[requires(*SUPERVISION)])
    async def preview_plan(request: PlanRequest) -> Plan:
        """Dry run: the plan for the current schools, units and calendar; nothing is written."""
        try:
            return await programme.preview(request.start)
        except (PlanningError, ValueError) as exc:
            raise HTTPException(422, str(exc)) from None

    @api.post("/plans", status_code=201, response_model=CommitOut, tags=["plans"],
              dependencies=[requires(*SUPERVISION)])
    async def commit_plan(request: PlanRequest) -> dict:
        """Plan and commit: visits written and ``visit.scheduled`` published for each; future
        scheduled visits of an earlier plan are cancelled (``visit.cancelled``)."""
        try:
            plan, replaced = await programme.commit(request.start)
        except (PlanningError, ValueError) as exc:
            raise HTTPException(422, str(exc)) from None
        return {"plan": plan, "replaced_visits": replaced}

    @api.get("/plans", tags=["plans"], dependencies=[requires(*READERS)])
    async def list_plans() -> list[dict]:
        """Committed plans, newest first: start, finish, makespan beside its lower bound."""
        docs = await repo.plans.find({}).sort("committed_at", -1).to_list(100)
        return [{**d, "plan_id": d.pop("_id")} for d in docs]

    # --- visits ------------------------------------------------------------------------------
    @api.post("/visits", status_code=201, response_model=VisitOut, tags=["visits"],
              dependencies=[requires(*SUPERVISION)])
    async def create_visit(visit: VisitIn) -> dict:
        """Schedule one visit by hand (a whole unit day); ``visit.scheduled`` is published
        through the outbox. Refused when the unit already has a visit that day or the day
        holds more students than the unit records."""
        same_day = [v for v in await visits.find(day=visit.date, unit_id=visit.unit_id) if v["status"] != "cancelled"]
        if same_day:
            raise HTTPException(409, f"unit {visit.unit_id} already has a visit on {visit.date}")
        unit = await repo.units.find_one({"_id": visit.unit_id})
        if unit is not None and visit.expected_students > unit["recording_capacity"]:
            raise HTTPException(422, f"unit {visit.unit_id} records {unit['recording_capacity']} a day, "
                                     f"not {visit.expected_students}")
        return _out(await visits.schedule(visit.model_dump()))

    @api.get("/visits", response_model=list[VisitOut], tags=["visits"])
    async def list_visits(
        date: dt.date | None = Query(None), unit_id: str | None = Query(None), npsn: str | None = Query(None),
        status: str | None = Query(None, pattern="^(scheduled|started|completed|cancelled)$"),
        who: Principal = requires(*READERS, Role.SCHOOL),
    ) -> list[dict]:
        """Visits by date, unit, school and status, in date and session order (a school account:
        its own school's)."""
        npsn = own_school(who, npsn)
        return [_out(d) for d in await visits.find(day=date, unit_id=unit_id, npsn=npsn, status=status)]

    @api.get("/visits/{visit_id}", response_model=VisitOut, tags=["visits"])
    async def get_visit(visit_id: str, who: Principal = requires(*READERS, Role.SCHOOL)) -> dict:
        doc = await visits.get(visit_id)
        if doc is None:
            raise HTTPException(404, f"visit {visit_id} not found")
        own_school(who, doc["npsn"])
        return _out(doc)

    @api.post("/visits/{visit_id}/start", response_model=VisitOut, tags=["visits"], dependencies=[requires(*OFFICE)])
    async def start_visit(visit_id: str) -> dict:
        await programme.start_visit(visit_id)
        return _out(await visits.get(visit_id))

    @api.post("/visits/{visit_id}/complete", response_model=CompleteOut, tags=["visits"],
              dependencies=[requires(*OFFICE)])
    async def complete_visit(visit_id: str, body: CompleteIn) -> dict:
        """Complete with counts; a catch-up visit is planned when too many are left over."""
        _, extra = await programme.complete_visit(visit_id, body.recorded, body.absent)
        return {"visit": _out(await visits.get(visit_id)),
                "catch_up": [_out(await visits.get(v.visit_id)) for v in extra]}

    @api.post("/visits/{visit_id}/cancel", response_model=VisitOut, tags=["visits"],
              dependencies=[requires(*SUPERVISION)])
    async def cancel_visit(visit_id: str, body: CancelIn) -> dict:
        await programme.cancel_visit(visit_id, body.reason)
        return _out(await visits.get(visit_id))

    def audit() -> AuditLog:
        return AuditLog(runtime.db, runtime.service)

    api.include_router(audit_router(audit))
    api.include_router(token_issuance_router(audit))
    return api


def _out(doc: dict) -> dict:
    return {**doc, "visit_id": doc["_id"]}


def _school_out(doc: dict) -> dict:
    out = {k: v for k, v in doc.items() if k not in ("_id", "outbox", "applied_events")}
    out["npsn"] = doc["_id"]
    return out


def _closure(body: ClosureIn, npsn: str | None = None) -> Closure:
    try:
        return Closure(start=body.start, end=body.end, reason=body.reason, note=body.note,
                       npsn=npsn, kecamatan=None if npsn else body.kecamatan)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None


def _change(result: ReplanResult) -> dict:
    def visit(v) -> dict:
        return {"visit_id": v.visit_id, "npsn": v.npsn, "unit_id": v.unit_id, "date": v.date,
                "expected_students": v.expected_students}

    return {
        "moved": [{**visit(m.visit), "previous_date": m.previous_date, "previous_unit_id": m.previous_unit_id,
                   "reason": m.reason} for m in result.moved],
        "dropped": [{**visit(d.visit), "reason": d.visit.cancel_reason} for d in result.dropped],
        "resized": [{**visit(r.visit), "previous_expected": r.previous_expected} for r in result.resized],
        "added": [visit(v) for v in result.added],
        "unplaced": result.unplaced,
    }
