"""The operators' API documents itself."""

from __future__ import annotations


from shared.testing import api_client, running_service

from .test_scheduling_service import settings


async def test_openapi_lists_the_operator_routes(settings_for):
    async with running_service("scheduling", settings(settings_for, "2027-05-04")) as svc:
        async with api_client(svc.url) as http:
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


async def test_a_visit_by_hand_respects_the_unit(settings_for):
    visit = {"npsn": "20612345", "school_name": "SMAN 99 Contoh", "kecamatan": "Balaraja", "unit_id": "TGR-1",
             "date": "2027-05-05", "expected_students": 120}
    async with running_service("scheduling", settings(settings_for, "2027-05-04")) as svc:
        async with api_client(svc.url) as http:
            await http.put("/units/TGR-1", json={"unit_id": "TGR-1", "name": "Unit 1", "recording_capacity": 100,
                                                 "printing_capacity": 100})
            too_many = await http.post("/visits", json=visit)
            assert too_many.status_code == 422 and "records 100 a day" in too_many.json()["detail"]
            first = await http.post("/visits", json={**visit, "expected_students": 90})
            assert first.status_code == 201
            clash = await http.post("/visits", json={**visit, "expected_students": 10})
            assert clash.status_code == 409 and "already has a visit" in clash.json()["detail"]
            await http.post(f"/visits/{first.json()['visit_id']}/cancel", json={"reason": "dipindah"})
            assert (await http.post("/visits", json={**visit, "expected_students": 10})).status_code == 201
