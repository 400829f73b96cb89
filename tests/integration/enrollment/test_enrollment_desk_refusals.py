"""Every refusal at the desk, with its status and message."""

from datetime import date


from enrollment_it import (
    CONSENT,
    VISIT_ID,
    announce_schools_and_visit,
    capture_body,
    import_roster,
    publish,
    ready_for_capture,
    roster_csv,
    student_id_of,
)
from enrollment_synthetic import HOME_SCHOOL, OTHER_SCHOOL, row
from shared.events import models as ev
from shared.events import new_event
from shared.testing import EventTap, api_client, running_service

READY = row(n=1, birth=date(2009, 5, 12), serial=1)
YOUNG = row(n=2, birth=date(2011, 9, 9), serial=2)  # 14: not yet eligible
ELSEWHERE = row(n=3, birth=date(2009, 6, 6), serial=3, npsn=OTHER_SCHOOL)


async def test_check_in_capture_and_consent_refusals(enrollment_settings, rabbit_url, topology):
    async with (
        running_service("enrollment", enrollment_settings()) as service,
        EventTap(rabbit_url, topology.exchange_name("restricted")),  # notifications' stand-in
        api_client(service.url, timeout=30) as http,
    ):
        await announce_schools_and_visit(rabbit_url, topology, service)
        await import_roster(http, roster_csv([READY, YOUNG, ELSEWHERE]))
        ready, young, elsewhere = [await student_id_of(http, r["nisn"])
                                   for r in (READY, YOUNG, ELSEWHERE)]
        listed = (await http.get(f"/visits/{VISIT_ID}/students")).json()
        assert {s["student_id"]: s["roster_category"] for s in listed} == {
            ready: "ready_to_record", young: "not_yet_eligible"}
        assert all("nik" not in s and s["nik_masked"].count("*") == 8 for s in listed)
        assert (await http.get("/visits/V-unknown/students")).status_code == 404

        async def check_in(student, visit=VISIT_ID):
            return await http.post(f"/students/{student}/check-ins",
                                   json={"visit_id": visit, "operator_id": "op-1"})

        async def refused(response, status, text):
            assert response.status_code == status, response.text
            assert text in response.json()["detail"]["message"]

        await refused(await check_in(young), 409, "not yet eligible: may be recorded from 2027-09-09")
        await refused(await check_in(elsewhere), 409, "not on this school's roster")
        await refused(await check_in(ready, "V-unknown"), 404, "visit V-unknown is not known")
        assert (await http.get("/students/ST-nobody")).status_code == 404
        assert (await http.post("/students/lookup", json={"nisn": "12"})).status_code == 422

        await refused(await http.post(f"/students/{ready}/capture", json=capture_body()), 409,
                      f"has not checked in at visit {VISIT_ID}")
        first = await check_in(ready)
        again = await check_in(ready)
        assert first.status_code == again.status_code == 200
        assert again.json()["checked_in_at"] == [VISIT_ID]  # once

        future = {**CONSENT, "given_at": "2099-01-01T00:00:00Z"}
        await refused(await http.post(f"/students/{ready}/consents", json=future), 422,
                      "given_at is in the future")
        bad_method = await http.post(f"/students/{ready}/consents",
                                     json={**CONSENT, "method": "verbal"})
        assert bad_method.status_code == 422
        await refused(await http.post(f"/students/{ready}/consents/C-none/withdrawal",
                                      json={"operator_id": "op-1"}), 404, "consent C-none")
        consent = (await http.post(f"/students/{ready}/consents", json=CONSENT)).json()
        url = f"/students/{ready}/consents/{consent['consent_id']}/withdrawal"
        assert (await http.post(url, json={"operator_id": "op-1"})).status_code == 200
        await refused(await http.post(url, json={"operator_id": "op-1"}), 409, "already withdrawn")

        await refused(await http.post(f"/students/{ready}/exceptions/approval",
                                      json={"supervisor_id": "sup-1"}), 409, "nothing captured")

        # a cancelled visit takes no more check-ins
        await publish(rabbit_url, topology.exchange_name("events"), new_event(
            "scheduling", ev.VisitCancelled(visit_id=VISIT_ID, npsn=HOME_SCHOOL, unit_id="unit-1",
                                            date=date(2026, 7, 20), reason="banjir", version=2),
            subject=VISIT_ID))
        visits = service.runtime.db["visits"]
        from enrollment_it import eventually

        async def cancelled():
            return (await visits.find_one({"_id": VISIT_ID}))["status"] == "cancelled"

        await eventually(cancelled)
        await refused(await check_in(ready), 409, f"visit {VISIT_ID} is cancelled")


async def test_without_a_biometric_key_capture_is_disabled(enrollment_settings, rabbit_url,
                                                           topology):
    async with (
        running_service("enrollment", enrollment_settings(JEMPUT_BIOMETRIC_KEYS="")) as service,
        EventTap(rabbit_url, topology.exchange_name("restricted")),
        api_client(service.url, timeout=30) as http,
    ):
        await announce_schools_and_visit(rabbit_url, topology, service)
        await import_roster(http, roster_csv([READY]))
        student = await ready_for_capture(http, READY["nisn"])
        response = await http.post(f"/students/{student}/capture", json=capture_body())
        assert response.status_code == 503
        assert "no biometric encryption key" in response.json()["detail"]["message"]


async def test_an_xlsx_roster_over_http(enrollment_settings, simulator, rabbit_url, topology,
                                        tmp_path):
    import enrollment_hostile as hostile
    from test_enrollment_hostile_roster import write_xlsx

    simulator.state.recorded.add(hostile.RECORDED_NIK)
    path = tmp_path / "roster.xlsx"
    write_xlsx(path)
    async with (
        running_service("enrollment", enrollment_settings()) as service,
        EventTap(rabbit_url, topology.exchange_name("restricted")),
        api_client(service.url, timeout=30) as http,
    ):
        await announce_schools_and_visit(rabbit_url, topology, service)
        report = await import_roster(http, path.read_bytes(), "roster.xlsx")
        school = report["schools"][HOME_SCHOOL]
        assert school["already_recorded"] == 1 and school["not_yet_eligible"] == 2
        assert report["sums_to_total"] and report["total"] == len(hostile.ROWS)
