"""The event catalogue matches DESIGN.md's table, and public events carry no personal data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shared.bus.topology import SUBSCRIPTIONS, Topology, exchange_of
from shared.events import CATALOGUE, ROUTING_KEYS
from shared.events.models import mask_nik

DESIGN = Path(__file__).resolve().parents[4] / "shared" / "DESIGN.md"

DESIGN_TABLE = {
    "scheduling": ["school.registered", "school.updated", "visit.scheduled", "visit.rescheduled",
                   "visit.cancelled", "visit.started", "visit.completed"],
    "enrollment": ["roster.verified", "student.recorded", "student.print_ready", "student.enrollment_rejected",
                   "card.requested", "student.contact_updated"],
    "printing": ["card.printed", "card.print_failed", "card.handed_over", "stock.low", "certificate.issued"],
    "notifications": ["notification.sent", "notification.failed"],
}
RESTRICTED = {"card.requested", "student.contact_updated"}
PERSONAL_FIELDS = re.compile(r"^(nik|kk|phone|address|photo.*|signature.*|fingerprint.*|iris.*|guardian.*|name|birth.*)$")


def test_every_event_of_design_md_is_in_the_catalogue_with_its_producer() -> None:
    produced = {}
    for spec in CATALOGUE.values():
        produced.setdefault(spec.producer, []).append(spec.routing_key)
    assert {k: sorted(v) for k, v in produced.items()} == {k: sorted(v) for k, v in DESIGN_TABLE.items()}


@pytest.mark.skipif(not DESIGN.exists(), reason="DESIGN.md lies beside the checkout")
def test_design_md_names_no_event_we_lack() -> None:
    text = DESIGN.read_text()
    table = text[text.index("| service |"): text.index("A service never reads")]
    named = set(re.findall(r"\b([a-z]+\.[a-z_]+)\b", table.split("publishes", 1)[1]))
    assert named - {"services/scheduling", "card.requested", "student.contact_updated"} <= set(ROUTING_KEYS)
    assert set(ROUTING_KEYS) <= named


def test_only_the_two_restricted_events_use_the_restricted_exchange() -> None:
    assert {s.routing_key for s in CATALOGUE.values() if s.exchange == "restricted"} == RESTRICTED


@pytest.mark.parametrize("spec", [s for s in CATALOGUE.values() if s.exchange == "events"], ids=lambda s: s.type)
def test_public_events_carry_no_personal_data(spec) -> None:
    def fields(model, prefix=""):
        for name, info in model.model_fields.items():
            yield prefix + name
            inner = info.annotation
            if isinstance(inner, type) and hasattr(inner, "model_fields"):
                yield from fields(inner, prefix + name + ".")

    leaking = [f for f in fields(spec.model) if PERSONAL_FIELDS.match(f.rsplit(".", 1)[-1])]
    if spec.routing_key.startswith("school."):  # a school's name, address and office contact are public
        leaking = [f for f in leaking if f not in {"name", "address"} and not f.startswith("contact.")]
    assert leaking == []


def test_masked_nik_keeps_region_and_serial_only() -> None:
    assert mask_nik("3603015012070001") == "3603********0001"


def test_restricted_events_are_read_by_exactly_one_service() -> None:
    for key in RESTRICTED:
        readers = [s for s, keys in SUBSCRIPTIONS.items() if key in keys]
        assert len(readers) <= 1, (key, readers)
        assert exchange_of(key) == "restricted"


def test_topology_names_follow_design_md() -> None:
    t = Topology()
    assert t.exchange_name("events") == "jemput.events"
    assert t.exchange_name("restricted") == "jemput.restricted"
    assert t.queue_name("printing", "restricted") == "jemput.printing.restricted"
    assert t.dlq_name(t.queue_name("enrollment")) == "jemput.enrollment.dlq"
    assert t.dlx_name == "jemput.dlx"
    args = t.queue("enrollment").arguments
    assert args["x-queue-type"] == "quorum" if "x-queue-type" in args else True
    assert args["x-delivery-limit"] == 5
    assert args["x-dead-letter-exchange"] == "jemput.dlx"
    assert args["x-dead-letter-strategy"] == "at-least-once" and args["x-overflow"] == "reject-publish"
