"""Property: under any interleaving of receipts, prints, failures, spoils, write-offs, reprints
and handovers, the blank ledger reconciles and matches what the jobs say happened."""

from datetime import date, datetime, timedelta, timezone

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from services.printing.domain import desk, queue
from services.printing.domain.errors import StockError
from services.printing.domain.office import IssuingOffice
from services.printing.domain.print_job import AttemptOutcome, Handover, JobStatus, PrintJob, ReprintReason
from services.printing.domain.stock import BlankState, BlankStock
from services.printing.synthetic import synthetic_images, synthetic_request

IMAGES = synthetic_images(0)
OFFICE = IssuingOffice()


class PrintingMachine(RuleBasedStateMachine):
    @initialize(threshold=st.integers(0, 5))
    def start(self, threshold: int) -> None:
        self.now = datetime(2026, 11, 29, 1, 0, tzinfo=timezone.utc)
        self.stock = BlankStock(unit_id="unit-1", threshold=threshold)
        self.jobs: list[PrintJob] = []
        self.batches = 0
        self.low_events = 0
        self.certificates: set[str] = set()

    def tick(self) -> datetime:
        self.now += timedelta(minutes=3)
        return self.now

    def _with(self, status: JobStatus) -> list[PrintJob]:
        return [job for job in self.jobs if job.status is status]

    @rule(quantity=st.integers(1, 6))
    def receive(self, quantity: int) -> None:
        self.batches += 1
        self.stock.receive(f"B{self.batches}", quantity, self.tick(), "op")

    @rule()
    def request(self) -> None:
        n = len(self.jobs) + 1
        self.jobs.append(PrintJob.from_request(synthetic_request(n, images=IMAGES), self.tick()))

    @rule()
    def begin_next(self) -> None:
        job = queue.next_ready(self.jobs, self.tick())
        if job is None:
            return
        result = desk.begin_print(job, self.stock, self.now, date(2026, 11, 29), OFFICE)
        if isinstance(result, desk.WaitingForStock):
            assert self.stock.available == 0
            if result.certificate is not None:
                assert result.certificate.number not in self.certificates
                self.certificates.add(result.certificate.number)

    @rule(data=st.data(), outcome=st.sampled_from(["printed", "failed", "spoiled"]))
    def finish(self, data: st.DataObject, outcome: str) -> None:
        printing = self._with(JobStatus.PRINTING)
        if not printing:
            return
        job = data.draw(st.sampled_from(printing))
        if outcome == "printed":
            events = desk.finish_printed(job, self.stock, self.tick())
        elif outcome == "failed":
            events = desk.finish_failed(job, self.stock, "printer offline", self.tick())
        else:
            events = desk.spoil(job, self.stock, "jam", self.tick(), "printer")
        self.low_events += sum(1 for e in events if type(e).__name__ == "StockLow")

    @rule(data=st.data())
    def spoil_printed_card(self, data: st.DataObject) -> None:
        printed = [j for j in self._with(JobStatus.PRINTED) if j.handover is None]
        if printed:
            events = desk.spoil(data.draw(st.sampled_from(printed)), self.stock, "failed check", self.tick(), "op")
            self.low_events += sum(1 for e in events if type(e).__name__ == "StockLow")

    @rule(data=st.data(), reason=st.sampled_from(list(ReprintReason)))
    def reprint(self, data: st.DataObject, reason: ReprintReason) -> None:
        candidates = [j for j in self.jobs if j.status in (JobStatus.PRINTED, JobStatus.SPOILED) and j.handover is None]
        if candidates:
            job = data.draw(st.sampled_from(candidates))
            events = desk.reprint(job, self.stock, reason, "operator saw it", self.tick(), "op")
            self.low_events += len(events)

    @rule(data=st.data())
    def hand_over(self, data: st.DataObject) -> None:
        printed = [j for j in self._with(JobStatus.PRINTED) if j.handover is None]
        if printed:
            data.draw(st.sampled_from(printed)).hand_over(Handover(at=self.tick(), by="op"))

    @rule(data=st.data())
    def operator_retry(self, data: st.DataObject) -> None:
        stuck = [j for j in self._with(JobStatus.FAILED) if j.needs_attention]
        if stuck:
            data.draw(st.sampled_from(stuck)).retry_now(self.tick(), "op")

    @precondition(lambda self: self.stock.available > 0)
    @rule(quantity=st.integers(1, 3))
    def write_off(self, quantity: int) -> None:
        try:
            self.stock.spoil_unused(quantity, self.tick(), "op", "damaged in storage")
        except StockError:
            assert quantity > self.stock.available

    # -- invariants ---------------------------------------------------------------------

    @invariant()
    def ledger_reconciles(self) -> None:
        rec = self.stock.reconcile()
        assert rec.balanced
        assert rec.received == rec.issued + rec.spoiled + rec.remaining
        assert rec.remaining >= rec.in_printer >= 0

    @invariant()
    def ledger_matches_the_jobs(self) -> None:
        printed = self._with(JobStatus.PRINTED)
        assert self.stock.issued == len(printed)
        assert self.stock.in_printer == len(self._with(JobStatus.PRINTING))
        serials = [j.card_serial for j in printed]
        assert len(set(serials)) == len(serials)
        for job in printed:
            assert self.stock.blanks[job.card_serial].state is BlankState.ISSUED
            assert self.stock.blanks[job.card_serial].job_id == job.job_id

    @invariant()
    def never_printed_twice_without_a_reprint(self) -> None:
        for job in self.jobs:
            printed = sum(1 for a in job.attempts if a.outcome is AttemptOutcome.PRINTED)
            reprints = sum(1 for h in job.history if h.action == "reprint requested")
            assert printed <= 1 + reprints

    @invariant()
    def waiting_only_without_blanks(self) -> None:
        if self.stock.available > 0:
            return
        for job in self.jobs:
            if job.waiting_for_stock:
                assert job.certificate is not None

    @invariant()
    def low_stock_is_always_announced(self) -> None:
        if self.stock.is_low and (self.stock.issued or self.stock.spoiled):
            assert self.stock.low_alerted
        alerts_possible = 1 + self.batches  # one per crossing; a receipt re-arms
        assert self.low_events <= alerts_possible


PrintingMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=60, deadline=None)
TestPrintingLedger = PrintingMachine.TestCase
