"""The pure parts of `jemput dlq`: what a dead letter says (reason, origin, when, id), how copies
fold, what a replayed message carries and where it is published. Broker behaviour is tested on
the real broker (tests/integration/platform/test_dlq_cli.py)."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import pytest

from shared.bus.dlq import DlqError, describe, group, redact_url, replay_message, route
from shared.bus.topology import Topology

T = Topology("jemput")
WHEN = dt.datetime(2026, 5, 6, 9, 30, tzinfo=dt.UTC)


def message(body: bytes, message_id: str | None = "m-1", **headers) -> SimpleNamespace:
    return SimpleNamespace(body=body, headers=headers, message_id=message_id, correlation_id="c-1",
                           content_type="application/cloudevents+json", content_encoding=None, delivery_mode=2,
                           timestamp=None, type=None, app_id=None, priority=None)


EVENT = json.dumps({"id": "e-1", "type": "jemput.card.requested.v1", "data": {"nik": "3603015012070001"}}).encode()


def test_a_broker_dead_lettered_message_says_delivery_limit_and_its_queue() -> None:
    death = {"count": 1, "reason": "delivery_limit", "queue": "jemput.printing.restricted", "time": WHEN,
             "exchange": "jemput.restricted", "routing-keys": ["card.requested"]}
    letter = describe("jemput.printing.restricted.dlq", message(EVENT, **{"x-death": [death],
                      "x-first-death-reason": "delivery_limit"}))
    assert (letter.message_id, letter.event_type, letter.reason, letter.queue, letter.dead_lettered_at) == \
        ("m-1", "jemput.card.requested.v1", "delivery limit reached", "jemput.printing.restricted",
         "2026-05-06T09:30:00+00:00")
    assert letter.headers["x-death"][0]["time"] == "2026-05-06T09:30:00+00:00"
    assert "3603015012070001" not in json.dumps(letter.summary())  # list shows no body


def test_without_a_message_id_the_event_id_then_the_body_names_it() -> None:
    assert describe("q.dlq", message(EVENT, None)).message_id == "e-1"
    anonymous = describe("q.dlq", message(b"\xff", None))
    assert anonymous.message_id.startswith("sha256:") and anonymous.event_type == "unparseable"
    assert anonymous.queue == "q" and anonymous.reason == "unknown (no reason header)"


def test_copies_fold_by_message_id_and_body() -> None:
    first = message(EVENT, **{"x-jemput-reason": "r", "x-jemput-dead-lettered-at": "t1"})
    second = message(EVENT, **{"x-jemput-reason": "r", "x-jemput-dead-lettered-at": "t2"})
    other_body = message(EVENT + b" ", **{"x-jemput-reason": "r"})
    letters = group("q.dlq", [first, second, other_body])
    assert [(letter.copies, letter.dead_lettered_at) for letter in letters] == [(2, "t1"), (1, None)]


def test_a_replayed_message_drops_the_dead_lettering_and_keeps_the_rest() -> None:
    letter = describe("q.dlq", message(EVENT, **{"x-jemput-reason": "r", "x-jemput-queue": "q",
                                                 "x-jemput-dead-lettered-at": "t", "x-delivery-count": 3,
                                                 "x-death": [], "traceparent": "00-abc"}))
    replayed = replay_message(letter, now=WHEN)
    assert replayed.headers == {"traceparent": "00-abc", "x-jemput-replayed-at": WHEN.isoformat()}
    assert (replayed.body, replayed.message_id, replayed.correlation_id) == (EVENT, "m-1", "c-1")
    assert int(replayed.delivery_mode) == 2


def test_public_events_go_back_by_queue_name_restricted_ones_through_their_exchange() -> None:
    public = describe("jemput.enrollment.dlq", message(json.dumps({"type": "jemput.visit.scheduled.v1"}).encode()))
    assert route(T, "jemput.enrollment", public) == ("", "jemput.enrollment")
    garbage = describe("jemput.printing.restricted.dlq", message(b"{"))
    assert route(T, "jemput.printing.restricted", garbage) == ("", "jemput.printing.restricted")
    card = describe("jemput.printing.restricted.dlq", message(EVENT))
    assert route(T, "jemput.printing.restricted", card) == ("jemput.restricted", "card.requested")
    unknown_version = describe("x.dlq", message(json.dumps({"type": "jemput.card.requested.v9"}).encode()))
    assert route(T, "jemput.printing.restricted", unknown_version) == ("jemput.restricted", "card.requested")
    with pytest.raises(DlqError, match="not jemput.enrollment alone"):  # it would reach printing, not here
        route(T, "jemput.enrollment", card)


def test_the_password_never_shows() -> None:
    assert redact_url("amqp://ops:s3cret@broker:5672/jemput") == "amqp://ops:***@broker:5672/jemput"
    assert redact_url("amqp://broker/") == "amqp://broker/"
