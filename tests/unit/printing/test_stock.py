"""Blank stock (blangko): receipts, consumption, spoils, reconciliation, low-stock alerts, daily report."""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from services.printing.domain.errors import OutOfStock, StockError
from services.printing.domain.stock import BlankStock, StockLow

T0 = datetime(2026, 11, 29, 1, 0, tzinfo=timezone.utc)  # 08:00 WIB
WIB = ZoneInfo("Asia/Jakarta")


def stock_with(*batches: tuple[str, int], threshold: int = 2) -> BlankStock:
    stock = BlankStock(unit_id="unit-1", threshold=threshold)
    for batch_no, quantity in batches:
        stock.receive(batch_no, quantity, T0, "op-1")
    return stock


def print_one(stock: BlankStock, job_id: str, at: datetime = T0) -> tuple[str, list[StockLow]]:
    serial = stock.take_blank(job_id, at)
    return serial, stock.record_issued(serial, at)


def test_receipt_and_fifo_serials_across_batches():
    stock = stock_with(("B1", 2), ("B2", 3))
    serials = [print_one(stock, f"job-{i}")[0] for i in range(3)]
    assert serials == ["B1-000001", "B1-000002", "B2-000001"]
    rec = stock.reconcile()
    assert (rec.received, rec.issued, rec.spoiled, rec.remaining, rec.in_printer) == (5, 3, 0, 2, 0)
    assert rec.balanced


def test_same_receipt_twice_is_a_no_op_but_a_conflicting_one_is_refused():
    stock = stock_with(("B1", 10))
    stock.receive("B1", 10, T0, "op-1")
    assert stock.received == 10
    with pytest.raises(StockError, match="batch B1 was already received with 10 blanks"):
        stock.receive("B1", 12, T0, "op-1")


@pytest.mark.parametrize(("batch_no", "quantity"), [("", 5), ("B 1", 5), ("B1", 0), ("B1", 100_001)])
def test_invalid_receipt_is_refused(batch_no, quantity):
    with pytest.raises(ValueError):
        BlankStock(unit_id="u").receive(batch_no, quantity, T0, "op")


def test_the_same_job_gets_the_same_blank_back():
    stock = stock_with(("B1", 3))
    assert stock.take_blank("job-1", T0) == stock.take_blank("job-1", T0)
    assert stock.in_printer == 1


def test_out_of_stock_when_every_blank_is_used_or_in_the_printer():
    stock = stock_with(("B1", 2))
    print_one(stock, "job-1")
    stock.take_blank("job-2", T0)
    with pytest.raises(OutOfStock, match="unit unit-1 has no blank left"):
        stock.take_blank("job-3", T0)
    assert stock.reconcile().balanced


def test_failed_print_returns_the_blank_first_in_line():
    stock = stock_with(("B1", 3))
    serial = stock.take_blank("job-1", T0)
    stock.release(serial)
    assert stock.take_blank("job-2", T0) == serial
    assert stock.reconcile().balanced


def test_spoil_in_printer_and_spoil_of_a_printed_card():
    stock = stock_with(("B1", 5))
    jam = stock.take_blank("job-1", T0)
    stock.record_spoiled(jam, T0, "jam")
    printed, _ = print_one(stock, "job-2")
    stock.record_spoiled(printed, T0, "misprint found at check")
    stock.record_spoiled(printed, T0, "again")  # repeat: nothing changes
    rec = stock.reconcile()
    assert (rec.issued, rec.spoiled, rec.remaining) == (0, 2, 3)
    assert rec.balanced


def test_issue_is_idempotent_and_checked():
    stock = stock_with(("B1", 5))
    serial, _ = print_one(stock, "job-1")
    assert stock.record_issued(serial, T0) == []
    assert stock.issued == 1
    with pytest.raises(StockError, match="never taken"):
        stock.record_issued("B9-000001", T0)
    with pytest.raises(StockError, match="only a blank in the printer can go back"):
        stock.release(serial)
    spoiled = stock.take_blank("job-2", T0)
    stock.record_spoiled(spoiled, T0, "jam")
    with pytest.raises(StockError, match="is spoiled, not in the printer"):
        stock.record_issued(spoiled, T0)


def test_write_off_unused_blanks():
    stock = stock_with(("B1", 5))
    stock.spoil_unused(2, T0, "op-1", "wet in transport")
    assert (stock.spoiled, stock.remaining) == (2, 3)
    with pytest.raises(StockError, match="only 3 available"):
        stock.spoil_unused(4, T0, "op-1", "x")
    with pytest.raises(StockError, match="at least 1"):
        stock.spoil_unused(0, T0, "op-1", "x")
    assert stock.reconcile().balanced


def test_stock_low_once_per_crossing_and_again_after_restock():
    stock = stock_with(("B1", 4), threshold=3)
    assert print_one(stock, "j1")[1] == []  # 3 left: not below 3
    events = print_one(stock, "j2")[1]
    assert events == [StockLow(unit_id="unit-1", remaining=2, threshold=3, at=T0)]
    assert print_one(stock, "j3")[1] == []  # still low: no repeat
    stock.receive("B2", 10, T0, "op-1")  # 11 left: re-armed
    for i in range(8):
        print_one(stock, f"k{i}")
    assert print_one(stock, "k8")[1][0].remaining == 2


def test_threshold_change_can_raise_the_alert():
    stock = stock_with(("B1", 5), threshold=2)
    assert [e.remaining for e in stock.set_threshold(10, T0)] == [5]
    with pytest.raises(StockError):
        stock.set_threshold(-1, T0)


def test_daily_report_in_local_time_balances():
    stock = BlankStock(unit_id="unit-1", threshold=0)
    day1 = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)
    stock.receive("B1", 10, day1, "op")
    print_one(stock, "j1", day1)
    # 23:30 UTC on the 28th is 06:30 WIB on the 29th
    late = datetime(2026, 11, 28, 23, 30, tzinfo=timezone.utc)
    stock.receive("B2", 5, late, "op")
    serial, _ = print_one(stock, "j2", late + timedelta(hours=1))
    stock.record_spoiled(stock.take_blank("j3", late + timedelta(hours=2)), late + timedelta(hours=2), "jam")
    report = stock.daily_report(date(2026, 11, 29), WIB)
    assert (report.opening, report.received, report.issued, report.spoiled, report.closing) == (9, 5, 1, 1, 12)
    assert report.batches_received == ["B2"]
    assert report.balanced
    assert stock.daily_report(date(2026, 11, 28), WIB).closing == 9
    assert stock.daily_report(date(2026, 11, 30), WIB).opening == 12 == stock.remaining


def test_release_for_a_job_is_idempotent_and_never_takes_another_jobs_blank():
    stock = stock_with(("B1", 3))
    serial = stock.take_blank("job-1", T0)
    stock.release(serial, "job-1")
    assert stock.take_blank("job-2", T0) == serial  # reused by the next job
    stock.release(serial, "job-1")  # a repeated release for job-1 changes nothing
    assert stock.blanks[serial].job_id == "job-2" and stock.in_printer == 1
    assert stock.reconcile().balanced
