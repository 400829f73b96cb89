"""The scheduling service against the real broker and database: import, plan preview and
commit, re-planning, the visit lifecycle, catch-up visits and roster counts."""

from __future__ import annotations

import asyncio
import datetime as dt

import aio_pika
import httpx

from services.scheduling.settings import SchedulingSettings
from shared.events import models as ev
from shared.events import new_event
from shared.testing import EventTap, api_client, running_service

from .tapping import distinct

HEADER = "npsn,nama,jenjang,status,kecamatan,alamat,siap_rekam\n"
ROWS = [
    "20699001,SMAN 1 Contoh,SMA,negeri,Cikupa,Jl. Contoh 1,120",
    "20699002,SMKN 1 Contoh,SMK,negeri,Cikupa,Jl. Contoh 2,30",
    "20699003,SMAN 2 Contoh,SMA,negeri,Legok,Jl. Contoh 3,200",
    "20699004,MAN 1 Contoh,MA,negeri,Legok,Jl. Contoh 4,90",
    "2069900,SMAN 9 Salah,SMA,negeri,Legok,Jl. Contoh 9,10",  # row 6: bad NPSN
]
UNIT = {"unit_id": "TGR-1", "name": "Unit Keliling 1", "recording_capacity": 150, "printing_capacity": 150}
UNIT2 = {**UNIT, "unit_id": "TGR-2", "name": "Unit Keliling 2"}


def settings(settings_for, today: str, **extra):
    return settings_for("scheduling", SchedulingSettings, JEMPUT_TODAY=today, JEMPUT_RELAY_SWEEP_S="0.5", **extra)


async def _event(tap: EventTap, key: str, predicate, timeout: float = 15.0) -> list[dict]:
    """Wait until the tap holds an event of ``key`` whose body satisfies ``predicate``."""
    async with asyncio.timeout(timeout):
        while not (found := [m for m in tap.of_type(key) if predicate(m["body"])]):
            await asyncio.sleep(0.05)
    return found


async def _declare(settings_for) -> None:
    """Start the service once so the exchanges exist before the tap binds to them."""
    async with running_service("scheduling", settings(settings_for, "2027-05-04")):
        pass


async def _setup(http: httpx.AsyncClient) -> None:
    csv = (HEADER + "\n".join(ROWS) + "\n").encode()
    imported = await http.post("/schools/import", files={"file": ("sekolah.csv", csv, "text/csv")})
    assert imported.status_code == 200, imported.text
    body = imported.json()
    assert (body["rows_read"], body["registered"]) == (5, 4)
    assert body["errors"] == [{"row": 6, "field": "npsn", "reason": "NPSN must be exactly 8 digits"}]
    for unit in (UNIT, UNIT2):
        assert (await http.put(f"/units/{unit['unit_id']}", json=unit)).status_code == 200


async def test_import_preview_commit_and_replan(settings_for, rabbit_url, topology):
    await _declare(settings_for)
    async with EventTap(rabbit_url, topology.exchange_name("events")) as tap:
        async with running_service("scheduling", settings(settings_for, "2027-05-04")) as svc:
            async with api_client(svc.url) as http:
                await _setup(http)
                registered = await distinct(tap, "school.registered", count=4)
                assert {m["body"]["data"]["npsn"] for m in registered} == {"20699001", "20699002", "20699003", "20699004"}

                # re-importing the same file changes nothing; a changed row is an update
                csv2 = (HEADER + ROWS[0].replace("Jl. Contoh 1", "Jl. Baru 1") + "\n").encode()
                again = (await http.post("/schools/import", files={"file": ("s.csv", csv2)})).json()
                assert (again["registered"], again["updated"]) == (0, 1)
                [updated] = await distinct(tap, "school.updated")
                assert updated["body"]["data"]["address"] == "Jl. Baru 1" and updated["body"]["data"]["version"] == 2

                preview = await http.post("/plans/preview", json={"start": "2027-05-05"})
                assert preview.status_code == 200, preview.text
                plan = preview.json()
                assert plan["lower_bound_days"] == 2 and plan["makespan_days"] == 2
                assert sum(v["expected_students"] for v in plan["visits"]) == 440
                assert (await http.get("/visits")).json() == []  # a dry run writes nothing
                assert tap.of_type("visit.scheduled") == []

                committed = await http.post("/plans", json={"start": "2027-05-05"})
                assert committed.status_code == 201, committed.text
                visits = committed.json()["plan"]["visits"]
                scheduled = await distinct(tap, "visit.scheduled", count=len(visits))
                data = scheduled[0]["body"]["data"]
                assert {"visit_id", "plan_id", "npsn", "school_name", "kecamatan", "unit_id", "date",
                        "session_start", "session_end", "expected_students"} <= set(data)
                by_date = (await http.get("/visits", params={"date": visits[0]["date"]})).json()
                assert by_date and all(v["date"] == visits[0]["date"] for v in by_date)
                by_unit = (await http.get("/visits", params={"unit_id": "TGR-2"})).json()
                assert all(v["unit_id"] == "TGR-2" for v in by_unit)
                assert (await http.get("/visits", params={"npsn": "20699003"})).json()
                stored = await svc.runtime.db["visits"].find_one({"_id": visits[0]["visit_id"]})
                assert stored["outbox"] == []

                # the unit of the first day breaks down: its visits move, each announced
                first_day = min(v["date"] for v in visits)
                hit = [v for v in visits if v["unit_id"] == "TGR-1" and v["date"] == first_day]
                change = await http.post("/units/TGR-1/unavailability",
                                         json={"start": first_day, "end": first_day, "reason": "servis"})
                assert change.status_code == 201, change.text
                moved = change.json()["moved"]
                assert {m["visit_id"] for m in moved} == {v["visit_id"] for v in hit}
                assert all(m["previous_date"] == first_day and m["date"] > first_day for m in moved)
                events = await distinct(tap, "visit.rescheduled", count=len(moved))
                assert {e["body"]["data"]["previous_date"] for e in events} == {first_day}
                assert all("unit TGR-1 unavailable" in e["body"]["data"]["reason"] for e in events)

                # bad requests are refused with a reason
                assert (await http.post("/plans/preview", json={"start": "2027-05-01"})).status_code == 422
                assert (await http.post("/units/NOPE/unavailability",
                                        json={"start": first_day, "end": first_day})).status_code == 404
                assert (await http.post("/schools/import", files={"file": ("s.pdf", b"%PDF")})).status_code == 422


