"""Helpers for the enrollment integration tests (synthetic data only)."""

from __future__ import annotations

import asyncio
import base64
import csv
import datetime as dt
import io

import aio_pika
import httpx

from enrollment_images import capture_payload
from enrollment_synthetic import HOME_SCHOOL, OTHER_SCHOOL
from shared.events import models as ev
from shared.events import new_event

TEST_KEY = "k1:" + base64.b64encode(bytes(range(32))).decode()  # a test key, never used in use
VISIT_ID = "V-it-1"
VISIT_DATE = dt.date(2026, 7, 20)
FIELDS = ["nisn", "nik", "kk", "name", "birth_place", "birth_date", "sex", "npsn",
          "class_name", "phone", "guardian_name", "guardian_phone", "marital_status"]


async def publish(url: str, exchange: str, event) -> None:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        ex = await channel.get_exchange(exchange)
        await ex.publish(
            aio_pika.Message(event.to_json(), message_id=event.id,
                             content_type="application/cloudevents+json",
                             delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key=event.routing_key, mandatory=True)


async def eventually(predicate, timeout: float = 20.0, interval: float = 0.05):
    async with asyncio.timeout(timeout):
        while not (result := await predicate()):
            await asyncio.sleep(interval)
    return result


async def announce_schools_and_visit(rabbit_url: str, topology, service) -> None:
    """What scheduling would publish: the schools and a visit to the home school."""
    exchange = topology.exchange_name("events")
    for npsn, name in ((HOME_SCHOOL, "SMAN 99 Contoh"), (OTHER_SCHOOL, "SMKN 98 Contoh")):
        await publish(rabbit_url, exchange, new_event("scheduling", ev.SchoolRegistered(
            npsn=npsn, name=name, kind="SMA", status="negeri", kecamatan="Balaraja", version=1),
            subject=npsn))
    await publish(rabbit_url, exchange, new_event("scheduling", ev.VisitScheduled(
        visit_id=VISIT_ID, npsn=HOME_SCHOOL, school_name="SMAN 99 Contoh", kecamatan="Balaraja",
        unit_id="unit-1", date=VISIT_DATE, session_start="08:00", session_end="13:00",
        expected_students=10, version=1), subject=VISIT_ID))
    db = service.runtime.db

    async def arrived():
        return (await db["schools"].count_documents({}) == 2
                and await db["visits"].count_documents({"_id": VISIT_ID}) == 1)

    await eventually(arrived)


def roster_csv(rows: list[dict[str, object]], *, delimiter: str = ";") -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter)
    writer.writerow(FIELDS)
    for row in rows:
        writer.writerow([row.get(f, "") for f in FIELDS])
    return b"\xef\xbb\xbf" + text.getvalue().encode()


async def import_roster(http: httpx.AsyncClient, content: bytes, name: str = "roster.csv"):
    response = await http.post("/rosters", files={"file": (name, content, "text/csv")})
    assert response.status_code == 200, response.text
    return response.json()


CARD_DETAILS = {
    "address": {"street": "JL. CONTOH NO. 1", "rt_rw": "001/002", "kelurahan": "DESA CONTOH",
                "kecamatan": "BALARAJA", "kabupaten": "TANGERANG", "provinsi": "BANTEN"},
    "religion": "Islam", "blood_type": "O",
}


def capture_body(**over):
    return {"visit_id": VISIT_ID, "operator_id": "op-1", "card_details": CARD_DETAILS,
            "biometrics": capture_payload(**over)}


CONSENT = {"guardian_name": "Wali Contoh", "relationship": "ibu", "method": "signed_form",
           "reference": "FORM-0001", "given_at": "2026-07-01T08:00:00Z", "operator_id": "op-1"}


async def student_id_of(http: httpx.AsyncClient, nisn: str) -> str:
    response = await http.post("/students/lookup", json={"nisn": nisn})
    assert response.status_code == 200, response.text
    return response.json()["student_id"]


async def ready_for_capture(http: httpx.AsyncClient, nisn: str, *, consent: bool = True) -> str:
    student_id = await student_id_of(http, nisn)
    response = await http.post(f"/students/{student_id}/check-ins",
                               json={"visit_id": VISIT_ID, "operator_id": "op-1"})
    assert response.status_code == 200, response.text
    if consent:
        response = await http.post(f"/students/{student_id}/consents", json=CONSENT)
        assert response.status_code == 201, response.text
    return student_id
