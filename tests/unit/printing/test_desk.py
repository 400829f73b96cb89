"""The print desk across jobs and stock: FIFO per unit and visit; zero stock -> certificate
-> restock -> the waiting jobs print in their order."""

from datetime import date, datetime, timedelta, timezone

import pytest

from services.printing.domain import desk, queue
from services.printing.domain.errors import InvalidTransition
from services.printing.domain.office import IssuingOffice
from services.printing.domain.print_job import JobStatus, PrintJob
from services.printing.domain.stock import BlankStock
from services.printing.synthetic import synthetic_images, synthetic_request

T0 = datetime(2026, 11, 29, 1, 0, tzinfo=timezone.utc)
TODAY = date(2026, 11, 29)
OFFICE = IssuingOffice()
IMAGES = synthetic_images(0)


def jobs(*ns: int, visit_id: str = "visit-1") -> list[PrintJob]:
    return [PrintJob.from_request(synthetic_request(n, visit_id=visit_id, images=IMAGES), T0) for n in ns]


def run_queue(all_jobs: list[PrintJob], stock: BlankStock, at: datetime) -> list[str]:
    """Print every ready job in order; return the job ids printed, certificates issued on the way."""
    printed = []
    for job in queue.ready_jobs(all_jobs, at):
        result = desk.begin_print(job, stock, at, TODAY, OFFICE)
        if isinstance(result, desk.Started):
            desk.finish_printed(job, stock, at)
            printed.append(job.job_id)
    return printed


def test_fifo_by_request_time_whatever_the_arrival_order():
    later, earlier = jobs(2, 1)
    assert queue.next_ready([later, earlier], T0) is earlier
    assert [j.job_id for j in queue.in_queue_order([later, earlier])] == [earlier.job_id, later.job_id]


def test_zero_stock_certificate_then_restock_prints_in_order():
    queued = jobs(3, 1, 2)
    stock = BlankStock(unit_id="unit-1", threshold=0)
    certificates = []
    for job in queue.ready_jobs(queued, T0):
        result = desk.begin_print(job, stock, T0, TODAY, OFFICE)
        assert isinstance(result, desk.WaitingForStock)
        assert [e.number for e in result.events] == [result.certificate.number]
        certificates.append(result.certificate)
    assert [c.job_id for c in certificates] == [j.job_id for j in queue.in_queue_order(queued)]
    assert all(c.valid_until == date(2027, 5, 29) for c in certificates)
    assert [j.job_id for j in queue.waiting_for_stock(queued)] == [c.job_id for c in certificates]

    # a second pass with still no stock issues no second certificate
    again = desk.begin_print(queue.next_ready(queued, T0), stock, T0, TODAY, OFFICE)
    assert isinstance(again, desk.WaitingForStock) and again.certificate is None

    stock.receive("B7", 2, T0 + timedelta(hours=1), "op")
    printed = run_queue(queued, stock, T0 + timedelta(hours=1))
    order = [j.job_id for j in queue.in_queue_order(queued)]
    assert printed == order[:2]
    stock.receive("B8", 1, T0 + timedelta(hours=2), "op")
    assert run_queue(queued, stock, T0 + timedelta(hours=2)) == order[2:]
    assert all(j.status is JobStatus.PRINTED and not j.waiting_for_stock for j in queued)
    assert [j.card_serial for j in queue.in_queue_order(queued)] == ["B7-000001", "B7-000002", "B8-000001"]
    assert stock.reconcile().balanced


def test_printer_failure_releases_the_blank_and_retries():
    [job] = jobs(1)
    stock = BlankStock(unit_id="unit-1", threshold=0)
    stock.receive("B1", 1, T0, "op")
    started = desk.begin_print(job, stock, T0, TODAY, OFFICE)
    assert isinstance(started, desk.Started)
    [event] = desk.finish_failed(job, stock, "printer offline", T0)
    assert event.will_retry and stock.available == 1 and stock.in_printer == 0
    assert queue.next_ready([job], T0) is None
    retry_at = job.retry_at
    assert queue.next_ready([job], retry_at) is job
    assert isinstance(desk.begin_print(job, stock, retry_at, TODAY, OFFICE), desk.Started)
    events = desk.finish_printed(job, stock, retry_at)
    assert job.card_serial == "B1-000001" and stock.issued == 1
    assert [type(e).__name__ for e in events] == ["CardPrinted"]


def test_spoil_consumes_the_blank_and_reprint_takes_a_new_one():
    [job] = jobs(1)
    stock = BlankStock(unit_id="unit-1", threshold=6)
    stock.receive("B1", 6, T0, "op")
    desk.begin_print(job, stock, T0, TODAY, OFFICE)
    events = desk.spoil(job, stock, "ribbon broke", T0, "op")
    assert [type(e).__name__ for e in events] == ["CardPrintFailed", "StockLow"]
    from services.printing.domain.print_job import ReprintReason

    job.request_reprint(ReprintReason.MISPRINT, "ribbon broke", T0, "op")
    result = desk.begin_print(job, stock, T0, TODAY, OFFICE)
    assert result.blank_serial == "B1-000002"
    desk.finish_printed(job, stock, T0)
    assert (stock.issued, stock.spoiled, stock.remaining) == (1, 1, 4)


def test_job_of_another_unit_is_refused():
    [job] = jobs(1)
    with pytest.raises(InvalidTransition, match="belongs to unit unit-1, not unit-2"):
        desk.begin_print(job, BlankStock(unit_id="unit-2"), T0, TODAY, OFFICE)


def test_queues_are_per_visit():
    a = jobs(1, 3, visit_id="visit-a")
    b = jobs(2, visit_id="visit-b")
    assert [j.visit_id for j in queue.ready_jobs(a, T0)] == ["visit-a", "visit-a"]
    assert queue.next_ready(b, T0).job_id == b[0].job_id


def test_reprint_of_a_printed_card_voids_its_blank():
    from services.printing.domain.print_job import ReprintReason

    [job] = jobs(1)
    stock = BlankStock(unit_id="unit-1", threshold=0)
    stock.receive("B1", 3, T0, "op")
    desk.begin_print(job, stock, T0, TODAY, OFFICE)
    desk.finish_printed(job, stock, T0)
    desk.reprint(job, stock, ReprintReason.DAMAGED, "cracked at lamination", T0, "op-5")
    assert (stock.issued, stock.spoiled) == (0, 1)
    assert stock.movements[-1].reason == "replaced by reprint: damaged"
    desk.begin_print(job, stock, T0, TODAY, OFFICE)
    [printed] = desk.finish_printed(job, stock, T0)
    assert printed.reprint and printed.card_serial == "B1-000002"
    assert (stock.issued, stock.spoiled, stock.remaining) == (1, 1, 1) and stock.reconcile().balanced
