"""A print job: one per card request, from the queue to a card in the student's hands.

    queued -> printing -> printed | failed | spoiled
    failed  -> printing            (automatic retry after back-off, or an operator's retry)
    printed | spoiled -> queued    (explicit, audited reprint with a reason: a new blank)

A job that found no blank waits in the queue (`waiting_for_stock`) with a temporary
certificate issued once; it prints in its turn when stock arrives. Every transition is
written to the job's audit trail; the job id is the id of the `card.requested` event, so
a redelivered request finds the job it already made (and the request id is unique too).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from .card import CardFields, CardImages
from .errors import InvalidTransition

MAX_AUTOMATIC_ATTEMPTS = 5
RETRY_BASE = timedelta(seconds=30)
RETRY_CAP = timedelta(minutes=10)


class RetryPolicy(BaseModel):
    """Back-off after printer errors: base, 2 x base, 4 x base ... up to cap; then an operator."""

    max_attempts: Annotated[int, Field(ge=1)] = MAX_AUTOMATIC_ATTEMPTS
    base: timedelta = RETRY_BASE
    cap: timedelta = RETRY_CAP

    def delay(self, failures_in_row: int) -> timedelta:
        return min(self.base * 2 ** (failures_in_row - 1), self.cap)


DEFAULT_RETRY = RetryPolicy()


class JobStatus(StrEnum):
    QUEUED = "queued"
    PRINTING = "printing"
    PRINTED = "printed"
    FAILED = "failed"
    SPOILED = "spoiled"


class ReprintReason(StrEnum):
    DAMAGED = "damaged"
    MISPRINT = "misprint"


class AttemptOutcome(StrEnum):
    PRINTED = "printed"
    FAILED = "failed"
    SPOILED = "spoiled"


class CardRequest(BaseModel):
    """The printing-relevant content of a `card.requested` event."""

    event_id: str  # id of the card.requested event: the job's id
    request_id: str  # enrollment's id of the request: one job per request
    requested_at: datetime
    student_id: str
    unit_id: str
    visit_id: str | None
    npsn: str
    fields: CardFields
    images: CardImages
    #: printed on the card; None: the office's own (settings)
    place_of_issue: str | None = None
    province: str | None = None
    regency: str | None = None


class PrintAttempt(BaseModel):
    number: int
    blank_serial: str
    started_at: datetime
    reprint: bool = False
    outcome: AttemptOutcome | None = None
    ended_at: datetime | None = None
    error: str | None = None


class AuditEntry(BaseModel):
    at: datetime
    action: str
    by: str
    from_status: JobStatus | None = None
    to_status: JobStatus
    reason: str | None = None


class CertificateRef(BaseModel):
    """The temporary certificate given while the job waits for stock."""

    number: str
    issued_at: datetime
    valid_until: date


class CertificateIssued(BaseModel):
    kind: Literal["certificate.issued"] = "certificate.issued"
    job_id: str
    number: str
    issued_at: datetime
    valid_until: date


class Handover(BaseModel):
    at: datetime
    by: str  # the officer who handed the card over
    recipient: Annotated[str, Field(min_length=1, max_length=80)] = "holder"


# -- domain events (mapped to the public catalogue by the handlers) ------------------------


class CardPrinted(BaseModel):
    kind: Literal["card.printed"] = "card.printed"
    job_id: str
    card_serial: str
    printed_at: datetime
    reprint: bool


class CardPrintFailed(BaseModel):
    kind: Literal["card.print_failed"] = "card.print_failed"
    job_id: str
    attempt: int
    outcome: AttemptOutcome  # failed (printer error) or spoiled (blank ruined)
    reason: str
    will_retry: bool
    failed_at: datetime


class CardHandedOver(BaseModel):
    kind: Literal["card.handed_over"] = "card.handed_over"
    job_id: str
    card_serial: str
    handed_over_at: datetime
    handed_over_by: str


JobEvent = CardPrinted | CardPrintFailed | CardHandedOver | CertificateIssued


class PrintJob(BaseModel):
    job_id: str
    request_id: str
    requested_at: datetime
    student_id: str
    unit_id: str
    visit_id: str | None
    npsn: str
    masked_nik: str
    place_of_issue: str | None = None
    province: str | None = None
    regency: str | None = None
    #: personal data needed to print; dropped once the card is handed over
    fields: CardFields | None
    images: CardImages | None
    status: JobStatus = JobStatus.QUEUED
    attempts: list[PrintAttempt] = []
    failures_in_row: int = 0
    retry_at: datetime | None = None
    needs_attention: bool = False
    waiting_for_stock: bool = False
    certificate: CertificateRef | None = None
    card_serial: str | None = None
    printed_at: datetime | None = None
    handover: Handover | None = None
    history: list[AuditEntry] = []
    version: int = 0

    @classmethod
    def from_request(cls, request: CardRequest, at: datetime) -> PrintJob:
        from .nik import mask_nik

        job = cls(
            job_id=request.event_id, request_id=request.request_id, requested_at=request.requested_at,
            student_id=request.student_id, unit_id=request.unit_id, visit_id=request.visit_id,
            npsn=request.npsn, masked_nik=mask_nik(request.fields.nik),
            place_of_issue=request.place_of_issue, province=request.province, regency=request.regency,
            fields=request.fields, images=request.images,
        )
        job.history.append(AuditEntry(at=at, action="created", by="card.requested", to_status=JobStatus.QUEUED))
        return job

    # -- queue -------------------------------------------------------------------------

    @property
    def queue_key(self) -> tuple[datetime, str]:
        """FIFO order within a unit and visit: the time of the request, then its id."""
        return (self.requested_at, self.request_id)

    def is_ready(self, now: datetime) -> bool:
        """Can the printer take this job now?"""
        if self.status is JobStatus.QUEUED:
            return True
        return (
            self.status is JobStatus.FAILED
            and not self.needs_attention
            and self.retry_at is not None
            and self.retry_at <= now
        )

    @property
    def current_attempt(self) -> PrintAttempt | None:
        return self.attempts[-1] if self.attempts else None

    def _move(self, to: JobStatus, at: datetime, action: str, by: str, reason: str | None = None) -> None:
        self.history.append(
            AuditEntry(at=at, action=action, by=by, from_status=self.status, to_status=to, reason=reason)
        )
        self.status = to
        self.version += 1

    def _require(self, action: str, *allowed: JobStatus) -> None:
        if self.status not in allowed:
            names = ", ".join(s.value for s in allowed)
            raise InvalidTransition(f"job {self.job_id}: cannot {action} while {self.status.value} (needs {names})")

    # -- transitions ---------------------------------------------------------------------

    def start(self, blank_serial: str, at: datetime, by: str = "printer") -> None:
        """A blank is in the printer for this job."""
        self._require("start printing", JobStatus.QUEUED, JobStatus.FAILED)
        if self.fields is None or self.images is None:
            raise InvalidTransition(f"job {self.job_id}: card data was purged after handover")
        reprint = any(a.outcome in (AttemptOutcome.PRINTED, AttemptOutcome.SPOILED) for a in self.attempts)
        self.attempts.append(
            PrintAttempt(number=len(self.attempts) + 1, blank_serial=blank_serial, started_at=at, reprint=reprint)
        )
        self.waiting_for_stock = False
        self.retry_at = None
        self._move(JobStatus.PRINTING, at, "print started", by)

    def mark_printed(self, at: datetime) -> list[JobEvent]:
        self._require("mark printed", JobStatus.PRINTING)
        attempt = self.current_attempt
        assert attempt is not None
        attempt.outcome, attempt.ended_at = AttemptOutcome.PRINTED, at
        self.card_serial, self.printed_at = attempt.blank_serial, at
        self.failures_in_row = 0
        self._move(JobStatus.PRINTED, at, "printed", "printer")
        return [CardPrinted(job_id=self.job_id, card_serial=attempt.blank_serial, printed_at=at, reprint=attempt.reprint)]

    def confirm_printed(self, at: datetime, by: str) -> list[JobEvent]:
        """After a crash mid-print, an operator who holds the good card says it printed."""
        events = self.mark_printed(at)
        self.history[-1] = self.history[-1].model_copy(update={"action": "printed (confirmed)", "by": by})
        return events

    def printing_since(self) -> datetime | None:
        attempt = self.current_attempt
        return attempt.started_at if self.status is JobStatus.PRINTING and attempt else None

    def mark_failed(self, error: str, at: datetime, policy: RetryPolicy = DEFAULT_RETRY) -> list[JobEvent]:
        """The printer refused or lost the job before feeding the blank: try again later."""
        self._require("mark failed", JobStatus.PRINTING)
        attempt = self.current_attempt
        assert attempt is not None
        attempt.outcome, attempt.ended_at, attempt.error = AttemptOutcome.FAILED, at, error
        self.failures_in_row += 1
        will_retry = self.failures_in_row < policy.max_attempts
        if will_retry:
            self.retry_at = at + policy.delay(self.failures_in_row)
        else:
            self.retry_at, self.needs_attention = None, True
        self._move(JobStatus.FAILED, at, "print failed", "printer", reason=error)
        return [CardPrintFailed(job_id=self.job_id, attempt=attempt.number, outcome=AttemptOutcome.FAILED,
                                reason=error, will_retry=will_retry, failed_at=at)]

    def mark_spoiled(self, reason: str, at: datetime, by: str) -> list[JobEvent]:
        """The blank is ruined: during printing, or a printed card failed the check before handover."""
        self._require("mark spoiled", JobStatus.PRINTING, JobStatus.PRINTED)
        if self.handover is not None:
            raise InvalidTransition(f"job {self.job_id}: the card was already handed over")
        attempt = self.current_attempt
        assert attempt is not None
        attempt.outcome, attempt.ended_at, attempt.error = AttemptOutcome.SPOILED, at, reason
        self.card_serial = self.printed_at = None
        self._move(JobStatus.SPOILED, at, "spoiled", by, reason=reason)
        return [CardPrintFailed(job_id=self.job_id, attempt=attempt.number, outcome=AttemptOutcome.SPOILED,
                                reason=reason, will_retry=False, failed_at=at)]

    def request_reprint(self, reason: ReprintReason, note: str, at: datetime, by: str) -> None:
        """An operator asks for a new card on a new blank; the reason is kept in the audit trail."""
        self._require("reprint", JobStatus.PRINTED, JobStatus.SPOILED)
        if self.handover is not None:
            raise InvalidTransition(
                f"job {self.job_id}: the card was handed over; a replacement needs a new card request"
            )
        if not note.strip():
            raise InvalidTransition(f"job {self.job_id}: a reprint needs a note explaining the {reason.value}")
        self.card_serial = self.printed_at = None
        self._move(JobStatus.QUEUED, at, "reprint requested", by, reason=f"{reason.value}: {note.strip()}")

    def retry_now(self, at: datetime, by: str) -> None:
        """An operator puts a failed job back in line (after fixing the printer)."""
        self._require("retry", JobStatus.FAILED)
        self.failures_in_row, self.needs_attention, self.retry_at = 0, False, None
        self._move(JobStatus.QUEUED, at, "retry requested", by)

    def wait_for_stock(self, certificate: CertificateRef, at: datetime) -> list[JobEvent]:
        """No blank: the job keeps its place in the queue; the first time, the student gets a
        temporary certificate (returns its event), afterwards nothing new happens."""
        self._require("wait for stock", JobStatus.QUEUED, JobStatus.FAILED)
        if self.certificate is not None:
            if not self.waiting_for_stock:
                self.waiting_for_stock = True
                self.version += 1
            return []
        self.waiting_for_stock = True
        self.certificate = certificate
        self.history.append(AuditEntry(at=at, action="certificate issued", by="printing",
                                       from_status=self.status, to_status=self.status,
                                       reason=f"out of stock; Surat Keterangan {certificate.number}"))
        self.version += 1
        return [CertificateIssued(job_id=self.job_id, number=certificate.number, issued_at=certificate.issued_at,
                                  valid_until=certificate.valid_until)]

    def hand_over(self, handover: Handover) -> list[JobEvent]:
        self._require("hand over", JobStatus.PRINTED)
        if self.handover is not None:
            return []
        assert self.card_serial is not None
        self.handover = handover
        self.fields = self.images = None  # keep no more personal data than needed
        self.history.append(AuditEntry(at=handover.at, action="handed over", by=handover.by,
                                       from_status=self.status, to_status=self.status))
        self.version += 1
        return [CardHandedOver(job_id=self.job_id, card_serial=self.card_serial,
                               handed_over_at=handover.at, handed_over_by=handover.by)]
