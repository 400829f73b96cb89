"""The operators' API documents itself."""

from __future__ import annotations

import httpx

from shared.testing import running_service

from .test_scheduling_service import settings


async def test_openapi_lists_the_operator_routes(settings_for):
    async with running_service("scheduling", settings(settings_for, "2027-05-04")) as svc:
        async with httpx.AsyncClient(base_url=svc.url) as http:
            doc = (await http.get("/openapi.json")).json()
    paths = doc["paths"]
    for path, method in [("/schools", "post"), ("/schools/import", "post"), ("/schools/{npsn}", "put"),
                         ("/schools/{npsn}/closures", "post"), ("/units/{unit_id}", "put"),
                         ("/units/{unit_id}/unavailability", "post"), ("/closures", "post"),
                         ("/plans/preview", "post"), ("/plans", "post"), ("/visits", "get"),
                         ("/visits/{visit_id}/start", "post"), ("/visits/{visit_id}/complete", "post"),
                         ("/visits/{visit_id}/cancel", "post")]:
        assert method in paths[path], (path, method)
    plan = doc["components"]["schemas"]["Plan"]["properties"]
    assert {"lower_bound_days", "makespan_days", "visits"} <= set(plan)
