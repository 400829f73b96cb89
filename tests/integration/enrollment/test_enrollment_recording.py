"""Recording at a visit, the central registry's answers, and print requests, against the
real broker, database and registry simulator."""

import base64
from datetime import date


from enrollment_it import (
    CONSENT,
    VISIT_ID,
    announce_schools_and_visit,
    capture_body,
    eventually,
    import_roster,
    ready_for_capture,
    roster_csv,
    student_id_of,
    TEST_KEY,
)
from enrollment_images import jpeg
from enrollment_synthetic import row
from services.enrollment.adapters.biometric_vault import BiometricVault, parse_keys
from shared.testing import EventTap, api_client, running_service

# today is 2026-07-15 in these tests
SEVENTEEN = row(n=1, birth=date(2009, 5, 12), serial=1)  # minor, prints now
SIXTEEN = row(n=2, birth=date(2010, 3, 1), serial=2, female=True, sex="P")  # deferred
ADULT = row(n=3, birth=date(2007, 1, 9), serial=3)  # no consent needed
MARRIED = row(n=4, birth=date(2011, 2, 2), serial=4, marital_status="Kawin")  # 15, married
SPARE = row(n=5, birth=date(2009, 8, 8), serial=5)  # 16: print deferred to 2026-08-08


async def setup(service, http, rabbit_url, topology, rows):
    await announce_schools_and_visit(rabbit_url, topology, service)
    report = await import_roster(http, roster_csv(rows))
    assert sum(s["ready_to_record"] for s in report["schools"].values()) == len(rows)


async def test_capture_needs_consent_then_is_recorded_print_ready_and_requested(
        enrollment_settings, simulator, rabbit_url, topology):
    async with (
        running_service("enrollment", enrollment_settings()) as service,
        EventTap(rabbit_url, topology.exchange_name("events")) as public,
        EventTap(rabbit_url, topology.exchange_name("restricted")) as restricted,
        api_client(service.url, timeout=30) as http,
    ):
        await setup(service, http, rabbit_url, topology, [SEVENTEEN, ADULT, MARRIED])
        minor = await ready_for_capture(http, SEVENTEEN["nisn"], consent=False)

        refused = await http.post(f"/students/{minor}/capture", json=capture_body())
        assert refused.status_code == 409
        assert refused.json()["detail"]["message"] == (
            "capture refused: the student is under 18: a guardian's consent (signed form "
            "reference or SMS confirmation) must be on file before capture")

        consent = (await http.post(f"/students/{minor}/consents", json=CONSENT)).json()
        withdrawn = await http.post(f"/students/{minor}/consents/{consent['consent_id']}/withdrawal",
                                    json={"operator_id": "op-2", "reason": "guardian asked"})
        assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn_by"] == "op-2"
        assert (await http.post(f"/students/{minor}/capture", json=capture_body())).status_code == 409
        await http.post(f"/students/{minor}/consents", json={**CONSENT, "method": "sms_confirmation",
                                                               "reference": "SMS-1234"})

        unusable = capture_body()
        unusable["biometrics"]["irises"][0]["quality"] = 10
        bad = await http.post(f"/students/{minor}/capture", json=unusable)
        assert bad.status_code == 422
        assert bad.json()["detail"]["problems"] == [
            {"field": "iris:right",
             "reason": "quality 10 is below 50; capture again or record an exception"}]

        captured = await http.post(f"/students/{minor}/capture", json=capture_body())
        assert captured.status_code == 200, captured.text
        assert captured.json()["recording_status"] in {"captured", "submitted", "print_ready"}

        adult = await ready_for_capture(http, ADULT["nisn"], consent=False)
        assert (await http.post(f"/students/{adult}/capture", json=capture_body())).status_code == 200
        married = await ready_for_capture(http, MARRIED["nisn"])
        assert (await http.post(f"/students/{married}/capture", json=capture_body())).status_code == 200

        recorded = await public.wait_for("student.recorded", count=3)
        assert {m["body"]["data"]["student_id"] for m in recorded} == {minor, adult, married}
        assert all(m["body"]["data"]["visit_id"] == VISIT_ID for m in recorded)
        await public.wait_for("student.print_ready", count=3)
        cards = await restricted.wait_for("card.requested", count=3)
        card = next(m["body"]["data"] for m in cards if m["body"]["data"]["student_id"] == minor)
        assert card["card"]["nik"] == SEVENTEEN["nik"] and card["card"]["sex"] == "LAKI-LAKI"
        assert card["card"]["address"]["rt_rw"] == "001/002" and card["unit_id"] == "unit-1"
        assert base64.b64decode(card["photo_jpeg_b64"]) == jpeg()
        assert base64.b64decode(card["signature_png_b64"]).startswith(b"\x89PNG")

        # nothing personal on the public exchange
        for message in public.received:
            text = str(message["body"])
            assert SEVENTEEN["nik"] not in text and "photo" not in text

        # biometrics at rest are sealed with the key id, never in clear
        doc = await service.runtime.db["students"].find_one({"_id": minor})
        sealed = doc["biometrics"]["face_photo"]
        assert sealed["key_id"] == "k1" and jpeg() not in sealed["ciphertext"]
        vault = BiometricVault(parse_keys(TEST_KEY), "k1")
        assert vault.open(sealed, context=f"{minor}/face_photo") == jpeg()
        assert doc["recording"]["status"] == "print_ready"
        assert doc["print_request"]["state"] == "requested"

        # a second capture of a print-ready student is refused
        again = await http.post(f"/students/{minor}/capture", json=capture_body())
        assert again.status_code == 409
        assert "cannot go from print_ready to captured" in again.json()["detail"]["message"]
        status = (await http.get(f"/students/{minor}")).json()
        assert status["recording_status"] == "print_ready"
        assert status["nik_masked"] == SEVENTEEN["nik"][:4] + "********" + SEVENTEEN["nik"][-4:]


