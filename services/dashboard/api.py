"""The operations page (HTML), the same figures as JSON, and the page's own stylesheet.

Everything the page needs is served from this package: no CDN, no script; the per-day chart is
inline SVG drawn on the server and the page reloads itself every ``DASHBOARD_REFRESH_S`` seconds.
"""

from __future__ import annotations

import datetime as dt
from datetime import UTC
from importlib import resources
from typing import Annotated

from fastapi import FastAPI, HTTPException, Query
from fastapi.responses import HTMLResponse, Response

from shared.auth import READERS, Role, browser_login_router, requires
from shared.service import Runtime

from .adapters.projections import ProjectionStore
from .adapters.queues import QueueDepths
from .domain.overview import Overview, SchoolProgress, build_overview
from .handlers import settings_of, store_of
from .web.page import render_page

STATIC = {"dashboard.css": "text/css; charset=utf-8"}

Since = Annotated[dt.date | None, Query(description="upcoming visits from this day on (default: every open visit)")]


def build_api(rt: Runtime) -> FastAPI:
    api = FastAPI(title="Jemput dashboard", version="1.0.0",
                  description="Operations figures built from public events only (jemput.events).")

    async def overview(since: dt.date | None) -> Overview:
        settings = settings_of(rt)
        store: ProjectionStore = store_of(rt)
        queues: QueueDepths = rt.state["queues"]
        return build_overview(await store.read(), await queues.read(), now=dt.datetime.now(UTC),
                              timezone=settings.timezone, since=since, upcoming_limit=settings.upcoming_limit)

    @api.get("/api/overview", response_model=Overview, summary="Every figure of the operations page",
             dependencies=[requires(*READERS)])
    async def overview_json(since: Since = None) -> Overview:
        return await overview(since)

    @api.get("/api/schools/{npsn}", response_model=SchoolProgress, summary="One school's progress",
             dependencies=[requires(*READERS, Role.SCHOOL)])
    async def school_progress(npsn: str) -> SchoolProgress:
        """What a school account may see: its own school's row of the operations page."""
        for school in (await overview(None)).schools:
            if school.npsn == npsn:
                return school
        raise HTTPException(404, f"school {npsn} is not in the programme")

    @api.get("/", response_class=HTMLResponse, summary="The operations page",
             dependencies=[requires(*READERS)])
    async def page(since: Since = None) -> HTMLResponse:
        return HTMLResponse(render_page(await overview(since), refresh_s=settings_of(rt).refresh_s))

    api.include_router(browser_login_router())

    @api.get("/static/{name}", include_in_schema=False)
    async def static(name: str) -> Response:
        if name not in STATIC:
            raise HTTPException(404, f"no static file {name!r}")
        body = resources.files("services.dashboard.web").joinpath("static", name).read_bytes()
        return Response(body, media_type=STATIC[name], headers={"cache-control": "max-age=300"})

    return api
