"""The platform's first real flow: a visit created over HTTP reaches enrollment and notifications
through the outbox and the broker, and each keeps its own record of it."""

from __future__ import annotations

import asyncio


from shared.testing import EventTap, api_client, running_service

VISIT = {
    "npsn": "20612345", "school_name": "SMAN 99 Contoh", "kecamatan": "Balaraja",
    "unit_id": "unit-1", "date": "2026-05-06", "expected_students": 120,
}


async def wait_for_doc(collection, query, timeout: float = 15.0):
    async with asyncio.timeout(timeout):
        while (doc := await collection.find_one(query)) is None:
            await asyncio.sleep(0.05)
    return doc


async def test_visit_created_over_http_reaches_enrollment_and_notifications(settings_for, rabbit_url, topology):
    async with (
        running_service("enrollment", settings_for("enrollment")) as enrollment,
        running_service("notifications", settings_for("notifications")) as notifications,
        running_service("scheduling", settings_for("scheduling")) as scheduling,
        EventTap(rabbit_url, topology.exchange_name("events")) as tap,
    ):
        async with api_client(scheduling.url) as http:
            response = await http.post("/visits", json=VISIT)
        assert response.status_code == 201, response.text
        visit = response.json()
        assert visit["status"] == "scheduled" and visit["version"] == 1

        [message] = await tap.wait_for("visit.scheduled")
        assert message["body"]["type"] == "jemput.visit.scheduled.v1"
        assert message["body"]["data"]["visit_id"] == visit["visit_id"]
        assert message["message_id"] == message["body"]["id"]
        assert message["delivery_mode"] == 2  # persistent
        assert message["content_type"] == "application/cloudevents+json"

        for service in (enrollment, notifications):
            copy = await wait_for_doc(service.runtime.db["visits"], {"_id": visit["visit_id"]})
            assert copy["status"] == "scheduled"
            assert copy["npsn"] == VISIT["npsn"] and copy["expected_students"] == 120
            assert copy["last_event_id"] == message["body"]["id"]

        stored = await scheduling.runtime.db["visits"].find_one({"_id": visit["visit_id"]})
        assert stored["outbox"] == []  # the relay removed what it published