async def test_exceptions_wait_for_a_supervisor(enrollment_settings, rabbit_url, topology):
    async with (
        running_service("enrollment", enrollment_settings()) as service,
        EventTap(rabbit_url, topology.exchange_name("events")) as public,
        EventTap(rabbit_url, topology.exchange_name("restricted")),  # notifications' stand-in
        api_client(service.url, timeout=30) as http,
    ):
        await setup(service, http, rabbit_url, topology, [ADULT])
        student = await ready_for_capture(http, ADULT["nisn"], consent=False)
        body = capture_body()
        body["biometrics"]["fingerprints"] = [
            f for f in body["biometrics"]["fingerprints"] if f["position"] != "left_index"]
        body["biometrics"]["exceptions"] = [{"modality": "fingerprint:left_index",
                                             "reason": "amputation"}]
        captured = await http.post(f"/students/{student}/capture", json=body)
        assert captured.status_code == 200
        assert captured.json()["recording_status"] == "captured"

        not_supervisor = await http.post(f"/students/{student}/exceptions/approval",
                                         json={"supervisor_id": "op-7"})
        assert not_supervisor.status_code == 403
        assert "only a supervisor" in not_supervisor.json()["detail"]["message"]
        assert public.of_type("student.recorded") == []
        doc = await service.runtime.db["students"].find_one({"_id": student})
        assert doc["recording"]["status"] == "captured"  # not submitted before approval

        approved = await http.post(f"/students/{student}/exceptions/approval",
                                   json={"supervisor_id": "sup-1"})
        assert approved.status_code == 200 and approved.json()["exceptions_approved_by"] == "sup-1"
        [recorded] = await public.wait_for("student.recorded")
        assert recorded["body"]["data"]["exceptions"] == 1
        await public.wait_for("student.print_ready")