async def test_lifecycle_catch_up_and_started_visits_never_move(settings_for, rabbit_url, topology):
    await _declare(settings_for)
    async with EventTap(rabbit_url, topology.exchange_name("events")) as tap:
        async with running_service("scheduling", settings(settings_for, "2027-05-04",
                                                          JEMPUT_CATCH_UP_THRESHOLD="10")) as svc:
            async with api_client(svc.url) as http:
                await _setup(http)
                plan = (await http.post("/plans", json={"start": "2027-05-05"})).json()["plan"]
                await distinct(tap, "visit.scheduled", count=len(plan["visits"]))
                # cannot start before its day
                early = await http.post(f"/visits/{plan['visits'][0]['visit_id']}/start")
                assert early.status_code == 409 and "cannot start" in early.json()["detail"]
        # the next morning (same database): the first day's visits start
        async with running_service("scheduling", settings(settings_for, "2027-05-05",
                                                          JEMPUT_CATCH_UP_THRESHOLD="10")) as svc:
            async with api_client(svc.url) as http:
                today = (await http.get("/visits", params={"date": "2027-05-05"})).json()
                assert today
                first = today[0]
                started = await http.post(f"/visits/{first['visit_id']}/start")
                assert started.status_code == 200 and started.json()["status"] == "started"
                [ev_started] = await distinct(tap, "visit.started")
                assert ev_started["body"]["data"]["visit_id"] == first["visit_id"]
                assert (await http.post(f"/visits/{first['visit_id']}/start")).status_code == 409

                # the whole area closes today and tomorrow: the started visit stays
                closed = await http.post("/closures", json={"start": "2027-05-05", "end": "2027-05-06",
                                                            "reason": "regional_holiday", "note": "HUT Kabupaten"})
                assert closed.status_code == 201, closed.text
                assert first["visit_id"] not in {m["visit_id"] for m in closed.json()["moved"]}
                assert (await http.get(f"/visits/{first['visit_id']}")).json()["status"] == "started"

                # completed with 25 left over (> 10): a catch-up visit is planned and announced
                leftover = 25
                done = await http.post(f"/visits/{first['visit_id']}/complete",
                                       json={"recorded": first["expected_students"] - leftover, "absent": leftover})
                assert done.status_code == 200, done.text
                body = done.json()
                assert body["visit"]["status"] == "completed" and body["visit"]["absent"] == leftover
                assert sum(v["expected_students"] for v in body["catch_up"]) == leftover
                assert all(v["catch_up_of"] == first["visit_id"] and v["date"] > "2027-05-06" for v in body["catch_up"])
                [completed] = await distinct(tap, "visit.completed")
                assert completed["body"]["data"]["recorded"] == first["expected_students"] - leftover
                ids = {v["visit_id"] for v in body["catch_up"]}
                async with asyncio.timeout(15):
                    while {m["body"]["data"]["visit_id"] for m in tap.of_type("visit.scheduled")
                           if m["body"]["data"]["catch_up"]} != ids:
                        await asyncio.sleep(0.05)

                # cancel needs a reason; a completed visit cannot be cancelled
                other = next(v for v in (await http.get("/visits", params={"status": "scheduled"})).json())
                assert (await http.post(f"/visits/{other['visit_id']}/cancel", json={"reason": ""})).status_code == 422
                cancelled = await http.post(f"/visits/{other['visit_id']}/cancel", json={"reason": "sekolah banjir"})
                assert cancelled.json()["status"] == "cancelled"
                await _event(tap, "visit.cancelled", lambda b: b["data"]["reason"] == "sekolah banjir")
                assert (await http.post(f"/visits/{first['visit_id']}/cancel", json={"reason": "x"})).status_code == 409
                assert (await http.post("/visits/NOPE/start")).status_code == 404


