"""The print station: glue that drives print jobs through the printer, one atomic write at a time.

Each step is one of the domain's transitions written to one document: the unit's stock
(`take_blank`, keyed by the job) or the job (`start`, `mark_printed`, ...). A job write that
implies a stock movement carries it as a `stock_action` in the same write; the action is then
applied to the stock document (idempotently) and removed. The loop sweeps leftover actions,
so a crash anywhere leaves nothing half done for long. Events leave through each document's
outbox and the relay.

A pass prints a unit's ready jobs in batches of up to ``PRINTING_BATCH``, in FIFO order: one
stock write loads a blank for each job of the batch, each job is started, printed and marked
printed on its own (a crash leaves at most the job at the printer in `printing`), then one stock
write records the batch's issued blanks and the batch's events are published together.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from shared.envelope import CloudEvent
from shared.store.outbox import OutboxRelay

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
        printer_for: Callable[[str], Printer], relay: OutboxRelay, clock: Callable[[], datetime] = _now,
    ) -> None:
        self.jobs, self.stocks, self.settings = jobs, stocks, settings
        # the relay publishes what each write put in its outbox; a printed job's outbox is
        # reserved until its batch publishes it
        self.printer_for, self.relay, self.clock = printer_for, relay, clock
        self.wakeup = asyncio.Event()
        self._pass_lock = asyncio.Lock()
        self._leftovers_swept_at: float | None = None  # monotonic; leftovers come only from a crash

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

    async def _job_write(
        self, job_id: str, step: Callable[[PrintJob], tuple[list, list[StockAction]]],
        current: tuple[PrintJob, str | None] | None = None,
    ) -> tuple[PrintJob, list[CloudEvent], list[StockAction]]:
        """Apply a domain step to a job (``current``: as this process last saw it, if it did) in
        one write; returns the job with the events and stock actions still to publish and apply."""
        published: list[CloudEvent] = []
        moved: list[StockAction] = []

        def change(job: PrintJob, correlation_id: str | None):
            domain_events, actions = step(job)
            published[:] = job_events(job, domain_events, correlation_id)
            moved[:] = actions
            return list(published), actions

        job = await self.jobs.update(job_id, change, current)
        return job, published, moved

    async def _job_change(
        self, job_id: str, step: Callable[[PrintJob], tuple[list, list[StockAction]]],
        current: tuple[PrintJob, str | None] | None = None,
    ) -> PrintJob:
        """A job write, then its stock actions applied and its events published."""
        job, published, moved = await self._job_write(job_id, step, current)
        if moved:  # the ledger first, so readers of the event see it (leftovers: the loop's sweep)
            await self._apply_actions(job.unit_id, [(job_id, moved)])
        if published:
            await self.relay.publish_written(job_repository.COLLECTION, job_id, published)
        return job

    async def _stock_change(self, unit_id: str, step: Callable[[BlankStock], tuple[Any, list]]):
        published: list[CloudEvent] = []

        def change(stock: BlankStock):
            result, domain_events = step(stock)
            published[:] = stock_events(stock, domain_events)
            return result, list(published)

        stock, result = await self.stocks.update(unit_id, change)
        if published:
            await self.relay.publish_written(stock_repository.COLLECTION, unit_id, published)
        return stock, result

    # -- stock actions (the job's internal outbox towards the stock document) -------------------

    async def apply_stock_actions(self, job_id: str | None = None) -> int:
        """Apply the pending stock movements of one job (or of every job) to the stock documents."""
        by_unit: dict[str, list[tuple[str, list[StockAction]]]] = {}
        for doc in await self.jobs.pending_stock_actions(job_id):
            by_unit.setdefault(doc["unit_id"], []).append((doc["_id"], doc["stock_actions"]))
        return sum([await self._apply_actions(unit_id, moves) for unit_id, moves in by_unit.items()])

    async def _apply_actions(self, unit_id: str, moves: list[tuple[str, list[StockAction]]]) -> int:
        """Apply jobs' stock actions to their unit's ledger in one write, then clear them from the
        jobs in one more. An action the ledger refuses is reported and cleared (retrying it would
        loop for ever); applying an action twice changes nothing."""
        def step(stock: BlankStock):
            events: list = []
            for job_id, actions in moves:
                for action in actions:
                    try:
                        events += _apply(stock, action, job_id)
                    except StockError as error:
                        log.error("stock action refused", extra={"job_id": job_id, "op": action["op"],
                                                                 "reason": str(error)})
            return None, events

        await self._stock_change(unit_id, step)
        await self.jobs.stock_actions_done(moves)
        return sum(len(actions) for _, actions in moves)

    # -- printing -------------------------------------------------------------------------------

    async def run_once(self) -> dict[str, int]:
        """One pass: leftover stock actions (at start-up and then every ``PRINTING_POLL_S``),
        then a batch of every unit's ready jobs in FIFO order."""
        async with self._pass_lock:
            counts = {outcome.value: 0 for outcome in Outcome}
            started = asyncio.get_running_loop().time()
            if self._leftovers_swept_at is None or started - self._leftovers_swept_at >= self.settings.poll_s:
                await self.apply_stock_actions()
                await self.recover_interrupted()
                self._leftovers_swept_at = started
            now = self.clock()
            for unit_id in await self.jobs.units_with_ready_jobs(now):
                jobs = await self.jobs.ready_jobs(unit_id, now, limit=self.settings.batch)
                outcomes, blanks_left = await self.print_batch(unit_id, jobs, now)
                for outcome in outcomes:
                    counts[outcome.value] += 1
                if blanks_left == 0:  # nothing more can print: only certificates are still owed
                    for job in await self.jobs.ready_jobs(unit_id, now, without_certificate=True, limit=500):
                        await self._job_change(job[0].job_id, lambda j: (self._wait(j, now), []), job)
                        counts[Outcome.WAITING.value] += 1
                elif len(jobs) == self.settings.batch:
                    self.wakeup.set()  # a full batch: more may be ready
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

    async def print_batch(self, unit_id: str, jobs: list[tuple[PrintJob, str | None]],
                          now: datetime) -> tuple[list[Outcome], int]:
        """Print ready jobs of one unit, in order; returns each one's outcome and the blanks left."""
        if not jobs:
            return [], -1

        def take(stock: BlankStock):
            serials: dict[str, str] = {}
            for job, _ in jobs:
                try:
                    serials[job.job_id] = stock.take_blank(job.job_id, now)
                except OutOfStock:
                    break  # FIFO: no later job jumps the queue
            return serials, []

        stock, serials = await self._stock_change(unit_id, take)
        outcomes: list[Outcome] = []
        printed: list[tuple[str, list[CloudEvent], list[StockAction], bool]] = []
        try:
            for read in jobs:
                job = read[0]
                serial = serials.get(job.job_id)
                if serial is None:
                    await self._job_change(job.job_id, lambda j: (self._wait(j, now), []), read)
                    outcomes.append(Outcome.WAITING)
                    continue
                outcome, done = await self._print(read, serial, now)
                outcomes.append(outcome)
                if done is not None:
                    printed.append(done)
        finally:  # also when interrupted: what was printed is recorded (or left to the sweep)
            if printed:
                try:
                    await self._apply_actions(unit_id, [(job_id, moved) for job_id, _, moved, _ in printed])
                finally:
                    await asyncio.gather(*(self._publish_printed(job_id, events, held)
                                           for job_id, events, _, held in printed))
        return outcomes, stock.available

    async def _publish_printed(self, job_id: str, events: list[CloudEvent], held: bool) -> None:
        if events:
            await self.relay.publish_written(job_repository.COLLECTION, job_id, events, reserved=held)
        elif held:
            self.relay.release(job_repository.COLLECTION, job_id)

    async def _print(self, read: tuple[PrintJob, str | None], serial: str, now: datetime
                     ) -> tuple[Outcome, tuple[str, list[CloudEvent], list[StockAction], bool] | None]:
        """Start, print and mark one job printed; the printed job's events and blank issue are
        returned, for the batch to record together."""
        job_id, correlation_id = read[0].job_id, read[1]
        try:
            job = await self._job_change(job_id, lambda j: (j.start(serial, now) or [], []), read)
        except InvalidTransition:
            return Outcome.SKIPPED, None  # another worker took it meanwhile (and holds this blank)
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
            return Outcome.FAILED, None
        # the events wait for the batch (the ledger first): keep the outbox sweep off them meanwhile
        held = self.relay.reserve(job_repository.COLLECTION, job_id)
        try:
            _, events, moved = await self._job_write(job_id, lambda j: (
                j.mark_printed(self.clock()), [_action("issue", serial, self.clock())]), (job, correlation_id))
        except BaseException:
            if held:
                self.relay.release(job_repository.COLLECTION, job_id)
            raise
        return Outcome.PRINTED, (job_id, events, moved, held)

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
        return since is not None and (self.clock() - since).total_seconds() > \
            self.settings.printer_timeout_s + self.settings.stuck_grace_s

    async def recover_interrupted(self) -> int:
        """Jobs left `printing` by a process that died mid-print: where the printer can tell that
        the attempt reached it, the job is recorded printed (as an operator holding the card
        would confirm); the others stay flagged `stuck` for an operator."""
        recovered = 0
        for job in await self.jobs.printing():
            attempt = job.current_attempt
            if attempt is None or not self.is_stuck(job):
                continue
            try:
                if await self.printer_for(job.unit_id).has(job.job_id, attempt.number):
                    await self.confirm_printed(job.job_id, "printing service: the printer has the card")
                    recovered += 1
            except (InvalidTransition, PrinterError) as error:  # resolved meanwhile, or no printer
                log.info("interrupted job left to an operator", extra={"job_id": job.job_id, "reason": str(error)})
        return recovered

    async def not_printed(self, job_id: str, by: str) -> PrintJob:
        """A job stuck in `printing` whose card never came out: its blank goes back to the stock
        and the job is printed again (the counterpart of ``confirm_printed``)."""
        def step(job: PrintJob):
            at = self.clock()
            attempt = job.current_attempt
            events = job.mark_failed("not printed: no card came out (an operator checked)", at,
                                     self.settings.retry_policy)
            job.retry_now(at, by)
            assert attempt is not None
            return events, [_action("release", attempt.blank_serial, at)]

        job = await self._job_change(job_id, step)
        self.wakeup.set()
        return job

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
