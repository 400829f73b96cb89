"""Helpers for the printing service's integration tests: synthetic card requests on the real bus."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
from io import BytesIO

import aio_pika
from pypdf import PdfReader

from services.printing.settings import PrintingSettings
from services.printing.synthetic import synthetic_fields, synthetic_photo, synthetic_signature
from shared.events import models as ev
from shared.events import new_event

T0 = dt.datetime(2026, 11, 29, 1, 0, tzinfo=dt.UTC)


def card_requested(n: int = 1, *, request_id: str | None = None, unit_id: str = "unit-1", visit_id: str = "V-1",
                   npsn: str = "20600001", at: dt.datetime | None = None, photo: bytes | None = None):
    """A `card.requested` event as enrollment publishes it, with clearly synthetic data."""
    f = synthetic_fields(n)
    data = ev.CardRequested(
        request_id=request_id or f"REQ-{n:04d}", student_id=f"S-{n:04d}", npsn=npsn, visit_id=visit_id,
        unit_id=unit_id,
        card=ev.CardFields(
            nik=f.nik, name=f.name, birth_place=f.birth_place, birth_date=f.birth_date, sex=f.sex.value,
            blood_type=f.blood_type.value,
            address=ev.CardAddress(street=f.street, rt_rw=f.rt_rw, kelurahan=f.kelurahan_desa,
                                   kecamatan=f.kecamatan, kabupaten="KABUPATEN TANGERANG", provinsi="BANTEN"),
            religion=f.religion, marital_status="BELUM KAWIN",
        ),
        issue_place="KAB. TANGERANG",
        photo_jpeg_b64=base64.b64encode(photo if photo is not None else synthetic_photo(n)).decode(),
        signature_png_b64=base64.b64encode(synthetic_signature(n)).decode(),
        version=1,
    )
    return new_event("enrollment", data, subject=data.student_id, time=at or T0 + dt.timedelta(seconds=n))


async def publish(url: str, exchange: str, event, routing_key: str | None = None) -> None:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        ex = await channel.get_exchange(exchange)
        await ex.publish(
            aio_pika.Message(event.to_json(), message_id=event.id, content_type="application/cloudevents+json",
                             delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key=routing_key or event.routing_key, mandatory=True,
        )


async def eventually(predicate, timeout: float = 20.0, interval: float = 0.05):
    async with asyncio.timeout(timeout):
        while not (result := await predicate()):
            await asyncio.sleep(interval)
    return result


def printing_settings(settings_for, spool_dir, **overrides):
    env = {"PRINTING_SPOOL_DIR": str(spool_dir), "PRINTING_POLL_S": "0.2", "PRINTING_RETRY_BASE_S": "0.2",
           "PRINTING_RETRY_CAP_S": "1", "PRINTING_LOW_STOCK_THRESHOLD": "1", **overrides}
    return settings_for("printing", settings_class=PrintingSettings, **env)


def pdf_pages(data: bytes):
    return PdfReader(BytesIO(data)).pages
