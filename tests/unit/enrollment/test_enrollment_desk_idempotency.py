"""The pure parts of the desk's Idempotency-Key: the request's fingerprint, the student as a
write will leave it, and what a kept key answers."""

import datetime as dt

import pytest

from services.enrollment.desk_idempotency import (
    FIELD,
    DeskRequest,
    KeyReused,
    Replayed,
    applied,
    fingerprint,
)
from services.enrollment.desk_requests import Approval, CheckIn


def test_the_fingerprint_is_the_operation_the_target_and_the_body_as_validated():
    same = CheckIn.model_validate_json('{"operator_id": "op-1", "visit_id": "V-1"}')
    body = CheckIn(visit_id="V-1", operator_id="op-1")
    assert fingerprint("check-in", "ST-1", same) == fingerprint("check-in", "ST-1", body)
    assert fingerprint("check-in", "ST-1", body) != fingerprint("check-in", "ST-1",
                                                                 CheckIn(visit_id="V-1", operator_id="op-2"))
    assert fingerprint("check-in", "ST-1", body) != fingerprint("check-in", "ST-2", body)
    assert fingerprint("check-in", "ST-1", body) != fingerprint("capture", "ST-1", body)


def test_applied_sets_dotted_paths_pushes_and_keeps_datetimes_as_bson_does():
    at = dt.datetime(2026, 7, 15, 8, 30, 1, 123456, tzinfo=dt.UTC)
    doc = {"_id": "ST-1", "version": 3, "recording": {"status": "captured", "number": 1},
           "corrections": [{"field": "name"}]}
    after = applied(doc, {"$set": {"recording.submittable": True, "phone": "+62857"},
                          "$push": {"corrections": {"field": "phone", "at": at},
                                    "consents": {"$each": [{"consent_id": "C-1"}]}}})
    assert after["recording"] == {"status": "captured", "number": 1, "submittable": True}
    assert after["phone"] == "+62857"
    assert after["corrections"] == [{"field": "name"},
                                    {"field": "phone", "at": at.replace(microsecond=123000)}]
    assert after["consents"] == [{"consent_id": "C-1"}]
    assert doc == {"_id": "ST-1", "version": 3, "recording": {"status": "captured", "number": 1},
                   "corrections": [{"field": "name"}]}  # the document read is left as it was
    with pytest.raises(ValueError, match=r"\$inc is not a desk write"):
        applied(doc, {"$inc": {"version": 1}})


def test_a_kept_key_answers_its_request_again_and_refuses_another():
    body = Approval(supervisor_id="sup-1")
    request = DeskRequest.of("k-1", "exceptions-approval", "ST-1", body, lambda doc: {"v": doc["version"]})
    assert request is not None and DeskRequest.of(None, "exceptions-approval", "ST-1", body, dict) is None
    kept = request.kept({"version": 4}, dt.datetime.now(dt.UTC))
    assert request.answer == {"v": 4} and kept["status"] == 200
    request.check({"version": 4})  # no key kept yet: the request runs
    request.check({FIELD: [{**kept, "key": "k-0"}]})  # another key: runs
    with pytest.raises(Replayed) as replayed:
        request.check({FIELD: [kept]})
    assert (replayed.value.status, replayed.value.body) == (200, {"v": 4})
    other = DeskRequest.of("k-1", "exceptions-approval", "ST-1", Approval(supervisor_id="sup-2"), dict)
    assert other is not None
    with pytest.raises(KeyReused, match="Idempotency-Key 'k-1' was already used for a different request"):
        other.check({FIELD: [kept]})
