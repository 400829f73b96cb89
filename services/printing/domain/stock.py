"""Blank card stock (blangko) of one mobile unit: receipts, consumption and reconciliation.

Every blank has a serial, `<batch number>-<index>`, and is taken from the oldest batch
first. A blank is *available*, *in the printer* (taken for a job), *issued* (a good card
left with it) or *spoiled*. The ledger always reconciles:

    received = issued + spoiled + remaining        remaining = available + in_printer

Each change is keyed (batch number, serial, job id) so that repeating it changes nothing:
the aggregate is stored as one document and updated atomically, and handlers may run a
step twice after a crash.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field

from .errors import OutOfStock, StockError

DEFAULT_LOW_STOCK_THRESHOLD = 50
MAX_BATCH_QUANTITY = 100_000


class BlankState(StrEnum):
    IN_PRINTER = "in_printer"
    ISSUED = "issued"
    SPOILED = "spoiled"


class MovementKind(StrEnum):
    RECEIVED = "received"
    ISSUED = "issued"
    SPOILED = "spoiled"
    #: a card counted as issued turned out defective (found at quality check)
    ISSUED_TO_SPOILED = "issued_to_spoiled"


class Batch(BaseModel):
    batch_no: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9./-]{0,31}$")]
    quantity: Annotated[int, Field(ge=1, le=MAX_BATCH_QUANTITY)]
    received_at: datetime
    received_by: str
    taken: int = 0  # blanks handed out from this batch, in index order

    def serial(self, index: int) -> str:
        return f"{self.batch_no}-{index:06d}"


class BlankUse(BaseModel):
    state: BlankState
    job_id: str | None = None
    at: datetime


class Movement(BaseModel):
    at: datetime
    kind: MovementKind
    quantity: int
    batch_no: str | None = None
    serial: str | None = None
    job_id: str | None = None
    reason: str | None = None
    by: str | None = None


class Reconciliation(BaseModel):
    unit_id: str
    received: int
    issued: int
    spoiled: int
    remaining: int
    in_printer: int
    available: int
    balanced: bool


class StockLow(BaseModel):
    """Domain event: remaining blanks fell below the unit's threshold."""

    unit_id: str
    remaining: int
    threshold: int
    at: datetime


class DailyStockReport(BaseModel):
    unit_id: str
    day: date
    opening: int
    received: int
    issued: int
    spoiled: int
    closing: int
    batches_received: list[str]
    balanced: bool  # opening + received - issued - spoiled == closing


