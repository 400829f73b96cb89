"""docs/asyncapi.yaml is what FastStream generates from the services' code, and it documents
every routing key of DESIGN.md with the exchange it travels on."""

from __future__ import annotations

import yaml

from shared import asyncapi
from shared.events import CATALOGUE


def test_the_committed_document_matches_the_code() -> None:
    committed = asyncapi.DOC_PATH.read_text()
    assert committed == asyncapi.render(), "docs/asyncapi.yaml drifted from the code: run `jemput asyncapi`"


def test_every_routing_key_is_published_on_its_exchange() -> None:
    doc = yaml.safe_load(asyncapi.DOC_PATH.read_text())
    assert doc["asyncapi"] == "3.0.0"
    published = {
        (channel["address"], channel["bindings"]["amqp"]["exchange"]["name"])
        for name, channel in doc["channels"].items() if name.endswith(":publish")
    }
    expected = {(spec.routing_key, f"jemput.{spec.exchange}") for spec in CATALOGUE.values()}
    assert published == expected


def test_every_service_queue_is_a_documented_subscription() -> None:
    doc = yaml.safe_load(asyncapi.DOC_PATH.read_text())
    queues = {c["bindings"]["amqp"]["queue"]["name"] for n, c in doc["channels"].items() if n.endswith(":consume")}
    assert {"jemput.enrollment", "jemput.notifications", "jemput.printing.restricted"} <= queues


def test_published_payloads_are_cloudevents_with_typed_data() -> None:
    doc = yaml.safe_load(asyncapi.DOC_PATH.read_text())
    schemas = doc["components"]["schemas"]
    envelope = schemas["VisitScheduledV1"]
    assert {"specversion", "id", "source", "type", "time", "subject", "data"} <= set(envelope["properties"])
    assert "VisitScheduled" in str(envelope["properties"]["data"])
