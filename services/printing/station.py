"""The print station: glue that drives print jobs through the printer, one atomic write at a time.

Each step is one of the domain's transitions written to one document: the unit's stock
(`take_blank`, keyed by the job) or the job (`start`, `mark_printed`, ...). A job write that
implies a stock movement carries it as a `stock_action` in the same write; the action is then
applied to the stock document (idempotently) and removed. The loop sweeps leftover actions,
so a crash anywhere leaves nothing half done for long. Events leave through each document's
outbox and the relay.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from shared.envelope import CloudEvent

from .adapters import job_repository, stock_repository
from .adapters.concurrency import NotFound
from .adapters.job_repository import JobRepository, StockAction
from .adapters.printers import Printer, PrintDocument, PrinterError
from .adapters.public_events import job_events, stock_events
from .adapters.stock_repository import StockRepository
from .domain.card import Card, CardIssue
from .domain.certificate import TemporaryCertificate
from .domain.errors import InvalidTransition, OutOfStock, StockError
from .domain.print_job import CertificateRef, Handover, JobStatus, PrintJob, ReprintReason
from .domain.stock import BlankStock, DailyStockReport, Reconciliation
from .rendering.card_pdf import render_card_pdf
from .settings import PrintingSettings

log = logging.getLogger("jemput.printing.station")

Publish = Callable[[str, Any, list[CloudEvent]], Awaitable[None]]  # the relay's publish_written


class Outcome(StrEnum):
    PRINTED = "printed"
    FAILED = "failed"
    WAITING = "waiting_for_stock"
    SKIPPED = "skipped"


def _now() -> datetime:
    return datetime.now(UTC)


class PrintStation:
    def __init__(
        self, jobs: JobRepository, stocks: StockRepository, settings: PrintingSettings,
        printer_for: Callable[[str], Printer], publish: Publish, clock: Callable[[], datetime] = _now,
    ) -> None:
        self.jobs, self.stocks, self.settings = jobs, stocks, settings
        self.printer_for, self.publish, self.clock = printer_for, publish, clock
        self.wakeup = asyncio.Event()
        self._pass_lock = asyncio.Lock()

    # -- helpers ------------------------------------------------------------------------------

    def today(self, at: datetime):
        return at.astimezone(self.settings.tz).date()

    def card(self, job: PrintJob, serial: str, at: datetime) -> Card:
        office = self.settings.office
        assert job.fields is not None and job.images is not None
        return Card(fields=job.fields, images=job.images, issue=CardIssue(
            province=job.province or office.province, regency=job.regency or office.regency,
            place_of_issue=job.place_of_issue or office.place_of_issue,
            date_of_issue=self.today(at), card_serial=serial,
        ))

    def certificate(self, job: PrintJob, at: datetime) -> TemporaryCertificate:
        assert job.fields is not None
        return TemporaryCertificate.issue(
            letter_code=self.settings.office.letter_code, job_id=job.job_id, request_id=job.request_id,
            student_id=job.student_id, unit_id=job.unit_id, npsn=job.npsn, fields=job.fields,
            issued_on=self.today(job.certificate.issued_at if job.certificate else at),
        )

    async def _job_change(
        self, job_id: str, step: Callable[[PrintJob], tuple[list, list[StockAction]]],
        current: tuple[PrintJob, str | None] | None = None,
    ) -> PrintJob:
        """Apply a domain step to a job (``current``: as this process last saw it, if it did);
        publish its events and apply its stock actions."""
        published: list[CloudEvent] = []
        moved: list[StockAction] = []

        def change(job: PrintJob, correlation_id: str | None):
            domain_events, actions = step(job)
            published[:] = job_events(job, domain_events, correlation_id)
            moved[:] = actions
            return list(published), actions

        job = await self.jobs.update(job_id, change, current)
        if moved:  # the ledger first, so readers of the event see it (leftovers: the loop's sweep)
            await self._apply_actions(job_id, job.unit_id, moved)
        if published:
            await self.publish(job_repository.COLLECTION, job_id, published)
        return job

    async def _stock_change(self, unit_id: str, step: Callable[[BlankStock], tuple[Any, list]]):
        published: list[CloudEvent] = []

        def change(stock: BlankStock):
            result, domain_events = step(stock)
            published[:] = stock_events(stock, domain_events)
            return result, list(published)

        stock, result = await self.stocks.update(unit_id, change)
        if published:
            await self.publish(stock_repository.COLLECTION, unit_id, published)
        return stock, result

    # -- stock actions (the job's internal outbox towards the stock document) -------------------

    async def apply_stock_actions(self, job_id: str | None = None) -> int:
        """Apply the pending stock movements of one job (or of every job) to the stock documents."""
        pending = await self.jobs.pending_stock_actions(job_id)
        return sum([await self._apply_actions(doc["_id"], doc["unit_id"], doc["stock_actions"]) for doc in pending])

    async def _apply_actions(self, job_id: str, unit_id: str, actions: list[StockAction]) -> int:
        for action in actions:
            def step(stock: BlankStock, action: StockAction = action):
                return None, _apply(stock, action, job_id)

            try:
                await self._stock_change(unit_id, step)
            except StockError as error:  # the ledger refuses: report, do not loop on it forever
                log.error("stock action refused", extra={"job_id": job_id, "op": action["op"],
                                                         "reason": str(error)})
            await self.jobs.stock_actions_done(job_id, [action])
        return len(actions)

    # -- printing -------------------------------------------------------------------------------

    async def run_once(self) -> dict[str, int]:
        """One pass: leftover stock actions, then every unit's ready jobs in FIFO order."""
        async with self._pass_lock:
            counts = {outcome.value: 0 for outcome in Outcome}
            await self.apply_stock_actions()
            now = self.clock()
            for unit_id in await self.jobs.units_with_ready_jobs(now):
                stock = await self.stocks.get(unit_id)
                if stock.available == 0:  # nothing can print: only certificates still owed
                    ids = await self.jobs.ready_job_ids(unit_id, now, without_certificate=True, limit=500)
                else:
                    ids = await self.jobs.ready_job_ids(unit_id, now)
                for job_id in ids:
                    counts[(await self.print_job(job_id)).value] += 1
            return counts

    async def loop(self) -> None:
        while True:
            self.wakeup.clear()  # before the pass: a request arriving during it wakes the next one
            try:
                await self.run_once()
            except Exception as error:
                log.warning("print pass failed; will retry", exc_info=error)
            try:
                await asyncio.wait_for(self.wakeup.wait(), self.settings.poll_s)
            except TimeoutError:
                pass

    async def print_job(self, job_id: str) -> Outcome:
        now = self.clock()
        read = await self.jobs.read(job_id)
        if read is None or not read[0].is_ready(now):
            return Outcome.SKIPPED
        job, correlation_id = read
        try:
            _, serial = await self._stock_change(job.unit_id, lambda s: (s.take_blank(job_id, now), []))
        except OutOfStock:
            await self._job_change(job_id, lambda j: (self._wait(j, now), []), read)
            return Outcome.WAITING
        try:
            job = await self._job_change(job_id, lambda j: (j.start(serial, now) or [], []), read)
        except InvalidTransition:
            return Outcome.SKIPPED  # another worker took it meanwhile (and holds this blank)
        attempt = job.current_attempt
        assert attempt is not None
        try:
            pdf = await asyncio.to_thread(render_card_pdf, self.card(job, serial, now))
            await self.printer_for(job.unit_id).submit(
                PrintDocument(job_id=job_id, attempt=attempt.number, title=f"KTP-el {serial}", pdf=pdf)
            )
        except Exception as error:  # printer refused, or the card could not be rendered
            reason = str(error) if isinstance(error, PrinterError) else f"{type(error).__name__} while rendering"
            if not isinstance(error, PrinterError):
                log.error("card rendering failed", exc_info=error, extra={"job_id": job_id})
            policy = self.settings.retry_policy
            await self._job_change(job_id, lambda j: (
                j.mark_failed(reason, self.clock(), policy), [_action("release", serial, self.clock())]),
                (job, correlation_id))
            return Outcome.FAILED
        await self._job_change(job_id, lambda j: (
            j.mark_printed(self.clock()), [_action("issue", serial, self.clock())]), (job, correlation_id))
        return Outcome.PRINTED

    def _wait(self, job: PrintJob, now: datetime) -> list:
        if job.certificate is not None:
            return job.wait_for_stock(job.certificate, now)
        certificate = self.certificate(job, now)
        return job.wait_for_stock(
            CertificateRef(number=certificate.number, issued_at=now, valid_until=certificate.valid_until), now
        )

    # -- operators' commands ------------------------------------------------------------------

    async def reprint(self, job_id: str, reason: ReprintReason, note: str, by: str) -> PrintJob:
        def step(job: PrintJob):
            at = self.clock()
            serial = job.card_serial if job.status is JobStatus.PRINTED else None
            job.request_reprint(reason, note, at, by)
            actions = [_action("spoil", serial, at, f"replaced by reprint: {reason.value}")] if serial else []
            return [], actions

        job = await self._job_change(job_id, step)
        self.wakeup.set()
        return job

    async def spoil(self, job_id: str, reason: str, by: str) -> PrintJob:
        def step(job: PrintJob):
            at = self.clock()
            attempt = job.current_attempt
            events = job.mark_spoiled(reason, at, by)
            assert attempt is not None
            return events, [_action("spoil", attempt.blank_serial, at, reason)]

        return await self._job_change(job_id, step)

    async def confirm_printed(self, job_id: str, by: str) -> PrintJob:
        """A job left `printing` by a crash, whose card the operator found good."""
        def step(job: PrintJob):
            at = self.clock()
            attempt = job.current_attempt
            events = job.confirm_printed(at, by)
            assert attempt is not None
            return events, [_action("issue", attempt.blank_serial, at)]

        return await self._job_change(job_id, step)

    def is_stuck(self, job: PrintJob) -> bool:
        """Printing for longer than any printer answer takes: the process printing it is gone."""
        since = job.printing_since()
        return since is not None and (self.clock() - since).total_seconds() > self.settings.printer_timeout_s + 60

    async def retry(self, job_id: str, by: str) -> PrintJob:
        job = await self._job_change(job_id, lambda j: (j.retry_now(self.clock(), by) or [], []))
        self.wakeup.set()
        return job

    async def hand_over(self, job_id: str, by: str, recipient: str) -> PrintJob:
        return await self._job_change(
            job_id, lambda j: (j.hand_over(Handover(at=self.clock(), by=by, recipient=recipient)), [])
        )

    async def receive_stock(self, unit_id: str, batch_no: str, quantity: int, by: str) -> Reconciliation:
        stock, _ = await self._stock_change(unit_id, lambda s: (None, s.receive(batch_no, quantity, self.clock(), by)))
        self.wakeup.set()  # jobs waiting for stock print now, in order
        return stock.reconcile()

    async def write_off(self, unit_id: str, quantity: int, reason: str, by: str) -> Reconciliation:
        stock, _ = await self._stock_change(
            unit_id, lambda s: (None, s.spoil_unused(quantity, self.clock(), by, reason))
        )
        return stock.reconcile()

    async def set_threshold(self, unit_id: str, threshold: int) -> Reconciliation:
        stock, _ = await self._stock_change(unit_id, lambda s: (None, s.set_threshold(threshold, self.clock())))
        return stock.reconcile()

    async def daily_report(self, unit_id: str, day) -> DailyStockReport:
        return (await self.stocks.get(unit_id)).daily_report(day, self.settings.tz)

    async def job(self, job_id: str) -> PrintJob:
        job = await self.jobs.get(job_id)
        if job is None:
            raise NotFound(f"print job {job_id} not found")
        return job


def _action(op: str, serial: str, at: datetime, reason: str | None = None) -> StockAction:
    return {"id": uuid.uuid4().hex, "op": op, "serial": serial, "at": at, "reason": reason}


def _apply(stock: BlankStock, action: StockAction, job_id: str) -> list:
    at = action["at"]
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    match action["op"]:
        case "issue":
            return stock.record_issued(action["serial"], at)
        case "release":
            stock.release(action["serial"], job_id)
            return []
        case "spoil":
            return stock.record_spoiled(action["serial"], at, action.get("reason") or "spoiled")
    raise StockError(f"unknown stock action {action['op']!r}")