async def test_corrections_are_audited_and_republish_contacts(enrollment_settings, rabbit_url,
                                                              topology):
    async with (
        running_service("enrollment", enrollment_settings()) as service,
        EventTap(rabbit_url, topology.exchange_name("restricted")) as restricted,
        api_client(service.url, timeout=30) as http,
    ):
        await setup(service, http, rabbit_url, topology, [SEVENTEEN])
        student = await student_id_of(http, SEVENTEEN["nisn"])
        await restricted.wait_for("student.contact_updated")
        bad = await http.post(f"/students/{student}/corrections", json={
            "field": "phone", "value": "021-555", "operator_id": "op-1", "reason": "new number"})
        assert bad.status_code == 422 and "phone:" in bad.json()["detail"]["message"]
        fixed = await http.post(f"/students/{student}/corrections", json={
            "field": "phone", "value": "0857 1111 2222", "operator_id": "op-1",
            "reason": "student gave a new number"})
        assert fixed.status_code == 200
        [audit] = fixed.json()["corrections"]
        assert (audit["field"], audit["new"], audit["by"]) == ("phone", "+6285711112222", "op-1")
        assert audit["old"] == "+6281200000001"
        updates = await restricted.wait_for("student.contact_updated", count=2)
        assert updates[-1]["body"]["data"]["phone"] == "+6285711112222"


async def test_registry_down_then_up_every_record_answered_once(
        enrollment_settings, simulator, rabbit_url, topology, caplog):
    """Two replicas share the work; the central system is down, then up: every record is
    answered once, one print_ready and one card request each, nothing personal logged."""
    settings = enrollment_settings()
    async with (
        running_service("enrollment", settings) as service,
        running_service("enrollment", settings),  # a second replica on the same database
        EventTap(rabbit_url, topology.exchange_name("events")) as public,
        EventTap(rabbit_url, topology.exchange_name("restricted")) as restricted,
        api_client(service.url, timeout=30) as http,
    ):
        rows = [SEVENTEEN, ADULT, MARRIED, SPARE]
        await setup(service, http, rabbit_url, topology, rows)
        simulator.state.up = False
        ids = []
        for r in rows:
            student = await ready_for_capture(http, r["nisn"])
            assert (await http.post(f"/students/{student}/capture",
                                    json=capture_body())).status_code == 200
            ids.append(student)
        students = service.runtime.db["students"]
        await eventually(lambda: _refused(simulator, 8))
        waiting = {"recording.status": {"$in": ["captured", "submitted"]}}
        assert await students.count_documents(waiting) == 4
        assert await students.count_documents({"recording.status": "submitted"}) >= 1
        assert public.of_type("student.print_ready") == []

        simulator.state.up = True
        await public.wait_for("student.print_ready", count=4)
        await restricted.wait_for("card.requested", count=3)  # SPARE is 16: deferred
        await eventually(lambda: _all_answered(students))
        await eventually(lambda: _outboxes_empty(students))
        # one answer per record: one distinct event each (the relays of two replicas may
        # publish the same event twice — at least once, same id — never two answers)
        ready = _distinct(public.of_type("student.print_ready"))
        assert sorted(e["data"]["student_id"] for e in ready) == sorted(ids)
        cards = _distinct(restricted.of_type("card.requested"))
        assert len(cards) == 3 and len({e["data"]["student_id"] for e in cards}) == 3
        assert len(simulator.state.answers) == 4
        for student in ids:
            doc = await students.find_one({"_id": student})
            assert doc["recording"]["answer"]["outcome"] == "print_ready"

    logged = caplog.text
    assert "central registry unavailable" in logged
    for r in rows:
        for personal in (r["nik"], r["name"], r["phone"], r["guardian_name"]):
            assert personal not in logged


def _distinct(messages):
    return list({m["body"]["id"]: m["body"] for m in messages}.values())


async def _outboxes_empty(students):
    return await students.count_documents({"outbox.0": {"$exists": True}}) == 0


async def _refused(simulator, n):
    return simulator.state.refused >= n


async def _all_answered(students):
    return await students.count_documents({"recording.status": "print_ready"}) == 4


