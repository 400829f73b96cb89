"""Small helpers shared by the platform's integration tests."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import aio_pika

from shared.bus import Consumer
from shared.events import models as ev
from shared.events import new_event
from shared.service import ServiceDefinition

def _synthetic_jpeg() -> str:
    """A real, decodable JPEG of a flat grey square: a photo of nobody."""
    import base64
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (120, 160), (128, 128, 128)).save(buffer, "JPEG")
    return base64.b64encode(buffer.getvalue()).decode()


JPEG_STUB = _synthetic_jpeg()


def card_requested(request_id: str = "R-1", version: int = 1):
    data = ev.CardRequested(
        request_id=request_id, student_id="S-0001", npsn="20612345", visit_id="V-1", unit_id="unit-1",
        card=ev.CardFields(
            nik="3603015012070001", name="SISWA CONTOH SATU", birth_place="TANGERANG",
            birth_date=dt.date(2007, 12, 10), sex="PEREMPUAN",
            address=ev.CardAddress(street="JL. CONTOH NO. 1", rt_rw="001/002", kelurahan="DESA CONTOH",
                                   kecamatan="BALARAJA"),
            religion="ISLAM", marital_status="BELUM KAWIN",
        ),
        issue_place="KAB. TANGERANG", photo_jpeg_b64=JPEG_STUB, version=version,
    )
    return new_event("enrollment", data, subject="S-0001")


def visit_event(kind: str, visit_id: str, version: int, **extra: Any):
    base = dict(visit_id=visit_id, npsn="20612345", unit_id="unit-1", date=dt.date(2026, 5, 6), version=version)
    if kind in {"scheduled", "rescheduled"}:
        base.update(plan_id="P-1", school_name="SMAN 99 Contoh", kecamatan="Balaraja", session_start="08:00",
                    session_end="12:00", expected_students=100)
    model = {"scheduled": ev.VisitScheduled, "rescheduled": ev.VisitRescheduled, "cancelled": ev.VisitCancelled}[kind]
    return new_event("scheduling", model(**{**base, **extra}), subject=visit_id)


async def publish_raw(url: str, exchange: str, routing_key: str, body: bytes, *, message_id: str | None = None) -> None:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        ex = await channel.get_exchange(exchange)
        await ex.publish(
            aio_pika.Message(body, message_id=message_id, content_type="application/cloudevents+json",
                             delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key=routing_key, mandatory=True,
        )


async def publish_event(url: str, exchange: str, event) -> None:
    await publish_raw(url, exchange, event.routing_key, event.to_json(), message_id=event.id)


async def eventually(predicate, timeout: float = 15.0, interval: float = 0.05):
    async with asyncio.timeout(timeout):
        while not (result := await predicate()):
            await asyncio.sleep(interval)
    return result


def body_of(message) -> dict:
    return json.loads(message.body)


def failing_printing(fails: int | None, attempts: list[str], error: Exception) -> ServiceDefinition:
    """A printing service whose card.requested handler raises ``error`` ``fails`` times (None:
    always), then records the request; each attempt's event id goes into ``attempts``."""
    consumer = Consumer("printing")

    @consumer.on("card.requested")
    async def on_card_requested(event, data, rt) -> None:
        attempts.append(event.id)
        if fails is None or len(attempts) <= fails:
            raise error
        await rt.db["card_requests"].insert_one({"_id": event.id})

    return ServiceDefinition(name="printing", consumer=consumer)
