"""Which fact each public event becomes, and the office day it counts on."""

from __future__ import annotations

import datetime as dt
from datetime import UTC
from zoneinfo import ZoneInfo

import pytest

from services.dashboard.domain.facts import fact_of, local_day, visit_details, visit_state
from shared.events import models as ev

from .factory import T0, certificate, handed_over, printed, recorded, visit

JAKARTA = ZoneInfo("Asia/Jakarta")


def test_a_late_evening_in_utc_is_the_next_day_in_jakarta() -> None:
    assert local_day(dt.datetime(2026, 5, 6, 18, 30, tzinfo=UTC), JAKARTA) == "2026-05-07"
    assert local_day(dt.datetime(2026, 5, 6, 16, 59, tzinfo=UTC), JAKARTA) == "2026-05-06"


def test_a_recording_is_one_copy_per_student_kept_at_its_newest_version() -> None:
    first = fact_of(recorded("S-1", version=1), "e1", JAKARTA)
    again = fact_of(recorded("S-1", version=2), "e2", JAKARTA)
    assert first.key == again.key == "recorded:S-1"
    assert (first.version, again.version) == (1, 2)
    assert first.fields["day"] == "2026-05-06" and first.fields["unit_id"] == "unit-1"


def test_cards_and_handovers_count_once_per_event_certificates_once_per_certificate() -> None:
    card = fact_of(printed("S-1"), "event-a", JAKARTA)
    assert (card.key, card.kind, card.version, card.fields["reprint"]) == ("printed:event-a", "printed", None, False)
    assert fact_of(printed("S-1", reprint=True), "event-b", JAKARTA).fields["reprint"] is True
    handover = fact_of(handed_over("S-1"), "event-c", JAKARTA)
    assert handover.key == "handed_over:event-c" and "unit_id" not in handover.fields
    assert fact_of(certificate("S-2"), "event-d", JAKARTA).key == "certificate:SK-S-2"


def test_an_event_without_a_fact_is_refused() -> None:
    stock = ev.StockLow(unit_id="unit-1", remaining=3, threshold=10, at=T0, version=4)
    with pytest.raises(TypeError, match="StockLow"):
        fact_of(stock, "e", JAKARTA)
    with pytest.raises(TypeError, match="not a visit event"):
        visit_state(stock)


@pytest.mark.parametrize(("kind", "status", "field"), [
    ("scheduled", "scheduled", "date"), ("rescheduled", "rescheduled", "previous_date"),
    ("cancelled", "cancelled", "reason"), ("started", "in_progress", "started_at"),
    ("completed", "completed", "absent"),
])
def test_each_visit_event_sets_its_status_and_fields(kind: str, status: str, field: str) -> None:
    got_status, fields = visit_state(visit(kind))
    assert got_status == status
    assert field in fields and fields["npsn"] == "20600001" and fields["unit_id"] == "unit-1"


def test_visit_details_come_only_from_scheduled_and_rescheduled() -> None:
    details = visit_details(visit("rescheduled"))
    assert details["school_name"] == "SMAN 1 Contoh" and details["expected_students"] == 120
    assert details["catch_up"] is False and "date" not in details