async def test_roster_verified_updates_counts_and_replans(settings_for, rabbit_url, topology):
    await _declare(settings_for)
    async with EventTap(rabbit_url, topology.exchange_name("events")) as tap:
        async with running_service("scheduling", settings(settings_for, "2027-05-04")) as svc:
            async with api_client(svc.url) as http:
                await _setup(http)
                plan = (await http.post("/plans", json={"start": "2027-05-05"})).json()["plan"]
                await distinct(tap, "visit.scheduled", count=len(plan["visits"]))
                event = _roster("20699003", ready=350, version=1)
                await _publish(rabbit_url, topology.exchange_name("events"), event)
                await _publish(rabbit_url, topology.exchange_name("events"), event)  # a redelivery
                async with asyncio.timeout(15):
                    while (await svc.runtime.db["schools"].find_one({"_id": "20699003"}))["ready_students"] != 350:
                        await asyncio.sleep(0.05)
                    while sum(v["expected_students"] for v in (await http.get(
                            "/visits", params={"npsn": "20699003", "status": "scheduled"})).json()) != 350:
                        await asyncio.sleep(0.05)
                school = (await http.get("/schools/20699003")).json()
                assert school["ready_source"] == "roster"
                # the visits added for the new count are announced, caused by the roster event
                added = await _event(tap, "visit.scheduled",
                                     lambda b: b["data"]["npsn"] == "20699003" and b.get("causationid") == event.id)
                assert all(m["body"]["correlationid"] == event.correlationid for m in added)
                # an older roster version arriving late changes nothing
                await _publish(rabbit_url, topology.exchange_name("events"), _roster("20699003", ready=10, version=1))
                await asyncio.sleep(1.0)
                assert (await svc.runtime.db["schools"].find_one({"_id": "20699003"}))["ready_students"] == 350


def _roster(npsn: str, *, ready: int, version: int, at: dt.datetime | None = None, roster_id: str | None = None):
    data = ev.RosterVerified(npsn=npsn, roster_id=roster_id or f"R-{npsn}", total=ready + 100, already_recorded=100,
                             ready_to_record=ready, not_yet_eligible=0, invalid=0,
                             verified_at=at or dt.datetime(2027, 5, 4, 9, tzinfo=dt.UTC), version=version)
    return new_event("enrollment", data, subject=npsn)


async def _publish(url: str, exchange: str, event) -> None:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        ex = await channel.get_exchange(exchange)
        await ex.publish(aio_pika.Message(event.to_json(), message_id=event.id,
                                          content_type="application/cloudevents+json",
                                          delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                         routing_key=event.routing_key, mandatory=True)


async def test_a_newer_roster_of_a_school_wins_even_with_a_lower_version(settings_for, rabbit_url, topology):
    async with running_service("scheduling", settings(settings_for, "2027-05-04")) as svc:
        async with api_client(svc.url) as http:
            await _setup(http)
        exchange = topology.exchange_name("events")
        old = _roster("20699004", ready=70, version=3)
        newer = _roster("20699004", ready=55, version=1,
                        at=dt.datetime(2027, 5, 5, 9, tzinfo=dt.UTC), roster_id="R-new")
        await _publish(rabbit_url, exchange, old)
        await _wait_ready(svc, "20699004", 70)
        await _publish(rabbit_url, exchange, newer)
        await _wait_ready(svc, "20699004", 55)
        await _publish(rabbit_url, exchange, old)  # the old one again, late: ignored
        await asyncio.sleep(1.0)
        assert (await svc.runtime.db["schools"].find_one({"_id": "20699004"}))["ready_students"] == 55


async def _wait_ready(svc, npsn: str, ready: int) -> None:
    async with asyncio.timeout(15):
        while (await svc.runtime.db["schools"].find_one({"_id": npsn}))["ready_students"] != ready:
            await asyncio.sleep(0.05)
