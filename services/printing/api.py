"""Operators' HTTP API of the printing service: queues, jobs, reprints, handover, blank stock."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated, Literal

from fastapi import FastAPI, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from shared.audit import AuditLog, audit_router
from shared.auth import OFFICE, READERS, SUPERVISION, Principal, Role, requires
from shared.service import Runtime

from .adapters.concurrency import ConcurrentUpdate, NotFound
from .domain.errors import InvalidTransition, StockError
from .domain.print_job import JobStatus, PrintJob, ReprintReason
from .domain.stock import DailyStockReport, Reconciliation
from .rendering.card_pdf import render_card_pdf
from .rendering.card_preview import render_card_preview
from .rendering.certificate_pdf import render_certificate_pdf
from .station import PrintStation

Operator = Annotated[str, Field(min_length=1, max_length=64, description="operator id, not a name")]
UnitId = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
                             description="letters, digits, '.', '_', '-': it names the unit's printer")]


class JobSummary(BaseModel):
    job_id: str
    request_id: str
    student_id: str
    masked_nik: str
    name: str | None = Field(None, description="for calling the student at handover; gone after handover")
    npsn: str
    unit_id: str
    visit_id: str | None
    status: JobStatus
    requested_at: dt.datetime
    attempts: int
    waiting_for_stock: bool
    needs_attention: bool
    retry_at: dt.datetime | None
    certificate_number: str | None
    card_serial: str | None
    printed_at: dt.datetime | None
    handed_over_at: dt.datetime | None
    handed_over_by: str | None
    stuck: bool = Field(False, description="printing for longer than a printer takes: check the printer, "
                                           "then confirm-printed or spoil")

    @classmethod
    def of(cls, job: PrintJob, stuck: bool = False) -> JobSummary:
        return cls(
            job_id=job.job_id, request_id=job.request_id, student_id=job.student_id, masked_nik=job.masked_nik,
            name=job.fields.name if job.fields else None, npsn=job.npsn, unit_id=job.unit_id,
            visit_id=job.visit_id, status=job.status, requested_at=job.requested_at, attempts=len(job.attempts),
            waiting_for_stock=job.waiting_for_stock, needs_attention=job.needs_attention, retry_at=job.retry_at,
            certificate_number=job.certificate.number if job.certificate else None, card_serial=job.card_serial,
            printed_at=job.printed_at, handed_over_at=job.handover.at if job.handover else None,
            handed_over_by=job.handover.by if job.handover else None, stuck=stuck,
        )


class JobDetail(JobSummary):
    history: list[dict]


class IntakeOut(BaseModel):
    event_id: str
    request_id: str
    student_id: str
    npsn: str
    unit_id: str
    visit_id: str | None
    received_at: dt.datetime
    outcome: Literal["queued", "duplicate", "refused"]
    job_id: str | None
    reason: str | None


class ReprintIn(BaseModel):
    reason: ReprintReason
    note: str = Field(min_length=1, max_length=200)
    by: Operator


class SpoilIn(BaseModel):
    reason: str = Field(min_length=1, max_length=200)
    by: Operator


class RetryIn(BaseModel):
    by: Operator


class ConfirmIn(RetryIn):
    pass


class HandoverIn(BaseModel):
    by: Operator
    recipient: str = Field("holder", min_length=1, max_length=80,
                           description="'holder', or who collected it for the student (e.g. 'guardian')")


class ReceiptIn(BaseModel):
    batch_no: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9./-]{0,31}$")
    quantity: int = Field(ge=1, le=100_000)
    by: Operator


class WriteOffIn(BaseModel):
    quantity: int = Field(ge=1, le=100_000)
    reason: str = Field(min_length=1, max_length=200)
    by: Operator


class ThresholdIn(BaseModel):
    threshold: int = Field(ge=0, le=100_000)


class StockOut(Reconciliation):
    threshold: int
    low: bool
    batches: list[dict]


def build_api(runtime: Runtime) -> FastAPI:
    api = FastAPI(title="Jemput printing", version="1.0.0",
                  description="Same-day KTP-el printing: print queues, reprints, handover, blank stock.")

    def station() -> PrintStation:
        return runtime.state["station"]

    @api.exception_handler(NotFound)
    async def _not_found(_: Request, error: NotFound) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=404)

    @api.exception_handler(InvalidTransition)
    async def _conflict(_: Request, error: InvalidTransition) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=409)

    @api.exception_handler(StockError)
    async def _stock(_: Request, error: StockError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=409)

    @api.exception_handler(ConcurrentUpdate)
    async def _busy(_: Request, error: ConcurrentUpdate) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=503, headers={"Retry-After": "1"})

    # -- queue and jobs ---------------------------------------------------------------------

    @api.get("/queue", response_model=list[JobSummary], tags=["print jobs"],
             dependencies=[requires(*OFFICE)])
    async def queue(unit_id: str, visit_id: str | None = None,
                    include_done: bool = Query(False, description="include cards already handed over")) -> list:
        """A unit's print queue (optionally one visit's) in FIFO order."""
        jobs = await station().jobs.queue(unit_id, visit_id, include_done=include_done)
        return [JobSummary.of(job, station().is_stuck(job)) for job in jobs]

    @api.get("/jobs/{job_id}", response_model=JobDetail, tags=["print jobs"],
             dependencies=[requires(*OFFICE)])
    async def job(job_id: str) -> JobDetail:
        found = await station().job(job_id)
        return JobDetail(**JobSummary.of(found, station().is_stuck(found)).model_dump(),
                         history=[h.model_dump(mode="json") for h in found.history])

    @api.get("/jobs/{job_id}/card.pdf", tags=["print jobs"], response_class=Response,
             responses={200: {"content": {"application/pdf": {}}}},
             dependencies=[requires(*OFFICE)])
    async def card_pdf(job_id: str) -> Response:
        """The card as sent to the printer (the last serial used, or PREVIEW before printing)."""
        found, card = await _card(job_id)
        return Response(await asyncio.to_thread(render_card_pdf, card), media_type="application/pdf")

    @api.get("/jobs/{job_id}/preview.png", tags=["print jobs"], response_class=Response,
             responses={200: {"content": {"image/png": {}}}},
             dependencies=[requires(*OFFICE)])
    async def preview(job_id: str, dpi: int = Query(200, ge=50, le=600)) -> Response:
        _, card = await _card(job_id)
        return Response(await asyncio.to_thread(render_card_preview, card, dpi), media_type="image/png")

    async def _card(job_id: str):
        found = await station().job(job_id)
        if found.fields is None or found.images is None:
            raise HTTPException(410, f"job {job_id}: card data was removed after handover")
        attempt = found.current_attempt
        serial = found.card_serial or (attempt.blank_serial if attempt else "PREVIEW")
        at = found.printed_at or station().clock()
        return found, station().card(found, serial, at)

    @api.get("/jobs/{job_id}/certificate.pdf", tags=["certificates"], response_class=Response,
             responses={200: {"content": {"application/pdf": {}}}},
             dependencies=[requires(*OFFICE)])
    async def certificate_pdf(job_id: str) -> Response:
        """The Surat Keterangan issued while the job waited for blanks."""
        found = await station().job(job_id)
        if found.certificate is None:
            raise HTTPException(404, f"job {job_id} has no temporary certificate")
        if found.fields is None or found.images is None:
            raise HTTPException(410, f"job {job_id}: card data was removed after handover")
        certificate = station().certificate(found, found.certificate.issued_at)
        pdf = await asyncio.to_thread(render_certificate_pdf, certificate, station().settings.office,
                                      found.images.photo)
        return Response(pdf, media_type="application/pdf")

    @api.post("/jobs/{job_id}/reprint", response_model=JobSummary, tags=["print jobs"])
    async def reprint(job_id: str, body: ReprintIn, who: Principal = requires(*SUPERVISION)) -> JobSummary:
        """Audited reprint on a new blank; a printed card being replaced counts as spoiled."""
        job = await station().reprint(job_id, body.reason, body.note, body.by)
        await AuditLog(runtime.db, runtime.service).record(
            who, "card.reprinted", job_id, {"reason": body.reason.value, "note": body.note, "by": body.by,
                                            "student_id": job.student_id})
        return JobSummary.of(job)

    @api.post("/jobs/{job_id}/spoil", response_model=JobSummary, tags=["print jobs"],
             dependencies=[requires(*OFFICE)])
    async def spoil(job_id: str, body: SpoilIn) -> JobSummary:
        """The card came out ruined, or failed the check before handover: its blank is spoiled."""
        return JobSummary.of(await station().spoil(job_id, body.reason, body.by))

    @api.post("/jobs/{job_id}/confirm-printed", response_model=JobSummary, tags=["print jobs"],
             dependencies=[requires(*OFFICE)])
    async def confirm_printed(job_id: str, body: ConfirmIn) -> JobSummary:
        """A job stuck in `printing` (the service stopped mid-print) whose card came out good."""
        return JobSummary.of(await station().confirm_printed(job_id, body.by))

    @api.post("/jobs/{job_id}/not-printed", response_model=JobSummary, tags=["print jobs"],
             dependencies=[requires(*OFFICE)])
    async def not_printed(job_id: str, body: ConfirmIn) -> JobSummary:
        """A job stuck in `printing` whose card never came out: the blank goes back, it prints again."""
        return JobSummary.of(await station().not_printed(job_id, body.by))

    @api.post("/jobs/{job_id}/retry", response_model=JobSummary, tags=["print jobs"],
             dependencies=[requires(*OFFICE)])
    async def retry(job_id: str, body: RetryIn) -> JobSummary:
        """Put a failed job back in line now (after fixing the printer)."""
        return JobSummary.of(await station().retry(job_id, body.by))

    @api.post("/jobs/{job_id}/handover", response_model=JobSummary, tags=["handover"],
             dependencies=[requires(*OFFICE)])
    async def handover(job_id: str, body: HandoverIn) -> JobSummary:
        """The card is in the student's hands; its personal data is removed from printing."""
        return JobSummary.of(await station().hand_over(job_id, body.by, body.recipient))

    @api.get("/schools/{npsn}/uncollected", response_model=list[JobSummary], tags=["handover"],
             dependencies=[requires(*OFFICE, Role.SCHOOL)])
    async def uncollected(npsn: str) -> list:
        """Cards printed for a school's students and not yet handed over."""
        return [JobSummary.of(job) for job in await station().jobs.uncollected(npsn)]

    @api.get("/schools/{npsn}/certificates", response_model=list[JobSummary], tags=["certificates"],
             dependencies=[requires(*OFFICE, Role.SCHOOL)])
    async def certificates(npsn: str) -> list:
        """Students holding a temporary certificate whose card is not printed yet."""
        return [JobSummary.of(job) for job in await station().jobs.waiting_with_certificate(npsn)]

    @api.get("/card-requests", response_model=list[IntakeOut], tags=["print jobs"],
             dependencies=[requires(*READERS)])
    async def card_requests(outcome: Literal["queued", "duplicate", "refused"] | None = None,
                            limit: int = Query(200, ge=1, le=1000)) -> list:
        """Card requests received and what became of them; `refused` ones can never print."""
        return await runtime.state["intake"].list(outcome, limit)

    # -- blank stock ------------------------------------------------------------------------

    def _stock_out(stock) -> StockOut:
        return StockOut(**stock.reconcile().model_dump(), threshold=stock.threshold, low=stock.is_low,
                        batches=[b.model_dump(mode="json") for b in stock.batches])

    @api.get("/stock", response_model=list[StockOut], tags=["blank stock"],
             dependencies=[requires(*READERS)])
    async def all_stock() -> list:
        return [_stock_out(stock) for stock in await station().stocks.all()]

    @api.get("/stock/{unit_id}", response_model=StockOut, tags=["blank stock"],
             dependencies=[requires(*READERS)])
    async def stock(unit_id: str) -> StockOut:
        """Reconciliation: received = issued + spoiled + remaining."""
        return _stock_out(await station().stocks.get(unit_id))

    @api.post("/stock/{unit_id}/receipts", response_model=Reconciliation, status_code=201, tags=["blank stock"],
             dependencies=[requires(*OFFICE)])
    async def receive(unit_id: UnitId, body: ReceiptIn) -> Reconciliation:
        """Book a delivery of blanks (batch number once); jobs waiting for stock then print in order."""
        return await station().receive_stock(unit_id, body.batch_no, body.quantity, body.by)

    @api.post("/stock/{unit_id}/write-offs", response_model=Reconciliation, tags=["blank stock"],
             dependencies=[requires(*OFFICE)])
    async def write_off(unit_id: str, body: WriteOffIn) -> Reconciliation:
        """Blanks damaged in storage or transport."""
        return await station().write_off(unit_id, body.quantity, body.reason, body.by)

    @api.put("/stock/{unit_id}/threshold", response_model=Reconciliation, tags=["blank stock"],
             dependencies=[requires(*SUPERVISION)])
    async def threshold(unit_id: str, body: ThresholdIn) -> Reconciliation:
        return await station().set_threshold(unit_id, body.threshold)

    @api.get("/stock/{unit_id}/report", response_model=DailyStockReport, tags=["blank stock"],
             dependencies=[requires(*READERS)])
    async def report(unit_id: str, day: dt.date | None = None) -> DailyStockReport:
        """One local day's movements and balance (default: today in the office's time zone)."""
        return await station().daily_report(unit_id, day or station().today(station().clock()))

    @api.get("/stock-report", response_model=list[DailyStockReport], tags=["blank stock"],
             dependencies=[requires(*READERS)])
    async def report_all(day: dt.date | None = None) -> list:
        """The daily stock report of every unit."""
        day = day or station().today(station().clock())
        return [stock.daily_report(day, station().settings.tz) for stock in await station().stocks.all()]

    api.include_router(audit_router(lambda: AuditLog(runtime.db, runtime.service)))
    return api
