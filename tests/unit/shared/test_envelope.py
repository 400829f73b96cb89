"""The CloudEvents envelope: round trip, and every way a message can be malformed."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from shared.bus import PoisonMessage, parse
from shared.envelope import CloudEvent, parse_type
from shared.events import models as ev
from shared.events import new_event


def visit_scheduled(**overrides) -> ev.VisitScheduled:
    fields = dict(visit_id="V-1", plan_id="P-1", npsn="20612345", school_name="SMAN 99 Contoh",
                  kecamatan="Balaraja", unit_id="unit-1", date=dt.date(2026, 5, 6), session_start="08:00",
                  session_end="12:00", expected_students=150, version=1)
    return ev.VisitScheduled(**{**fields, **overrides})


def test_round_trip_keeps_every_attribute() -> None:
    event = new_event("scheduling", visit_scheduled(), subject="V-1")
    parsed, data = parse(event.to_json())
    assert parsed == event
    assert data == visit_scheduled()
    body = json.loads(event.to_json())
    assert body["specversion"] == "1.0"
    assert body["source"] == "/jemput/scheduling"
    assert body["type"] == "jemput.visit.scheduled.v1"
    assert body["datacontenttype"] == "application/json"
    assert body["correlationid"] == body["id"]  # a new conversation correlates to itself
    assert body["time"].endswith("Z")


def test_causation_and_correlation_are_carried() -> None:
    cause = new_event("scheduling", visit_scheduled(), subject="V-1")
    event = new_event("scheduling", visit_scheduled(version=2), subject="V-1",
                      correlationid=cause.correlationid, causationid=cause.id)
    assert event.correlationid == cause.id and event.causationid == cause.id


def test_a_service_cannot_publish_another_services_event() -> None:
    with pytest.raises(ValueError, match="published by scheduling"):
        new_event("enrollment", visit_scheduled(), subject="V-1")


def good_body() -> dict:
    return json.loads(new_event("scheduling", visit_scheduled(), subject="V-1").to_json())


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda b: b.pop("id"), "invalid envelope: id: missing"),
        (lambda b: b.update(id="not-a-uuid"), "invalid envelope: id: value_error"),
        (lambda b: b.update(specversion="0.3"), "invalid envelope: specversion: literal_error"),
        (lambda b: b.update(source="somewhere"), "invalid envelope: source: string_pattern_mismatch"),
        (lambda b: b.update(type="visit.scheduled"), "invalid envelope: type: string_pattern_mismatch"),
        (lambda b: b.update(time="2026-05-06T08:00:00"), "invalid envelope: time: timezone_aware"),
        (lambda b: b.pop("time"), "invalid envelope: time: missing"),
        (lambda b: b.pop("subject"), "invalid envelope: subject: missing"),
        (lambda b: b.update(datacontenttype="text/plain"), "invalid envelope: datacontenttype: literal_error"),
        (lambda b: b.update(data="a string"), "invalid envelope: data: dict_type"),
        (lambda b: b.update(type="jemput.visit.scheduled.v9"), "unknown type version: unknown event type 'jemput.visit.scheduled.v9'"),
        (lambda b: b.update(type="jemput.visit.teleported.v1"), "unknown type version"),
        (lambda b: b["data"].pop("npsn"), "schema-invalid jemput.visit.scheduled.v1: data.npsn: missing"),
        (lambda b: b["data"].update(npsn="123"), "data.npsn: string_pattern_mismatch"),
        (lambda b: b["data"].update(nik="3603015012070001"), "data.nik: extra_forbidden"),
    ],
)
def test_malformed_envelopes_are_poison_with_a_reason(mutate, reason) -> None:
    body = good_body()
    mutate(body)
    with pytest.raises(PoisonMessage) as caught:
        parse(json.dumps(body).encode())
    assert reason in caught.value.reason


def test_bad_json_is_poison() -> None:
    with pytest.raises(PoisonMessage, match="bad JSON"):
        parse(b'{"specversion": "1.0", ')


def test_reasons_never_quote_the_values() -> None:
    body = good_body()
    body["data"]["school_name"] = ""
    body["data"]["npsn"] = "3603015012070001"  # a NIK in the wrong place must not echo back
    with pytest.raises(PoisonMessage) as caught:
        parse(json.dumps(body).encode())
    assert "3603015012070001" not in caught.value.reason


def test_type_names_parse() -> None:
    assert parse_type("jemput.student.print_ready.v2") == ("student.print_ready", 2)
    with pytest.raises(ValueError):
        parse_type("jemput.visit.scheduled")


def test_event_time_is_normalised_to_utc() -> None:
    jakarta = dt.timezone(dt.timedelta(hours=7))
    event = CloudEvent(id="0b6f1d5e-9f6c-4a57-9d55-4c7a1e3c2b10", source="/jemput/scheduling", type="jemput.visit.scheduled.v1", subject="V-1",
                       correlationid="c", data={}, time=dt.datetime(2026, 5, 6, 8, tzinfo=jakarta))
    assert event.time == dt.datetime(2026, 5, 6, 1, tzinfo=dt.UTC)
