from datetime import UTC, date, datetime, timedelta

import pytest

from services.enrollment.domain.capture import BiometricException
from services.enrollment.domain.consent import (
    Consent,
    ConsentError,
    ConsentRequired,
    accept_consent,
    consent_for_capture,
)
from services.enrollment.domain.eligibility import AgePolicy
from services.enrollment.domain.print_request import NotPrintReady, decide_print
from services.enrollment.domain.recording import (
    ApprovalRefused,
    RecordingState,
    SubmissionBlocked,
    approve_exceptions,
    check_submittable,
)
from services.enrollment.domain.status import InvalidTransition, RecordingStatus, move

POLICY = AgePolicy()
NOW = datetime(2026, 7, 15, 9, 0, tzinfo=UTC)
MINOR = date(2009, 5, 12)  # 17
ADULT = date(2008, 1, 1)  # 18


def consent(**over):
    fields = {"consent_id": "c1", "guardian_name": "Wali Contoh", "relationship": "ibu",
              "method": "signed_form", "reference": "FORM-0001",
              "given_at": NOW - timedelta(days=1), "recorded_by": "op-1"}
    fields.update(over)
    return Consent.model_validate(fields)


def test_a_minor_without_consent_cannot_be_captured():
    with pytest.raises(ConsentRequired, match="under 18: a guardian's consent"):
        consent_for_capture(MINOR, NOW, [], POLICY)


def test_a_minor_with_consent_on_file_can_be_captured():
    given = consent(method="sms_confirmation", reference="SMS-7f3a")
    assert consent_for_capture(MINOR, NOW, [given], POLICY) == given


def test_an_adult_needs_no_guardian_consent():
    assert consent_for_capture(ADULT, NOW, [], POLICY) is None


def test_withdrawn_consent_no_longer_allows_capture():
    withdrawn = consent().withdraw(by="op-2", at=NOW - timedelta(hours=1), reason="guardian asked")
    assert withdrawn.withdrawn_by == "op-2"
    with pytest.raises(ConsentRequired):
        consent_for_capture(MINOR, NOW, [withdrawn], POLICY)
    # a capture before the withdrawal was covered
    assert consent_for_capture(MINOR, NOW - timedelta(hours=2), [withdrawn], POLICY)


def test_consent_given_after_the_capture_time_does_not_count():
    with pytest.raises(ConsentRequired):
        consent_for_capture(MINOR, NOW, [consent(given_at=NOW + timedelta(minutes=5))], POLICY)


def test_consent_cannot_be_withdrawn_twice_or_given_in_the_future():
    withdrawn = consent().withdraw(by="op-2", at=NOW)
    with pytest.raises(ConsentError, match="already withdrawn"):
        withdrawn.withdraw(by="op-2", at=NOW)
    with pytest.raises(ConsentError, match="before it was given"):
        consent().withdraw(by="op-2", at=NOW - timedelta(days=3))
    with pytest.raises(ConsentError, match="in the future"):
        accept_consent(consent(given_at=NOW + timedelta(days=1)), now=NOW)


def test_consent_needs_a_method_and_a_reference():
    with pytest.raises(ValueError):
        consent(method="verbal")
    with pytest.raises(ValueError):
        consent(reference="")


def test_status_moves_captured_submitted_answered():
    status = move(None, RecordingStatus.CAPTURED)
    status = move(status, RecordingStatus.SUBMITTED)
    assert move(status, RecordingStatus.PRINT_READY).answered
    assert move(status, RecordingStatus.DUPLICATE).answered
    failed = move(status, RecordingStatus.FAILED)
    assert move(failed, RecordingStatus.CAPTURED) is RecordingStatus.CAPTURED


@pytest.mark.parametrize(("current", "new"), [
    (None, RecordingStatus.SUBMITTED),
    (RecordingStatus.CAPTURED, RecordingStatus.PRINT_READY),
    (RecordingStatus.PRINT_READY, RecordingStatus.SUBMITTED),
    (RecordingStatus.DUPLICATE, RecordingStatus.CAPTURED),
])
def test_impossible_status_moves_are_refused(current, new):
    with pytest.raises(InvalidTransition, match="a recording cannot go from"):
        move(current, new)


def test_print_ready_at_printing_age_is_requested_now():
    decision = decide_print(RecordingStatus.PRINT_READY, MINOR, ever_married=False,
                            today=NOW.date(), policy=POLICY)
    assert decision.request_now and decision.due_on == NOW.date()


def test_print_ready_below_printing_age_waits_for_the_17th_birthday():
    decision = decide_print(RecordingStatus.PRINT_READY, date(2010, 3, 1), ever_married=False,
                            today=NOW.date(), policy=POLICY)
    assert not decision.request_now and decision.due_on == date(2027, 3, 1)
    leap = decide_print(RecordingStatus.PRINT_READY, date(2008, 2, 29), ever_married=False,
                        today=date(2025, 2, 28), policy=POLICY)
    assert not leap.request_now and leap.due_on == date(2025, 3, 1)


def test_married_students_are_printed_now_whatever_their_age():
    decision = decide_print(RecordingStatus.PRINT_READY, date(2010, 3, 1), ever_married=True,
                            today=NOW.date(), policy=POLICY)
    assert decision.request_now


@pytest.mark.parametrize("status", [RecordingStatus.CAPTURED, RecordingStatus.SUBMITTED,
                                    RecordingStatus.DUPLICATE, RecordingStatus.FAILED])
def test_only_print_ready_records_are_printed(status):
    with pytest.raises(NotPrintReady):
        decide_print(status, MINOR, ever_married=False, today=NOW.date(), policy=POLICY)


def state(**over):
    fields = {"status": "captured", "captured_by": "op-1", "captured_at": NOW,
              "exceptions": [BiometricException(modality="fingerprint:left_index",
                                                reason="amputation")]}
    fields.update(over)
    return RecordingState.model_validate(fields)


def test_exceptions_block_submission_until_a_supervisor_approves():
    pending = state()
    with pytest.raises(SubmissionBlocked, match="await a supervisor's approval"):
        check_submittable(pending)
    approved = approve_exceptions(pending, supervisor="sup-1", is_supervisor=True, at=NOW)
    check_submittable(approved)
    assert approved.exceptions_approved_by == "sup-1"


@pytest.mark.parametrize(("kwargs", "reason"), [
    ({"supervisor": "op-2", "is_supervisor": False}, "only a supervisor may approve"),
    ({"supervisor": "op-1", "is_supervisor": True}, "who captured the record cannot approve"),
])
def test_approval_rules(kwargs, reason):
    with pytest.raises(ApprovalRefused, match=reason):
        approve_exceptions(state(), at=NOW, **kwargs)


def test_nothing_to_approve_or_approved_twice():
    with pytest.raises(ApprovalRefused, match="no biometric exceptions"):
        approve_exceptions(state(exceptions=[]), supervisor="s", is_supervisor=True, at=NOW)
    once = approve_exceptions(state(), supervisor="s", is_supervisor=True, at=NOW)
    with pytest.raises(ApprovalRefused, match="already approved"):
        approve_exceptions(once, supervisor="s", is_supervisor=True, at=NOW)


def test_only_a_captured_record_is_submitted():
    with pytest.raises(SubmissionBlocked, match="is submitted, not captured"):
        check_submittable(state(status="submitted", exceptions=[]))
