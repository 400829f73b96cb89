"""Biometric data deleted after the central registry confirmed the record (templates) and after
the card was requested (photo, signature), each deletion audited — on the real database."""

import asyncio
from datetime import UTC, datetime, timedelta

from enrollment_it import capture_body, ready_for_capture
from services.enrollment.biometric_retention import BiometricRetention
from services.enrollment.settings import EnrollmentSettings
from shared.testing import EventTap, api_client, running_service
from test_enrollment_recording import ADULT, SPARE, setup


async def until(predicate, timeout: float = 20.0):
    async with asyncio.timeout(timeout):
        while not (result := await predicate()):
            await asyncio.sleep(0.1)
    return result


async def test_biometrics_go_after_confirmation_photo_after_the_card_request_audited(
        enrollment_settings, rabbit_url, topology):
    settings = enrollment_settings(JEMPUT_BIOMETRIC_RETENTION_DAYS=0, JEMPUT_RETENTION_SWEEP_S=0.2)
    async with (
        running_service("enrollment", settings) as service,
        EventTap(rabbit_url, topology.exchange_name("restricted")) as restricted,
        api_client(service.url, timeout=30) as desk,
        api_client(service.url, "auditor", timeout=30) as auditor,
    ):
        await setup(service, desk, rabbit_url, topology, [ADULT, SPARE])
        adult = await ready_for_capture(desk, ADULT["nisn"], consent=False)
        spare = await ready_for_capture(desk, SPARE["nisn"])  # 16: the card waits for the birthday
        for student in (adult, spare):
            assert (await desk.post(f"/students/{student}/capture", json=capture_body())).status_code == 200
        [card] = await restricted.wait_for("card.requested")  # printed from the photo before it went
        assert card["body"]["data"]["student_id"] == adult and card["body"]["data"]["photo_jpeg_b64"]

        students = service.runtime.db["students"]

        async def both_swept():
            a = await students.find_one({"_id": adult})
            s = await students.find_one({"_id": spare})
            done = "print_material_at" in a.get("biometrics_deleted", {}) and \
                "templates_at" in s.get("biometrics_deleted", {})
            return (a, s) if done else None

        a, s = await until(both_swept)
        assert set(a["biometrics"]) == {"digest"}  # everything sealed is gone, the digest stays
        assert set(s["biometrics"]) == {"digest", "face_photo", "signature"}  # needed for its card
        assert "print_material_at" not in s["biometrics_deleted"]
        assert a["recording"]["status"] == s["recording"]["status"] == "print_ready"

        answer = await auditor.get("/audit", params={"action": "biometrics.deleted"})
        assert answer.status_code == 200, answer.text
        records = {(r["target"], tuple(r["details"]["parts"])): r for r in answer.json()}
        assert set(records) == {(adult, ("fingerprints", "irises")), (adult, ("face_photo", "signature")),
                                (spare, ("fingerprints", "irises"))}
        record = records[(adult, ("fingerprints", "irises"))]
        assert record["actor"] == "system:biometric-retention" and record["role"] == "system"
        assert record["details"]["reason"] == "confirmed by the central registry"
        assert record["details"]["retention_days"] == 0 and record["details"]["since"]
        assert (await auditor.get("/audit/verify")).json()["ok"] is True

        # status reads keep working without the biometrics
        assert (await desk.get(f"/students/{adult}")).status_code == 200


async def test_a_retention_period_is_waited_for_and_each_deletion_made_once(
        enrollment_settings, rabbit_url, topology):
    settings = enrollment_settings(JEMPUT_BIOMETRIC_RETENTION_DAYS=3)
    async with (
        running_service("enrollment", settings) as service,
        EventTap(rabbit_url, topology.exchange_name("restricted")) as restricted,
        api_client(service.url, timeout=30) as desk,
    ):
        await setup(service, desk, rabbit_url, topology, [ADULT])
        adult = await ready_for_capture(desk, ADULT["nisn"], consent=False)
        assert (await desk.post(f"/students/{adult}/capture", json=capture_body())).status_code == 200
        await restricted.wait_for("card.requested")

        db = service.runtime.db
        assert isinstance(settings, EnrollmentSettings)
        replicas = [BiometricRetention(db, settings), BiometricRetention(db, settings)]
        now = datetime.now(UTC)
        assert await replicas[0].sweep(now) == 0  # confirmed just now: kept for three days
        assert await replicas[0].sweep(now + timedelta(days=2, hours=23)) == 0
        later = now + timedelta(days=3, minutes=1)
        assert sorted([await replicas[0].sweep(later), await replicas[1].sweep(later)]) == [0, 2]
        doc = await db["students"].find_one({"_id": adult})
        assert set(doc["biometrics"]) == {"digest"}
        assert await db["audit"].count_documents({"action": "biometrics.deleted", "target": adult}) == 2
