"""Print job life cycle: statuses, retries with back-off, audited reprints, handover."""

from datetime import date, datetime, timedelta, timezone

import pytest

from services.printing.domain.errors import InvalidTransition
from services.printing.domain.print_job import (
    MAX_AUTOMATIC_ATTEMPTS, AttemptOutcome, CertificateIssued, CertificateRef, RetryPolicy, CardHandedOver, CardPrinted, CardPrintFailed, Handover, JobStatus,
    PrintJob, ReprintReason,
)
from services.printing.synthetic import synthetic_request

T0 = datetime(2026, 11, 29, 1, 0, tzinfo=timezone.utc)


def new_job(n: int = 1) -> PrintJob:
    return PrintJob.from_request(synthetic_request(n), T0)


def test_job_is_keyed_by_the_request_and_masks_the_nik():
    request = synthetic_request(3)
    job = PrintJob.from_request(request, T0)
    assert job.job_id == request.event_id and job.request_id == request.request_id
    assert job.masked_nik == request.fields.nik[:4] + "********" + request.fields.nik[-4:]
    assert job.status is JobStatus.QUEUED and job.history[0].action == "created"


def test_print_happy_path():
    job = new_job()
    job.start("B1-000001", T0)
    assert job.status is JobStatus.PRINTING
    events = job.mark_printed(T0 + timedelta(seconds=20))
    assert events == [CardPrinted(job_id=job.job_id, card_serial="B1-000001",
                                  printed_at=T0 + timedelta(seconds=20), reprint=False)]
    assert (job.status, job.card_serial) == (JobStatus.PRINTED, "B1-000001")
    assert [h.to_status for h in job.history] == [JobStatus.QUEUED, JobStatus.PRINTING, JobStatus.PRINTED]


def test_a_printed_card_is_never_printed_again_without_a_reprint():
    job = new_job()
    job.start("B1-000001", T0)
    job.mark_printed(T0)
    with pytest.raises(InvalidTransition, match="cannot start printing while printed"):
        job.start("B1-000002", T0)


def test_failures_back_off_then_need_attention():
    job = new_job()
    at = T0
    delays = []
    for attempt in range(1, MAX_AUTOMATIC_ATTEMPTS + 1):
        job.start(f"B1-{attempt:06d}", at)
        [event] = job.mark_failed("printer offline", at)
        assert isinstance(event, CardPrintFailed) and event.attempt == attempt
        if attempt < MAX_AUTOMATIC_ATTEMPTS:
            assert event.will_retry and job.retry_at is not None
            assert not job.is_ready(at) and job.is_ready(job.retry_at)
            delays.append(job.retry_at - at)
            at = job.retry_at
        else:
            assert not event.will_retry and job.needs_attention and not job.is_ready(at + timedelta(days=1))
    assert delays == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120), timedelta(seconds=240)]
    job.retry_now(at, "op-1")
    assert job.status is JobStatus.QUEUED and job.is_ready(at) and job.failures_in_row == 0
    assert job.history[-1].action == "retry requested" and job.history[-1].by == "op-1"


def test_spoil_during_printing_then_audited_reprint_on_a_new_blank():
    job = new_job()
    job.start("B1-000001", T0)
    [event] = job.mark_spoiled("card jammed", T0, "printer")
    assert event.outcome is AttemptOutcome.SPOILED and not event.will_retry
    assert job.status is JobStatus.SPOILED and not job.is_ready(T0)
    job.request_reprint(ReprintReason.MISPRINT, "jammed in the laminator", T0, "op-2")
    entry = job.history[-1]
    assert (entry.action, entry.by, entry.reason) == ("reprint requested", "op-2", "misprint: jammed in the laminator")
    job.start("B1-000002", T0)
    [printed] = job.mark_printed(T0)
    assert printed.reprint and printed.card_serial == "B1-000002"
    assert [a.blank_serial for a in job.attempts] == ["B1-000001", "B1-000002"]


