"""Event handlers of the printing service: `card.requested` (restricted exchange) -> one print job."""

from __future__ import annotations

import base64
import binascii
import logging
from io import BytesIO

from PIL import Image

from pydantic import ValidationError

from shared.bus.consumer import Consumer, describe_validation
from shared.bus.errors import PoisonMessage
from shared.envelope import CloudEvent
from shared.events import models as ev
from shared.service import Runtime

from .adapters.intake_repository import IntakeLog
from .domain.card import Card, CardFields, CardImages, CardIssue
from .domain.office import IssuingOffice
from .domain.print_job import CardRequest, PrintJob
from .rendering.card_layout import TooLong, front_texts
from .settings import SAFE_UNIT

log = logging.getLogger("jemput.printing.handlers")
consumer = Consumer("printing")


def _decode(field: str, value: str | None) -> bytes | None:
    if value is None:
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise PoisonMessage(f"data.{field}: not base64") from None


def card_request(event: CloudEvent, data: ev.CardRequested, office: IssuingOffice) -> CardRequest:
    """The domain's view of a request, or PoisonMessage naming the field and the reason."""
    if not SAFE_UNIT.fullmatch(data.unit_id):
        raise PoisonMessage("data.unit_id: only letters, digits, '.', '_' and '-' can name a unit's printer")
    card, address = data.card, data.card.address
    rt, rw = address.rt_rw.split("/")
    try:
        fields = CardFields(
            nik=card.nik, name=card.name, birth_place=card.birth_place, birth_date=card.birth_date,
            sex=card.sex, blood_type=card.blood_type, street=address.street, rt=rt, rw=rw,
            kelurahan_desa=address.kelurahan, kecamatan=address.kecamatan, religion=card.religion,
            marital_status=card.marital_status, occupation=card.occupation, citizenship=card.citizenship,
            validity=card.validity,
        )
    except ValidationError as error:
        raise PoisonMessage("card fields: " + describe_validation("data.card.", error)) from None
    try:
        images = CardImages(photo=_decode("photo_jpeg_b64", data.photo_jpeg_b64),
                            signature=_decode("signature_png_b64", data.signature_png_b64))
    except ValidationError as error:
        raise PoisonMessage("images: " + describe_validation("data.", error)) from None
    _check_readable("photo_jpeg_b64", images.photo)
    if images.signature is not None:
        _check_readable("signature_png_b64", images.signature)
    request = CardRequest(
        event_id=event.id, request_id=data.request_id, requested_at=event.time, student_id=data.student_id, unit_id=data.unit_id,
        visit_id=data.visit_id, npsn=data.npsn, fields=fields, images=images, place_of_issue=data.issue_place,
        province=address.provinsi, regency=address.kabupaten,
    )
    _check_fits(request, office)
    return request


def _check_readable(field: str, image: bytes) -> None:
    """A photo or signature that cannot be decoded can never be printed: refuse it now."""
    try:
        with Image.open(BytesIO(image)) as picture:
            picture.load()
            width, height = picture.size
    except Exception:
        raise PoisonMessage(f"data.{field}: the image cannot be decoded") from None
    if width < 16 or height < 16:
        raise PoisonMessage(f"data.{field}: the image is too small ({width}x{height} pixels)")


def _check_fits(request: CardRequest, office: IssuingOffice) -> None:
    """Refuse now, not at the printer, a value that cannot fit on the card."""
    try:
        issue = CardIssue(province=request.province or office.province, regency=request.regency or office.regency,
                          place_of_issue=request.place_of_issue or office.place_of_issue,
                          date_of_issue=request.requested_at.date(), card_serial="0" * 20)
        front_texts(Card(fields=request.fields, images=request.images, issue=issue))
    except TooLong as error:
        raise PoisonMessage(f"data.card.{error}") from None
    except ValidationError as error:
        raise PoisonMessage("issue: " + describe_validation("data.", error)) from None


@consumer.on("card.requested")
async def on_card_requested(event: CloudEvent, data: ev.CardRequested, rt: Runtime) -> None:
    """Exactly one job per request: the job's id is the event id, and the request id is unique."""
    station = rt.state["station"]
    intake: IntakeLog = rt.state["intake"]
    facts = {"request_id": data.request_id, "student_id": data.student_id, "npsn": data.npsn,
             "unit_id": data.unit_id, "visit_id": data.visit_id, "received_at": event.time}
    try:
        request = card_request(event, data, station.settings.office)
    except PoisonMessage as refused:
        await intake.record(event.id, **facts, outcome="refused", reason=refused.reason)
        raise
    job = PrintJob.from_request(request, station.clock())
    if await station.jobs.create(job, event.correlationid):
        log.info("print job queued", extra={"job_id": job.job_id, "unit_id": job.unit_id})
        station.wakeup.set()
        existing: str | None = job.job_id
    else:  # this request has a job already: which one
        existing = await station.jobs.job_id_for_request(data.request_id)
    outcome = "queued" if existing == event.id else "duplicate"
    await intake.record(event.id, **facts, outcome=outcome, job_id=existing)
