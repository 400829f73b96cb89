"""Operators' HTTP API of the scheduling service."""

from __future__ import annotations

import datetime as dt

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

from services.scheduling.adapters.visit_repository import VisitRepository
from shared.events.models import NPSN, Clock
from shared.service import Runtime


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


def build_api(runtime: Runtime) -> FastAPI:
    api = FastAPI(title="Jemput scheduling", version="1.0.0")
    visits = VisitRepository(runtime)

    @api.post("/visits", status_code=201, response_model=VisitOut, tags=["visits"])
    async def create_visit(visit: VisitIn) -> dict:
        """Schedule one visit; ``visit.scheduled`` is published through the outbox."""
        return _out(await visits.schedule(visit.model_dump()))

    @api.get("/visits/{visit_id}", response_model=VisitOut, tags=["visits"])
    async def get_visit(visit_id: str) -> dict:
        doc = await visits.get(visit_id)
        if doc is None:
            raise HTTPException(404, f"visit {visit_id} not found")
        return _out(doc)

    return api


def _out(doc: dict) -> dict:
    return {**doc, "visit_id": doc["_id"]}