def test_reprint_of_a_printed_card_needs_reason_and_note():
    job = new_job()
    job.start("B1-000001", T0)
    job.mark_printed(T0)
    with pytest.raises(InvalidTransition, match="needs a note"):
        job.request_reprint(ReprintReason.DAMAGED, "  ", T0, "op")
    job.request_reprint(ReprintReason.DAMAGED, "scratched photo", T0, "op")
    assert job.status is JobStatus.QUEUED and job.card_serial is None


def test_reprint_not_allowed_from_queued_or_after_handover():
    job = new_job()
    with pytest.raises(InvalidTransition, match="cannot reprint while queued"):
        job.request_reprint(ReprintReason.DAMAGED, "x", T0, "op")
    job.start("B1-000001", T0)
    job.mark_printed(T0)
    job.hand_over(Handover(at=T0, by="op-3"))
    with pytest.raises(InvalidTransition, match="needs a new card request"):
        job.request_reprint(ReprintReason.DAMAGED, "x", T0, "op")
    with pytest.raises(InvalidTransition, match="already handed over"):
        job.mark_spoiled("x", T0, "op")


def test_handover_once_and_personal_data_dropped():
    job = new_job()
    job.start("B1-000001", T0)
    job.mark_printed(T0)
    events = job.hand_over(Handover(at=T0, by="op-3"))
    assert events == [CardHandedOver(job_id=job.job_id, card_serial="B1-000001",
                                     handed_over_at=T0, handed_over_by="op-3")]
    assert job.fields is None and job.images is None
    assert job.hand_over(Handover(at=T0 + timedelta(hours=1), by="op-4")) == []
    assert job.handover is not None and job.handover.by == "op-3"


def test_handover_needs_a_printed_card():
    with pytest.raises(InvalidTransition, match="cannot hand over while queued"):
        new_job().hand_over(Handover(at=T0, by="op"))


def test_invalid_transitions_name_job_and_status():
    job = new_job()
    with pytest.raises(InvalidTransition, match=f"job {job.job_id}: cannot mark printed while queued"):
        job.mark_printed(T0)
    with pytest.raises(InvalidTransition, match="cannot mark failed while queued"):
        job.mark_failed("x", T0)
    with pytest.raises(InvalidTransition, match="cannot retry while queued"):
        job.retry_now(T0, "op")


def test_waiting_for_stock_issues_one_certificate():
    job = new_job()
    ref = CertificateRef(number="470/SK-KTP/X/2026/AAAA", issued_at=T0, valid_until=date(2027, 5, 29))
    [event] = job.wait_for_stock(ref, T0)
    assert event == CertificateIssued(job_id=job.job_id, number=ref.number, issued_at=T0,
                                      valid_until=date(2027, 5, 29))
    version = job.version
    assert job.wait_for_stock(ref, T0) == [] and job.version == version  # nothing new, nothing to save
    assert job.waiting_for_stock and job.status is JobStatus.QUEUED
    assert [h.action for h in job.history].count("certificate issued") == 1
    job.start("B1-000001", T0)
    assert not job.waiting_for_stock


def test_retry_policy_is_configurable():
    job = new_job()
    policy = RetryPolicy(max_attempts=2, base=timedelta(seconds=1), cap=timedelta(seconds=1))
    job.start("B1-000001", T0)
    [first] = job.mark_failed("offline", T0, policy)
    assert first.will_retry and job.retry_at == T0 + timedelta(seconds=1)
    job.start("B1-000001", T0)
    [second] = job.mark_failed("offline", T0, policy)
    assert not second.will_retry and job.needs_attention


def test_operator_confirms_a_card_printed_by_a_crashed_process():
    job = new_job()
    job.start("B1-000001", T0)
    assert job.printing_since() == T0
    [event] = job.confirm_printed(T0 + timedelta(minutes=5), "op-4")
    assert isinstance(event, CardPrinted) and job.status is JobStatus.PRINTED
    assert (job.history[-1].action, job.history[-1].by) == ("printed (confirmed)", "op-4")
    assert job.printing_since() is None
    with pytest.raises(InvalidTransition):
        job.confirm_printed(T0, "op-4")