async def test_registry_duplicate_and_failure_are_rejections(enrollment_settings, simulator,
                                                             rabbit_url, topology):
    async with (
        running_service("enrollment", enrollment_settings()) as service,
        EventTap(rabbit_url, topology.exchange_name("events")) as public,
        EventTap(rabbit_url, topology.exchange_name("restricted")),  # notifications' stand-in
        api_client(service.url, timeout=30) as http,
    ):
        await setup(service, http, rabbit_url, topology, [SEVENTEEN, ADULT])
        simulator.state.recorded.add(SEVENTEEN["nik"])  # recorded elsewhere meanwhile
        simulator.state.config.failed_rate = 1.0
        for r in (SEVENTEEN, ADULT):
            student = await ready_for_capture(http, r["nisn"])
            assert (await http.post(f"/students/{student}/capture",
                                    json=capture_body())).status_code == 200
        rejected = await public.wait_for("student.enrollment_rejected", count=2)
        categories = sorted(m["body"]["data"]["reason_category"] for m in rejected)
        assert categories == ["duplicate", "failed"]
        assert public.of_type("student.print_ready") == []

        # a failed record may be captured again: a new submission, a new answer
        failed = next(m["body"]["data"]["student_id"] for m in rejected
                      if m["body"]["data"]["reason_category"] == "failed")
        duplicate = next(m["body"]["data"]["student_id"] for m in rejected
                         if m["body"]["data"]["reason_category"] == "duplicate")
        simulator.state.config.failed_rate = 0.0
        again = await http.post(f"/students/{failed}/capture", json=capture_body())
        assert again.status_code == 200, again.text
        [ready] = await public.wait_for("student.print_ready")
        assert ready["body"]["data"]["student_id"] == failed
        refused = await http.post(f"/students/{duplicate}/capture", json=capture_body())
        assert refused.status_code == 409
        assert "cannot go from duplicate to captured" in refused.json()["detail"]["message"]


async def test_deferred_print_is_requested_on_the_17th_birthday_across_a_restart(
        enrollment_settings, rabbit_url, topology):
    async with running_service("enrollment", enrollment_settings()):
        pass  # declares the exchanges the taps below bind to
    async with (
        EventTap(rabbit_url, topology.exchange_name("restricted")) as restricted,
        EventTap(rabbit_url, topology.exchange_name("events")) as public,
    ):
        async with (
            running_service("enrollment", enrollment_settings()) as service,
            api_client(service.url, timeout=30) as http,
        ):
            await setup(service, http, rabbit_url, topology, [SIXTEEN])
            student = await ready_for_capture(http, SIXTEEN["nisn"])
            assert (await http.post(f"/students/{student}/capture",
                                    json=capture_body())).status_code == 200
            await public.wait_for("student.print_ready")
            doc = await eventually(lambda: _deferred(service, student))
            assert doc["print_request"]["due_on"] == "2027-03-01"
        assert restricted.of_type("card.requested") == []

        # restarted the day before the birthday: still nothing
        async with running_service("enrollment",
                                   enrollment_settings(JEMPUT_TODAY="2027-02-28")) as service:
            await eventually(lambda: _passes(service, 2))
        assert restricted.of_type("card.requested") == []

        async with running_service("enrollment",
                                   enrollment_settings(JEMPUT_TODAY="2027-03-01")) as service:
            [card] = await restricted.wait_for("card.requested")
            assert card["body"]["data"]["student_id"] == student
            assert card["body"]["data"]["card"]["sex"] == "PEREMPUAN"
            doc = await service.runtime.db["students"].find_one({"_id": student})
            assert doc["print_request"]["state"] == "requested"
        async with running_service("enrollment",
                                   enrollment_settings(JEMPUT_TODAY="2027-03-02")) as service:
            await eventually(lambda: _passes(service, 2))
        assert len(restricted.of_type("card.requested")) == 1  # requested once


async def _deferred(service, student):
    doc = await service.runtime.db["students"].find_one({"_id": student})
    return doc if (doc.get("print_request") or {}).get("state") == "deferred" else None


async def _passes(service, n):
    """True once the deferred-print sweep has run n times in this process."""
    from services.enrollment.runtime_state import state_of

    return state_of(service.runtime).worker.print_passes >= n
