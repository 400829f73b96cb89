"""Domain events -> the public catalogue: right type, version and ids; no personal data."""

import json
from datetime import date, datetime, timezone

from services.printing.adapters.public_events import job_events, stock_events
from services.printing.domain.print_job import CertificateRef, Handover, PrintJob
from services.printing.domain.stock import BlankStock
from services.printing.synthetic import synthetic_request

T0 = datetime(2026, 11, 29, 1, 0, tzinfo=timezone.utc)


def _job() -> PrintJob:
    return PrintJob.from_request(synthetic_request(4), T0)


def _no_personal_data(job: PrintJob, events) -> None:
    text = json.dumps([e.to_document() for e in events])
    assert job.fields is None or (job.fields.nik not in text and job.fields.name not in text
                                  and job.fields.street not in text)


def test_printed_failed_handed_over_map_to_the_catalogue():
    job = _job()
    request_fields = job.fields
    job.start("B1-000001", T0)
    failed = job_events(job, job.mark_failed("printer offline", T0), "corr-1")
    job.start("B1-000001", T0)
    printed = job_events(job, job.mark_printed(T0), "corr-1")
    handed = job_events(job, job.hand_over(Handover(at=T0, by="op-9")), "corr-1")
    [f], [p], [h] = failed, printed, handed
    assert (f.type, p.type, h.type) == ("jemput.card.print_failed.v1", "jemput.card.printed.v1",
                                        "jemput.card.handed_over.v1")
    assert f.data["will_retry"] is True and f.data["attempt"] == 1 and f.data["reason"] == "printer offline"
    assert p.data["card_serial"] == "B1-000001" and p.data["request_id"] == "REQ-000004"
    assert p.data["version"] == job.version - 1 and h.data["version"] == job.version
    assert {e.subject for e in (f, p, h)} == {job.job_id}
    assert {e.causationid for e in (f, p, h)} == {job.job_id} and {e.correlationid for e in (f, p, h)} == {"corr-1"}
    assert h.data["handed_over_by"] == "op-9"
    text = json.dumps([e.to_document() for e in (f, p, h)])
    assert request_fields.nik not in text and request_fields.name not in text


def test_spoil_is_a_print_failure_saying_so_and_long_reasons_are_cut():
    job = _job()
    job.start("B1-000001", T0)
    [event] = job_events(job, job.mark_spoiled("x" * 300, T0, "op"), None)
    assert event.data["reason"].startswith("spoiled: x") and len(event.data["reason"]) == 200
    assert event.data["will_retry"] is False


def test_certificate_issued():
    job = _job()
    ref = CertificateRef(number="470/SK-KTP/UNIT1/2026/ABCD1234", issued_at=T0, valid_until=date(2027, 5, 29))
    [event] = job_events(job, job.wait_for_stock(ref, T0), None)
    assert event.type == "jemput.certificate.issued.v1"
    assert event.data["certificate_id"] == ref.number and event.data["valid_until"] == "2027-05-29"
    assert event.correlationid == event.id  # no cause known: a new conversation
    _no_personal_data(job, [event])


def test_stock_low():
    stock = BlankStock(unit_id="unit-1", threshold=5)
    stock.receive("B1", 5, T0, "op")
    serial = stock.take_blank("j", T0)
    [event] = stock_events(stock, stock.record_issued(serial, T0))
    assert event.type == "jemput.stock.low.v1" and event.subject == "unit-1"
    assert (event.data["remaining"], event.data["threshold"], event.data["version"]) == (4, 5, stock.version)
