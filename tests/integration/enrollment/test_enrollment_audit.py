"""The enrollment audit log: consents, withdrawals, corrections and exception approvals each
leave one record an auditor can read; other roles cannot; nothing can change it unnoticed."""

from enrollment_it import CONSENT, capture_body, ready_for_capture
from shared.testing import api_client, running_service
from test_enrollment_recording import ADULT, setup


async def test_sensitive_desk_actions_are_audited(enrollment_settings, rabbit_url, topology):
    async with (
        running_service("enrollment", enrollment_settings()) as service,
        api_client(service.url, "operator", timeout=30) as desk,
        api_client(service.url, "supervisor", timeout=30) as supervisor,
        api_client(service.url, "auditor", timeout=30) as auditor,
    ):
        await setup(service, desk, rabbit_url, topology, [ADULT])
        student = await ready_for_capture(desk, ADULT["nisn"], consent=False)
        consent = await desk.post(f"/students/{student}/consents", json=CONSENT)
        assert consent.status_code == 201, consent.text
        consent_id = consent.json()["consent_id"]
        withdrawn = await desk.post(f"/students/{student}/consents/{consent_id}/withdrawal",
                                    json={"operator_id": "op-1", "reason": "wali meminta"})
        assert withdrawn.status_code == 200, withdrawn.text
        corrected = await desk.post(f"/students/{student}/corrections", json={
            "field": "name", "value": "NAMA BARU CONTOH", "operator_id": "op-1", "reason": "salah ketik"})
        assert corrected.status_code == 200, corrected.text
        body = capture_body()
        body["biometrics"]["fingerprints"] = [
            f for f in body["biometrics"]["fingerprints"] if f["position"] != "left_index"]
        body["biometrics"]["exceptions"] = [{"modality": "fingerprint:left_index", "reason": "amputation"}]
        assert (await desk.post(f"/students/{student}/capture", json=body)).status_code == 200
        # an operator may not approve exceptions, whatever supervisor id the body names
        refused = await desk.post(f"/students/{student}/exceptions/approval", json={"supervisor_id": "sup-1"})
        assert refused.status_code == 403
        approved = await supervisor.post(f"/students/{student}/exceptions/approval",
                                         json={"supervisor_id": "sup-1"})
        assert approved.status_code == 200, approved.text

        answer = await auditor.get("/audit")
        assert answer.status_code == 200, answer.text
        records = list(reversed(answer.json()))
        assert [(r["action"], r["target"], r["role"]) for r in records] == [
            ("consent.recorded", student, "operator"), ("consent.withdrawn", student, "operator"),
            ("biodata.corrected", student, "operator"), ("exceptions.approved", student, "supervisor")]
        assert [r["seq"] for r in records] == [1, 2, 3, 4]
        assert records[0]["details"]["consent_id"] == consent_id
        assert records[2]["details"] == {"field": "name", "reason": "salah ketik", "operator_id": "op-1"}
        assert records[3]["details"]["exceptions"] == ["fingerprint:left_index:amputation"]
        assert all(r["actor"] in ("operator-account", "supervisor-account") for r in records)
        text = answer.text
        assert "NAMA BARU CONTOH" not in text and ADULT["name"] not in text and ADULT["nik"] not in text
        assert CONSENT["guardian_name"] not in text
        one = await auditor.get("/audit", params={"action": "biodata.corrected"})
        assert [r["seq"] for r in one.json()] == [3]
        assert (await auditor.get("/audit/verify")).json() == {"ok": True, "records": 4,
                                                                "first_broken": None, "reason": None}

        # only auditors and admins read it; no route writes, changes or removes a record
        assert (await desk.get("/audit")).status_code == 403
        assert (await supervisor.get("/audit/verify")).status_code == 403
        async with api_client(service.url, "admin") as admin:
            assert (await admin.get("/audit")).status_code == 200
            for method in ("POST", "PUT", "PATCH", "DELETE"):
                assert (await admin.request(method, "/audit")).status_code == 405, method
                assert (await admin.request(method, "/audit/3")).status_code in (404, 405), method

        # a change made behind the service's back (in the database) is detected
        audit = service.runtime.db["audit"]
        await audit.update_one({"_id": 3}, {"$set": {"details.field": "class_name"}})
        check = (await auditor.get("/audit/verify")).json()
        assert check["ok"] is False and check["first_broken"] == 3 and "changed" in check["reason"]
        await audit.update_one({"_id": 3}, {"$set": {"details.field": "name"}})
        await audit.delete_one({"_id": 2})
        check = (await auditor.get("/audit/verify")).json()
        assert check["ok"] is False and check["first_broken"] == 2 and "missing" in check["reason"]
