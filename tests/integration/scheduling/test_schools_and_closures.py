"""Schools registered and changed over HTTP, school closures re-planning, a roster counted
before its school is registered, and a plan committed twice."""

from __future__ import annotations

import asyncio


from shared.testing import EventTap, api_client, running_service

from .tapping import distinct

from .test_scheduling_service import UNIT, _publish, _roster, settings

SCHOOL = {"npsn": "20697001", "name": "SMAN 7 Contoh", "kind": "SMA", "ownership": "negeri",
          "kecamatan": "Curug", "address": "Jl. Contoh 7", "ready_students": 260,
          "coordinates": {"lat": -6.25, "lon": 106.55},
          "contact": {"name": "Tata Usaha", "office_phone": "021-5550007", "email": "tu@sman7.sch.id"}}


async def test_school_register_update_closure_and_recommit(settings_for, rabbit_url, topology):
    async with running_service("scheduling", settings(settings_for, "2027-05-04")):
        pass
    async with EventTap(rabbit_url, topology.exchange_name("events")) as tap:
        async with running_service("scheduling", settings(settings_for, "2027-05-04")) as svc:
            async with api_client(svc.url) as http:
                created = await http.post("/schools", json=SCHOOL)
                assert created.status_code == 201, created.text
                assert (await http.post("/schools", json=SCHOOL)).status_code == 409
                bad = await http.post("/schools", json={**SCHOOL, "npsn": "123"})
                assert bad.status_code == 422
                [registered] = await distinct(tap, "school.registered")
                data = registered["body"]["data"]
                assert data["contact"]["email"] == "tu@sman7.sch.id" and data["latitude"] == -6.25
                assert "ready_students" not in data  # counts are scheduling's own business

                same = await http.put("/schools/20697001", json=SCHOOL)
                assert same.status_code == 200 and same.json()["version"] == 1  # nothing changed: no event
                moved_school = await http.put("/schools/20697001", json={**SCHOOL, "kecamatan": "Legok"})
                assert moved_school.json()["version"] == 2
                [updated] = await distinct(tap, "school.updated")
                assert updated["body"]["data"]["kecamatan"] == "Legok"
                assert (await http.put("/schools/20697002", json={**SCHOOL, "npsn": "20697002"})).status_code == 404
                assert (await http.put("/schools/20697001", json={**SCHOOL, "npsn": "20697002"})).status_code == 422

                await http.put("/units/TGR-1", json=UNIT)
                plan = (await http.post("/plans", json={"start": "2027-05-05"})).json()["plan"]
                first_dates = sorted(v["date"] for v in plan["visits"])
                # 150 + 110 on consecutive working days: 6 May 2027 is Kenaikan Yesus Kristus
                assert first_dates == ["2027-05-05", "2027-05-07"]
                await distinct(tap, "visit.scheduled", count=2)

                # exams on the second day and the next: that visit moves past them
                closure = await http.post("/schools/20697001/closures",
                                          json={"start": "2027-05-07", "end": "2027-05-10", "reason": "exam"})
                assert closure.status_code == 201, closure.text
                [moved] = closure.json()["moved"]
                assert moved["previous_date"] == "2027-05-07" and moved["date"] == "2027-05-11"
                [rescheduled] = await distinct(tap, "visit.rescheduled")
                assert rescheduled["body"]["data"]["previous_date"] == "2027-05-07"
                assert "exam" in rescheduled["body"]["data"]["reason"]
                assert (await http.post("/schools/20699999/closures",
                                        json={"start": "2027-05-06", "end": "2027-05-06"})).status_code == 404
                assert (await http.post("/closures", json={"start": "2027-05-07", "end": "2027-05-06"})).status_code == 422

                # a roster for a school not registered yet is kept, and used at registration
                await _publish(rabbit_url, topology.exchange_name("events"), _roster("20697002", ready=42, version=1))
                async with asyncio.timeout(15):
                    while await svc.runtime.db["roster_counts"].find_one({"_id": "20697002"}) is None:
                        await asyncio.sleep(0.05)
                later = await http.post("/schools", json={**SCHOOL, "npsn": "20697002", "ready_students": 5})
                assert later.json()["ready_students"] == 42 and later.json()["ready_source"] == "roster"

                # committing again replaces the earlier plan's future visits, each cancellation announced
                again = await http.post("/plans", json={"start": "2027-05-05"})
                assert again.status_code == 201 and again.json()["replaced_visits"] == 2
                cancelled = await distinct(tap, "visit.cancelled", count=2)
                assert all("replaced by plan" in m["body"]["data"]["reason"] for m in cancelled)
                active = (await http.get("/visits", params={"status": "scheduled"})).json()
                assert sum(v["expected_students"] for v in active) == 260 + 42
                plans = (await http.get("/plans")).json()
                assert [p["replaced_visits"] for p in plans] == [2, 0]  # newest first
                assert plans[0]["lower_bound_days"] == 3 and plans[0]["makespan_days"] >= 3


async def test_unit_change_replans(settings_for, rabbit_url, topology):
    async with running_service("scheduling", settings(settings_for, "2027-05-04")):
        pass
    async with EventTap(rabbit_url, topology.exchange_name("events")) as tap:
        async with running_service("scheduling", settings(settings_for, "2027-05-04")) as svc:
            async with api_client(svc.url) as http:
                await http.post("/schools", json={**SCHOOL, "ready_students": 140})
                first = await http.put("/units/TGR-1", json=UNIT)
                assert first.json()["change"] is None  # a new unit: nothing to re-plan
                await http.post("/plans", json={"start": "2027-05-05"})
                [scheduled] = await distinct(tap, "visit.scheduled")
                assert scheduled["body"]["data"]["expected_students"] == 140
                smaller = await http.put("/units/TGR-1", json={**UNIT, "recording_capacity": 100})
                change = smaller.json()["change"]
                # 140 no longer fits a day of 100: the visit moves, the rest gets a new visit
                assert [m["expected_students"] for m in change["moved"]] == [100]
                assert [a["expected_students"] for a in change["added"]] == [40]
                await distinct(tap, "visit.rescheduled")
                await distinct(tap, "visit.scheduled", count=2)
                same = await http.put("/units/TGR-1", json={**UNIT, "recording_capacity": 100})
                assert same.json()["change"] is None