class BlankStock(BaseModel):
    unit_id: str
    threshold: Annotated[int, Field(ge=0)] = DEFAULT_LOW_STOCK_THRESHOLD
    batches: list[Batch] = []
    #: serials released by a failed print, reused before new ones
    returned: list[str] = []
    blanks: dict[str, BlankUse] = {}
    movements: list[Movement] = []
    low_alerted: bool = False
    version: int = 0

    # -- counts ------------------------------------------------------------------

    @property
    def received(self) -> int:
        return sum(b.quantity for b in self.batches)

    def _count(self, state: BlankState) -> int:
        return sum(1 for use in self.blanks.values() if use.state is state)

    @property
    def issued(self) -> int:
        return self._count(BlankState.ISSUED)

    @property
    def spoiled(self) -> int:
        return self._count(BlankState.SPOILED)

    @property
    def in_printer(self) -> int:
        return self._count(BlankState.IN_PRINTER)

    @property
    def remaining(self) -> int:
        return self.received - self.issued - self.spoiled

    @property
    def available(self) -> int:
        return self.remaining - self.in_printer

    @property
    def is_low(self) -> bool:
        return self.remaining < self.threshold

    def reconcile(self) -> Reconciliation:
        """Counts from the ledger, checked against the batches and the movement log."""
        taken = sum(b.taken for b in self.batches)
        untouched = sum(b.quantity - b.taken for b in self.batches)
        by_kind = {kind: 0 for kind in MovementKind}
        for movement in self.movements:
            by_kind[movement.kind] += movement.quantity
        logged_issued = by_kind[MovementKind.ISSUED] - by_kind[MovementKind.ISSUED_TO_SPOILED]
        logged_spoiled = by_kind[MovementKind.SPOILED] + by_kind[MovementKind.ISSUED_TO_SPOILED]
        issued, spoiled, in_printer = self.issued, self.spoiled, self.in_printer
        remaining = self.received - issued - spoiled
        balanced = (
            self.received == issued + spoiled + remaining
            and remaining == untouched + len(self.returned) + in_printer
            and taken == len(self.blanks) + len(self.returned)
            and by_kind[MovementKind.RECEIVED] == self.received
            and logged_issued == issued
            and logged_spoiled == spoiled
            and remaining >= 0
            and in_printer >= 0
        )
        return Reconciliation(
            unit_id=self.unit_id, received=self.received, issued=issued, spoiled=spoiled,
            remaining=remaining, in_printer=in_printer, available=remaining - in_printer,
            balanced=balanced,
        )

    # -- movements ------------------------------------------------------------------

    def receive(self, batch_no: str, quantity: int, at: datetime, by: str) -> list[StockLow]:
        """Book a delivery of blanks. A batch number is received once."""
        for batch in self.batches:
            if batch.batch_no == batch_no:
                if batch.quantity == quantity:
                    return []  # the same receipt again: nothing changes
                raise StockError(
                    f"batch {batch_no} was already received with {batch.quantity} blanks; "
                    f"refusing a second receipt of {quantity}"
                )
        batch = Batch(batch_no=batch_no, quantity=quantity, received_at=at, received_by=by)
        self.batches.append(batch)
        self.movements.append(
            Movement(at=at, kind=MovementKind.RECEIVED, quantity=quantity, batch_no=batch_no, by=by)
        )
        if not self.is_low:
            self.low_alerted = False
        self.version += 1
        return []

    def take_blank(self, job_id: str, at: datetime) -> str:
        """Load a blank into the printer for `job_id`; the same job gets the same blank back."""
        for serial, use in self.blanks.items():
            if use.job_id == job_id and use.state is BlankState.IN_PRINTER:
                return serial
        serial = self._next_serial()
        self.blanks[serial] = BlankUse(state=BlankState.IN_PRINTER, job_id=job_id, at=at)
        self.version += 1
        return serial

    def _next_serial(self) -> str:
        if self.returned:
            return self.returned.pop(0)
        for batch in self.batches:
            if batch.taken < batch.quantity:
                batch.taken += 1
                return batch.serial(batch.taken)
        raise OutOfStock(f"unit {self.unit_id} has no blank left ({self.remaining} remaining, all in the printer)"
                         if self.remaining else f"unit {self.unit_id} has no blank left")

    def _use(self, serial: str) -> BlankUse:
        use = self.blanks.get(serial)
        if use is None:
            raise StockError(f"blank {serial} was never taken from unit {self.unit_id}'s stock")
        return use

    def record_issued(self, serial: str, at: datetime) -> list[StockLow]:
        """The printer produced a good card on this blank."""
        use = self._use(serial)
        if use.state is BlankState.ISSUED:
            return []
        if use.state is not BlankState.IN_PRINTER:
            raise StockError(f"blank {serial} is {use.state.value}, not in the printer")
        use.state, use.at = BlankState.ISSUED, at
        self.movements.append(
            Movement(at=at, kind=MovementKind.ISSUED, quantity=1, serial=serial, job_id=use.job_id)
        )
        self.version += 1
        return self._check_low(at)

    def record_spoiled(self, serial: str, at: datetime, reason: str) -> list[StockLow]:
        """The blank is ruined: in the printer (jam, misfeed) or a printed card found defective."""
        use = self._use(serial)
        if use.state is BlankState.SPOILED:
            return []
        kind = MovementKind.SPOILED if use.state is BlankState.IN_PRINTER else MovementKind.ISSUED_TO_SPOILED
        use.state, use.at = BlankState.SPOILED, at
        self.movements.append(
            Movement(at=at, kind=kind, quantity=1, serial=serial, job_id=use.job_id, reason=reason)
        )
        self.version += 1
        return self._check_low(at)

    def release(self, serial: str, job_id: str | None = None) -> None:
        """The printer refused the job before feeding the blank: it goes back, first in line.

        With `job_id`, repeating the release is harmless: a blank no longer held by that job
        (already back, or since taken by another job) is left alone.
        """
        if job_id is not None:
            use = self.blanks.get(serial)
            if use is None or use.job_id != job_id or use.state is not BlankState.IN_PRINTER:
                return
        use = self._use(serial)
        if use.state is not BlankState.IN_PRINTER:
            raise StockError(f"blank {serial} is {use.state.value}; only a blank in the printer can go back")
        del self.blanks[serial]
        self.returned.insert(0, serial)
        self.version += 1

    def spoil_unused(self, quantity: int, at: datetime, by: str, reason: str) -> list[StockLow]:
        """Blanks damaged in storage or transport: written off without a job."""
        if quantity < 1:
            raise StockError("quantity to write off must be at least 1")
        if quantity > self.available:
            raise StockError(
                f"cannot write off {quantity} blanks: only {self.available} available at unit {self.unit_id}"
            )
        for _ in range(quantity):
            serial = self._next_serial()
            self.blanks[serial] = BlankUse(state=BlankState.SPOILED, at=at)
            self.movements.append(
                Movement(at=at, kind=MovementKind.SPOILED, quantity=1, serial=serial, reason=reason, by=by)
            )
        self.version += 1
        return self._check_low(at)

    def set_threshold(self, threshold: int, at: datetime) -> list[StockLow]:
        if threshold < 0:
            raise StockError("low-stock threshold cannot be negative")
        self.threshold = threshold
        if not self.is_low:
            self.low_alerted = False
        self.version += 1
        return self._check_low(at)

    def _check_low(self, at: datetime) -> list[StockLow]:
        if self.is_low and not self.low_alerted:
            self.low_alerted = True
            return [StockLow(unit_id=self.unit_id, remaining=self.remaining, threshold=self.threshold, at=at)]
        return []

    # -- reporting ------------------------------------------------------------------

    def daily_report(self, day: date, tz: tzinfo) -> DailyStockReport:
        """Movements of one local day (the office's time zone) and the balance around it."""

        def local_day(moment: datetime) -> date:
            return moment.astimezone(tz).date()

        def delta(movement: Movement) -> int:
            if movement.kind is MovementKind.RECEIVED:
                return movement.quantity
            if movement.kind is MovementKind.ISSUED_TO_SPOILED:
                return 0
            return -movement.quantity

        opening = sum(delta(m) for m in self.movements if local_day(m.at) < day)
        today = [m for m in self.movements if local_day(m.at) == day]
        received = sum(m.quantity for m in today if m.kind is MovementKind.RECEIVED)
        issued = sum(m.quantity for m in today if m.kind is MovementKind.ISSUED) - sum(
            m.quantity for m in today if m.kind is MovementKind.ISSUED_TO_SPOILED
        )
        spoiled = sum(
            m.quantity for m in today if m.kind in (MovementKind.SPOILED, MovementKind.ISSUED_TO_SPOILED)
        )
        closing = opening + sum(delta(m) for m in today)
        return DailyStockReport(
            unit_id=self.unit_id, day=day, opening=opening, received=received, issued=issued,
            spoiled=spoiled, closing=closing,
            batches_received=[m.batch_no for m in today if m.kind is MovementKind.RECEIVED and m.batch_no],
            balanced=opening + received - issued - spoiled == closing,
        )
