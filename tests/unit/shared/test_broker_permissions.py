"""The broker permissions and definitions document, derived from the catalogue and SUBSCRIPTIONS."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest
from typer.testing import CliRunner

from shared.bus.definitions import SERVICES, BrokerPlan, definitions, password_hash
from shared.bus.permissions import NOTHING, readers_of
from shared.bus.topology import SUBSCRIPTIONS, Topology, exchange_of
from shared.cli import cli
from shared.events.catalogue import CATALOGUE

PASSWORDS = {s: f"{s}-password-123" for s in SERVICES}


def plan(**kw) -> BrokerPlan:
    return BrokerPlan(Topology(), PASSWORDS, observer_password="observer-password", **kw)


def test_only_printing_and_notifications_may_read_the_restricted_exchange():
    p = plan()
    assert sorted(readers_of(p.topology, "restricted", p.grants())) == ["jemput-notifications", "jemput-printing"]
    assert "jemput-observer" in readers_of(p.topology, "events", p.grants())


def test_each_routing_key_may_be_published_by_its_producer_only():
    p = plan()
    for spec in CATALOGUE.values():
        exchange = p.topology.exchange_name(spec.exchange)
        writers = [g.user for g in p.grants() if re.search(g.write, exchange)
                   and any(t.exchange == exchange and re.search(t.write, spec.routing_key) for t in g.topics)]
        assert writers == [p.user(spec.producer)], spec.routing_key


def test_each_service_binds_exactly_its_subscriptions_and_configures_only_its_queues():
    p = plan()
    topology = p.topology
    for grant, service in zip(p.grants(), SERVICES, strict=False):
        for key in {spec.routing_key for spec in CATALOGUE.values()}:
            exchange = topology.exchange_name(exchange_of(key))
            [topic] = [t for t in grant.topics if t.exchange == exchange]
            assert bool(re.search(topic.read, key)) is (key in SUBSCRIPTIONS[service]), (service, key)
        others = [q for s in SERVICES if s != service for q in topology.queues_of(s)]
        for name in [*others, "jemput.events", "jemput.restricted", "jemput.dlx", "jemput.unrouted"]:
            assert not re.search(grant.configure, name), (service, name)
        for name in topology.queues_of(service):
            assert re.search(grant.configure, name) and re.search(grant.configure, topology.dlq_name(name))
    # every topic exchange has an entry for every user: without one RabbitMQ would allow every key
    assert all(len(g.topics) == 2 for g in p.grants())
    assert re.search(NOTHING, "card.requested") is None


def test_the_document_holds_the_whole_topology_with_the_arguments_services_declare():
    doc = definitions(plan(vhost="jemput"))
    queues = {q["name"]: q for q in doc["queues"]}
    topology = Topology()
    for name in topology.all_queues():
        service = name.split(".")[1]
        kind = "restricted" if name.endswith(".restricted") else "events"
        assert queues[name]["arguments"] == topology.queue(service, kind).arguments
        assert topology.dlq_name(name) in queues
    bindings = {(b["source"], b["destination"], b["routing_key"]) for b in doc["bindings"]}
    assert ("jemput.restricted", "jemput.printing.restricted", "card.requested") in bindings
    assert ("jemput.dlx", "jemput.printing.restricted.dlq", "jemput.printing.restricted") in bindings
    assert {e["name"] for e in doc["exchanges"]} == {"jemput.events", "jemput.restricted", "jemput.dlx", "jemput.unrouted"}
    assert {p["vhost"] for p in doc["permissions"]} == {"jemput"}


def test_passwords_are_stored_as_rabbitmq_salted_sha256_hashes_only():
    doc = definitions(plan(admin=("jemput", "admin-password-1")))
    text = json.dumps(doc)
    assert not any(pw in text for pw in [*PASSWORDS.values(), "observer-password", "admin-password-1"])
    [user] = [u for u in doc["users"] if u["name"] == "jemput-printing"]
    raw = base64.b64decode(user["password_hash"])
    assert raw[4:] == hashlib.sha256(raw[:4] + PASSWORDS["printing"].encode()).digest()
    assert user["hashing_algorithm"] == "rabbit_password_hashing_sha256" and user["tags"] == []
    [admin] = [u for u in doc["users"] if u["name"] == "jemput"]
    assert admin["tags"] == ["administrator"]
    assert password_hash("x", b"\0\0\0\0") == password_hash("x", b"\0\0\0\0") != password_hash("x")


def test_a_plan_refuses_missing_and_short_passwords_naming_the_service():
    with pytest.raises(ValueError, match="none for dashboard"):
        BrokerPlan(Topology(), {s: p for s, p in PASSWORDS.items() if s != "dashboard"})
    with pytest.raises(ValueError, match="shorter than 12 characters for printing"):
        BrokerPlan(Topology(), {**PASSWORDS, "printing": "short"})


def test_cli_definitions_reads_passwords_from_the_environment(tmp_path, monkeypatch):
    for service, password in PASSWORDS.items():
        monkeypatch.setenv(f"RABBITMQ_{service.upper()}_PASSWORD", password)
    monkeypatch.setenv("RABBITMQ_USER", "jemput")
    monkeypatch.setenv("RABBITMQ_PASSWORD", "admin-password-1")
    monkeypatch.setenv("JEMPUT_DELIVERY_LIMIT", "7")  # the services' queues are declared with it
    target = tmp_path / "defs" / "definitions.json"
    result = CliRunner().invoke(cli, ["broker", "definitions", "--with-admin", "--out", str(target)])
    assert result.exit_code == 0, result.output
    doc = json.loads(target.read_text())
    assert {u["name"] for u in doc["users"]} == {f"jemput-{s}" for s in SERVICES} | {"jemput"}
    [printing] = [q for q in doc["queues"] if q["name"] == "jemput.printing.restricted"]
    assert printing["arguments"]["x-delivery-limit"] == 7

    monkeypatch.delenv("RABBITMQ_PRINTING_PASSWORD")
    monkeypatch.setenv("RABBITMQ_DASHBOARD_PASSWORD", "short")
    result = CliRunner().invoke(cli, ["broker", "definitions"])
    assert result.exit_code == 2
    assert "RABBITMQ_PRINTING_PASSWORD: not set" in result.output
    assert "RABBITMQ_DASHBOARD_PASSWORD: shorter than 12 characters" in result.output


def test_cli_setup_says_why_when_the_management_api_cannot_be_reached(monkeypatch):
    for service, password in PASSWORDS.items():
        monkeypatch.setenv(f"RABBITMQ_{service.upper()}_PASSWORD", password)
    result = CliRunner().invoke(cli, ["broker", "setup", "--url", "http://127.0.0.1:9"])
    assert result.exit_code == 2 and "RABBITMQ_ADMIN_USER" in result.output
    monkeypatch.setenv("RABBITMQ_ADMIN_USER", "admin")
    monkeypatch.setenv("RABBITMQ_ADMIN_PASSWORD", "admin-password-1")
    result = CliRunner().invoke(cli, ["broker", "setup", "--url", "http://127.0.0.1:9"])
    assert result.exit_code == 1 and "unreachable" in result.output and "rabbitmq_management" in result.output
