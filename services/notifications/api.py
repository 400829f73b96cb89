"""Operators' HTTP API of the notifications service (OpenAPI at /docs and /openapi.json)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Header, HTTPException, Query
from pydantic import BaseModel, Field, ValidationError

from shared.auth import OFFICE, READERS, requires
from shared.service import Runtime

from .adapters.repository import VISITS, DeliveryRepository
from .domain.contacts import RecipientKind
from .domain.delivery import Delivery, DeliveryStatus
from .domain.language import Channel, Language
from .domain.messages import CHANNELS_OF, MessageKind, parse_view
from .domain.segments import SegmentInfo
from .rendering import TemplateMissing, render


def mask_address(address: str) -> str:
    """Enough to recognise, not enough to copy: '+62812****0001', 't***@sman99.sch.id'."""
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    return address[:6] + "*" * max(0, len(address) - 10) + address[-4:] if len(address) > 10 else "****"


class DeliveryOut(BaseModel):
    delivery_id: str
    cause_event_id: str
    cause_type: str
    kind: MessageKind
    recipient_id: str
    recipient_kind: RecipientKind
    channel: Channel
    address: str = Field(description="masked")
    language: Language
    about: str
    status: DeliveryStatus
    due_at: datetime
    next_attempt_at: datetime
    attempts: int
    held: str | None
    sent_at: datetime | None
    segments: int | None
    last_error: str | None
    resend_of: str | None
    cancelled_reason: str | None
    history: list[dict[str, Any]]

    @classmethod
    def of(cls, d: Delivery) -> DeliveryOut:
        data = d.model_dump(mode="python")
        data["address"] = mask_address(d.address)
        data["history"] = [a.model_dump(mode="json") for a in d.history]
        data["held"] = d.held.value if d.held else None
        return cls.model_validate(data)


class PreviewRequest(BaseModel):
    kind: MessageKind
    channel: Channel
    language: Language = Language.ID
    recipient_kind: RecipientKind = RecipientKind.STUDENT
    view: dict[str, Any] = Field(description="the view the template needs, e.g. a VisitView for visit_reminder")


class PreviewOut(BaseModel):
    kind: MessageKind
    channel: Channel
    language: Language
    subject: str | None
    body: str
    segments: SegmentInfo | None


class TemplateOut(BaseModel):
    kind: MessageKind
    channels: list[Channel]
    languages: list[Language]


def build_api(runtime: Runtime) -> FastAPI:
    api = FastAPI(
        title="Jemput notifications", version="1.0.0",
        description="Deliveries of emails, SMS and WhatsApp messages: look up, resend, preview templates.",
    )

    def repo() -> DeliveryRepository:
        return runtime.state.get("deliveries") or DeliveryRepository(runtime.db)

    @api.get("/deliveries", tags=["deliveries"], response_model=list[DeliveryOut],
             dependencies=[requires(*OFFICE)])
    async def list_deliveries(
        recipient_id: str | None = Query(None, description="e.g. student:S-1, guardian:S-1:guardian, school:20612345"),
        cause_event_id: str | None = Query(None, description="the event that caused the messages"),
        student_id: str | None = Query(None, description="a student and their guardians together"),
        status: DeliveryStatus | None = None,
        limit: int = Query(100, ge=1, le=1000),
    ) -> list[DeliveryOut]:
        """Deliveries by recipient (or by student, guardians included) or by cause, newest first."""
        if recipient_id is None and cause_event_id is None and student_id is None:
            raise HTTPException(422, "give recipient_id, student_id or cause_event_id")
        query: dict[str, Any] = {}
        if recipient_id is not None:
            query["recipient_id"] = recipient_id
        elif student_id is not None:
            query["recipient_id"] = {"$regex": f"^(student|guardian):{re.escape(student_id)}(:[^:]+)?$"}
        if cause_event_id is not None:
            query["cause_event_id"] = cause_event_id
        if status is not None:
            query["status"] = status.value
        return [DeliveryOut.of(d) for d in await repo().find(query, limit)]

    @api.get("/deliveries/stats", tags=["deliveries"], dependencies=[requires(*READERS)])
    async def delivery_stats() -> dict[str, int]:
        """How many deliveries are in each status."""
        return await repo().count_by_status()

    @api.get("/deliveries/{delivery_id}", tags=["deliveries"], response_model=DeliveryOut,
             dependencies=[requires(*OFFICE)])
    async def get_delivery(delivery_id: str) -> DeliveryOut:
        found = await repo().get(delivery_id)
        if found is None:
            raise HTTPException(404, f"delivery {delivery_id} not found")
        return DeliveryOut.of(found[0])

    @api.post("/deliveries/{delivery_id}/resend", tags=["deliveries"], status_code=202, response_model=DeliveryOut,
              dependencies=[requires(*OFFICE)])
    async def resend(
        delivery_id: str,
        idempotency_key: str | None = Header(None, description="the same key resends once"),
    ) -> DeliveryOut:
        """Send the same message again to the same recipient, as a new delivery linked to the first."""
        found = await repo().get(delivery_id)
        if found is None:
            raise HTTPException(404, f"delivery {delivery_id} not found")
        original = found[0]
        if original.status is DeliveryStatus.SUPPRESSED:
            raise HTTPException(409, "the recipient opted out of this channel")
        clock = runtime.state.get("clock")
        now = clock() if clock else datetime.now().astimezone()
        again = original.resend(idempotency_key or str(uuid.uuid4()), now)
        if not await repo().insert_one(again):
            existing = await repo().get(again.delivery_id)
            return DeliveryOut.of(existing[0])
        wake = runtime.state.get("dispatcher_wakeup")
        if wake is not None:
            wake.set()
        return DeliveryOut.of(again)

    @api.get("/templates", tags=["templates"], response_model=list[TemplateOut],
             dependencies=[requires(*READERS)])
    async def templates() -> list[TemplateOut]:
        return [TemplateOut(kind=k, channels=list(CHANNELS_OF[k]), languages=list(Language)) for k in MessageKind]

    @api.post("/templates/preview", tags=["templates"], response_model=PreviewOut,
              dependencies=[requires(*OFFICE)])
    async def preview(request: PreviewRequest) -> PreviewOut:
        """Render a template with the given view, as the recipient would get it (with SMS segment count)."""
        try:
            view = parse_view(request.kind, request.view)
        except ValidationError as error:
            detail = [{"loc": ["view", *e["loc"]], "msg": e["msg"], "type": e["type"]}
                      for e in error.errors(include_url=False, include_input=False)]
            raise HTTPException(422, detail) from None
        try:
            msg = render(request.kind, request.channel, request.language, view, request.recipient_kind)
        except TemplateMissing as error:
            raise HTTPException(422, str(error)) from None
        return PreviewOut(**msg.model_dump())

    @api.get("/visits/{visit_id}", tags=["visits"], dependencies=[requires(*OFFICE)])
    async def get_visit(visit_id: str) -> dict[str, Any]:
        """This service's own record of a visit, kept from the scheduling service's events."""
        doc = await runtime.db[VISITS].find_one({"_id": visit_id}, {"applied_events": 0})
        if doc is None:
            raise HTTPException(404, f"visit {visit_id} not known here")
        return {**doc, "visit_id": doc.pop("_id")}

    return api
