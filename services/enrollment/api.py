"""Operators' HTTP API of the enrollment service."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException

from services.enrollment.handlers import VISITS
from shared.service import Runtime


def build_api(runtime: Runtime) -> FastAPI:
    api = FastAPI(title="Jemput enrollment", version="1.0.0")

    @api.get("/visits/{visit_id}", tags=["visits"])
    async def get_visit(visit_id: str) -> dict[str, Any]:
        """This service's own record of a visit, kept from the scheduling service's events."""
        doc = await runtime.db[VISITS].find_one({"_id": visit_id}, {"applied_events": 0})
        if doc is None:
            raise HTTPException(404, f"visit {visit_id} not known here")
        return {**doc, "visit_id": doc.pop("_id")}

    return api
