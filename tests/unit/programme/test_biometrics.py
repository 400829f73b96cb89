"""The demo's synthetic captures pass, fail and are excepted exactly as the desk's rules say."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from programme.biometrics import CapturePlan, card_details, payload
from services.enrollment.desk_requests import CardDetails
from services.enrollment.domain.capture import CapturePayload, CaptureRejected, CaptureThresholds, validate_capture


def check(body: dict) -> None:
    validate_capture(CapturePayload.model_validate(body), CaptureThresholds())


def test_a_good_capture_passes() -> None:
    check(payload(random.Random(1)))


def test_a_poor_finger_is_refused_naming_the_finger() -> None:
    with pytest.raises(CaptureRejected) as refused:
        check(payload(random.Random(1), poor_finger="left_index"))
    assert any("left_index" in p.field for p in refused.value.problems)


def test_an_excepted_finger_passes_with_its_exception() -> None:
    body = payload(random.Random(1), excepted="right_thumb")
    check(body)
    assert body["exceptions"][0]["modality"] == "fingerprint:right_thumb"
    assert all(f["position"] != "right_thumb" for f in body["fingerprints"])


def test_card_details_are_what_the_desk_accepts() -> None:
    CardDetails.model_validate(card_details(random.Random(3), "Pasar Kemis", "Jl. Pendidikan No. 4, Pasar Kemis"))


def test_plans_are_reproducible_and_mostly_good() -> None:
    draw = lambda seed: [CapturePlan.draw(random.Random(seed * 1000 + i)) for i in range(2000)]  # noqa: E731
    assert draw(7) == draw(7)
    counts = Counter(p.quality for p in draw(7))
    assert counts["good"] > 1700 and counts["retake"] > counts["exception"] > 0
