"""The print desk: one step of printing, across a job and its unit's blank stock.

Each function changes the two aggregates in an order that can be repeated after a crash:
the stock step is keyed by the job (or the blank's serial), the job step checks its status.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from .certificate import TemporaryCertificate
from .errors import InvalidTransition, OutOfStock
from .office import IssuingOffice
from .print_job import (
    DEFAULT_RETRY, CertificateRef, JobEvent, JobStatus, PrintJob, ReprintReason, RetryPolicy,
)
from .stock import BlankStock, StockLow

DeskEvent = JobEvent | StockLow


class Started(BaseModel):
    blank_serial: str


class WaitingForStock(BaseModel):
    #: set when this step issued the job's certificate (only the first time)
    certificate: TemporaryCertificate | None
    events: list[JobEvent] = []


def _check_unit(job: PrintJob, stock: BlankStock) -> None:
    if job.unit_id != stock.unit_id:
        raise InvalidTransition(f"job {job.job_id} belongs to unit {job.unit_id}, not {stock.unit_id}")


def begin_print(
    job: PrintJob, stock: BlankStock, at: datetime, issued_on: date, office: IssuingOffice
) -> Started | WaitingForStock:
    """Load a blank for the job, or, with none left, give the student a certificate and wait."""
    _check_unit(job, stock)
    if job.status not in (JobStatus.QUEUED, JobStatus.FAILED):
        raise InvalidTransition(f"job {job.job_id}: cannot start printing while {job.status.value}")
    if job.fields is None:
        raise InvalidTransition(f"job {job.job_id}: card data was purged after handover")
    try:
        serial = stock.take_blank(job.job_id, at)
    except OutOfStock:
        certificate = TemporaryCertificate.issue(
            letter_code=office.letter_code, job_id=job.job_id, request_id=job.request_id,
            student_id=job.student_id, unit_id=job.unit_id, npsn=job.npsn,
            fields=job.fields, issued_on=issued_on,
        )
        ref = CertificateRef(number=certificate.number, issued_at=at, valid_until=certificate.valid_until)
        events = job.wait_for_stock(ref, at)
        return WaitingForStock(certificate=certificate if events else None, events=events)
    job.start(serial, at)
    return Started(blank_serial=serial)


def _serial(job: PrintJob) -> str:
    attempt = job.current_attempt
    if attempt is None:
        raise InvalidTransition(f"job {job.job_id} was never started")
    return attempt.blank_serial


def finish_printed(job: PrintJob, stock: BlankStock, at: datetime) -> list[DeskEvent]:
    _check_unit(job, stock)
    events: list[DeskEvent] = list(job.mark_printed(at))
    events += stock.record_issued(_serial(job), at)
    return events


def finish_failed(
    job: PrintJob, stock: BlankStock, error: str, at: datetime, policy: RetryPolicy = DEFAULT_RETRY
) -> list[DeskEvent]:
    """Printer error before the blank was fed: the blank goes back to stock, the job retries."""
    _check_unit(job, stock)
    serial = _serial(job)
    events: list[DeskEvent] = list(job.mark_failed(error, at, policy))
    stock.release(serial)
    return events


def spoil(job: PrintJob, stock: BlankStock, reason: str, at: datetime, by: str) -> list[DeskEvent]:
    """The blank is ruined (in the printer, or a printed card failed the check)."""
    _check_unit(job, stock)
    serial = _serial(job)
    events: list[DeskEvent] = list(job.mark_spoiled(reason, at, by))
    events += stock.record_spoiled(serial, at, reason)
    return events


def reprint(
    job: PrintJob, stock: BlankStock, reason: ReprintReason, note: str, at: datetime, by: str
) -> list[DeskEvent]:
    """An operator's audited reprint. A printed card being replaced is void: its blank counts
    as spoiled, so `issued` keeps meaning good cards in circulation."""
    _check_unit(job, stock)
    serial = job.card_serial if job.status is JobStatus.PRINTED else None
    job.request_reprint(reason, note, at, by)
    if serial is None:
        return []
    return list(stock.record_spoiled(serial, at, f"replaced by reprint: {reason.value}"))
