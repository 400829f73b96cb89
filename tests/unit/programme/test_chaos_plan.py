"""The fault-injection run's plan, poison messages and DLQ sorting (no I/O)."""

from __future__ import annotations

import json

import pytest

from programme.chaos.poison import KINDS, PREFIX, poison_body, sort_dlq
from programme.chaos.schedule import OUTAGE_TARGETS, plan_faults
from programme.chaos.stack import CHAOS_SERVICES
from shared.bus.consumer import parse
from shared.bus.errors import PoisonMessage


def test_the_plan_has_every_fault_once_inside_the_window_and_is_reproducible() -> None:
    plan = plan_faults(7, CHAOS_SERVICES, window_s=120, outage_s=30)
    assert plan == plan_faults(7, CHAOS_SERVICES, window_s=120, outage_s=30)
    assert plan != plan_faults(8, CHAOS_SERVICES, window_s=120, outage_s=30)
    kinds = sorted((f.kind, f.target) for f in plan)
    assert kinds == sorted([("kill", s) for s in CHAOS_SERVICES] + [("broker", "rabbitmq"), ("database", "mongodb"),
                                                                    ("poison", "all queues")]
                           + [("outage", t) for t in OUTAGE_TARGETS])
    assert [f.at_s for f in plan] == sorted(f.at_s for f in plan)
    assert all(0 <= f.at_s < 120 for f in plan)


@pytest.mark.parametrize("seed", range(20))
def test_outages_never_overlap(seed: int) -> None:
    outages = sorted((f for f in plan_faults(seed, CHAOS_SERVICES, window_s=60, outage_s=20) if f.kind == "outage"),
                     key=lambda f: f.at_s)
    assert [f.duration_s for f in outages] == [20, 20, 20]
    for first, second in zip(outages, outages[1:], strict=False):
        assert first.at_s + first.duration_s <= second.at_s


def test_broker_and_database_faults_can_be_left_out_and_a_bad_window_is_refused() -> None:
    plan = plan_faults(1, ("scheduling",), window_s=10, outage_s=1, broker=False, database=False)
    assert {f.kind for f in plan} == {"kill", "outage", "poison"}
    with pytest.raises(ValueError, match="window_s"):
        plan_faults(1, ("scheduling",), window_s=0, outage_s=1)


@pytest.mark.parametrize("kind", KINDS)
def test_each_poison_body_is_refused_by_the_consumer_for_its_reason(kind: str) -> None:
    with pytest.raises(PoisonMessage) as refused:
        parse(poison_body(kind, "visit.scheduled"))
    assert refused.value.reason.startswith(kind)


class _Dead:
    def __init__(self, message_id: str, headers: dict) -> None:
        self.message_id, self.headers, self.body = message_id, headers, b""


def test_the_dlq_is_sorted_into_poison_with_its_reason_and_everything_else() -> None:
    dead = [
        _Dead(f"{PREFIX}q-0", {"x-chaos-kind": "bad JSON", "x-jemput-reason": "bad JSON: the body is not JSON"}),
        _Dead(f"{PREFIX}q-0", {"x-chaos-kind": "bad JSON", "x-jemput-reason": "bad JSON: the body is not JSON"}),
        _Dead(f"{PREFIX}q-1", {"x-chaos-kind": "schema-invalid"}),  # no reason
        _Dead(f"{PREFIX}q-2", {"x-chaos-kind": "unknown type version", "x-jemput-reason": "schema-invalid x"}),
        _Dead("3b0c-event", {"x-first-death-reason": "delivery_limit"}),
    ]
    contents = sort_dlq(dead)  # type: ignore[arg-type]
    assert contents.poison == {f"{PREFIX}q-0": 2, f"{PREFIX}q-1": 1, f"{PREFIX}q-2": 1}
    assert contents.without_reason == [f"{PREFIX}q-1", f"{PREFIX}q-2"]
    assert contents.others == [{"message_id": "3b0c-event", "reason": "", "first_death": "delivery_limit"}]
    assert json.loads(poison_body("unknown type version", "card.requested"))["type"] == "jemput.card.requested.v99"


def _event(routing_key: str, event_id: str, **data: object) -> dict:
    return {"routing_key": routing_key, "body": {"id": event_id, "data": data}}


def test_cards_and_certificates_count_the_missing_and_the_doubled_by_event_id() -> None:
    from programme.chaos.checks import Verdict, cards_and_certificates
    from shared.testing import EventTap

    eligible = {"S-1", "S-2", "S-3", "S-4"}
    tap = EventTap(url="", exchange="")
    tap.received += [
        _event("card.printed", "e1", student_id="S-1", job_id="J1", reprint=False),
        _event("card.printed", "e1", student_id="S-1", job_id="J1", reprint=False),  # redelivered: once
        _event("certificate.issued", "e2", student_id="S-2", certificate_id="C2"),
        _event("card.printed", "e3", student_id="S-3", job_id="J3", reprint=False),
        _event("card.printed", "e4", student_id="S-3", job_id="J3b", reprint=False),  # a second card
        _event("card.printed", "e5", student_id="S-5", job_id="J5", reprint=False),   # not eligible
        _event("card.handed_over", "e6", job_id="J1"), _event("card.handed_over", "e7", job_id="J1"),
    ]
    verdict = Verdict()
    cards_and_certificates(verdict, eligible, tap)
    assert verdict.lost == {"students without card or certificate": 1}  # S-4
    assert verdict.duplicates == {"cards printed twice": 1, "certificates issued twice": 0,
                                  "cards handed over twice": 1, "cards for students not eligible": 1}
    assert not verdict.ok and verdict.examples == ["eligible student S-4: no card, no certificate"]
