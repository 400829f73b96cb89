"""The broker's definitions document: users, permissions, exchanges, queues and bindings.

One document serves both ways the broker is set up (docs/security.md, "Broker and database"):
compose loads it at boot (``load_definitions``, written by ``jemput broker definitions``) and
``jemput broker setup`` posts it to an existing broker's management API. The topology in it is
built from the same FastStream objects the services declare, so their arguments always agree;
the permissions come from ``shared/bus/permissions.py``. Passwords are stored as RabbitMQ's
salted SHA-256 hashes, never in clear.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.bus.permissions import Grant, observer_grant, service_grant
from shared.bus.topology import SUBSCRIPTIONS, Topology

HASHING = "rabbit_password_hashing_sha256"
SERVICES = tuple(SUBSCRIPTIONS)


def password_hash(password: str, salt: bytes | None = None) -> str:
    """RabbitMQ's ``rabbit_password_hashing_sha256``: base64(salt + sha256(salt + password))."""
    salt = os.urandom(4) if salt is None else salt
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


@dataclass(frozen=True)
class BrokerPlan:
    """What to set up: the topology, the vhost and who gets which user and password."""

    topology: Topology
    passwords: Mapping[str, str]  # service -> password (every service in SUBSCRIPTIONS)
    vhost: str = "/"
    user_prefix: str = "jemput-"
    observer_password: str | None = None  # an outside subscriber of public events, if wanted
    admin: tuple[str, str] | None = None  # (user, password) with every permission: compose only

    def __post_init__(self) -> None:
        missing = [s for s in SERVICES if not self.passwords.get(s)]
        if missing:
            raise ValueError(f"passwords: none for {', '.join(missing)}")
        short = [s for s in SERVICES if len(self.passwords[s]) < 12]
        if short:
            raise ValueError(f"passwords: shorter than 12 characters for {', '.join(short)}")

    def user(self, service: str) -> str:
        return f"{self.user_prefix}{service}"

    @property
    def observer_user(self) -> str:
        return f"{self.user_prefix}observer"

    def grants(self) -> list[Grant]:
        out = [service_grant(self.topology, s, self.user(s)) for s in SERVICES]
        if self.observer_password:
            out.append(observer_grant(self.topology, self.observer_user))
        return out


def _user(name: str, password: str, tags: list[str]) -> dict[str, Any]:
    return {"name": name, "password_hash": password_hash(password), "hashing_algorithm": HASHING,
            "tags": tags, "limits": {}}


def _exchange(obj: Any, vhost: str) -> dict[str, Any]:
    return {"name": obj.name, "vhost": vhost, "type": str(obj.type.value), "durable": obj.durable,
            "auto_delete": obj.auto_delete, "internal": False, "arguments": dict(obj.arguments or {})}


def _queue(obj: Any, vhost: str) -> dict[str, Any]:
    return {"name": obj.name, "vhost": vhost, "durable": True, "auto_delete": False,
            "arguments": dict(obj.arguments or {})}


def _binding(source: str, queue: str, key: str, vhost: str) -> dict[str, Any]:
    return {"source": source, "vhost": vhost, "destination": queue, "destination_type": "queue",
            "routing_key": key, "arguments": {}}


def topology_definitions(topology: Topology, vhost: str) -> dict[str, list[dict[str, Any]]]:
    """Exchanges, queues and bindings: what ``declare(..., declares="all")`` creates."""
    t = topology
    exchanges = [_exchange(t.unrouted_exchange, vhost), _exchange(t.dlx, vhost),
                 *(_exchange(t.exchange(kind), vhost) for kind in ("events", "restricted"))]
    queues = [_queue(t.unrouted_queue, vhost)]
    bindings = [_binding(t.unrouted_name, t.unrouted_name, "", vhost)]
    for service in SERVICES:
        for kind, keys in t.bindings(service).items():
            queue = t.queue(service, kind)
            queues += [_queue(queue, vhost), _queue(t.dlq(queue.name), vhost)]
            bindings += [_binding(t.exchange_name(kind), queue.name, key, vhost) for key in keys]
            bindings.append(_binding(t.dlx_name, t.dlq_name(queue.name), queue.name, vhost))
    return {"exchanges": exchanges, "queues": queues, "bindings": bindings}


def definitions(plan: BrokerPlan) -> dict[str, Any]:
    """The whole document, as RabbitMQ's ``load_definitions`` and ``POST /api/definitions`` take it."""
    vhost = plan.vhost
    users = [_user(plan.user(s), plan.passwords[s], []) for s in SERVICES]
    if plan.observer_password:
        users.append(_user(plan.observer_user, plan.observer_password, []))
    permissions, topic_permissions = [], []
    for grant in plan.grants():
        permissions.append({"user": grant.user, "vhost": vhost, "configure": grant.configure,
                            "write": grant.write, "read": grant.read})
        topic_permissions += [{"user": grant.user, "vhost": vhost, "exchange": t.exchange,
                               "write": t.write, "read": t.read} for t in grant.topics]
    if plan.admin:
        name, password = plan.admin
        users.append(_user(name, password, ["administrator"]))
        permissions.append({"user": name, "vhost": vhost, "configure": ".*", "write": ".*", "read": ".*"})
    return {"users": users, "vhosts": [{"name": vhost}], "permissions": permissions,
            "topic_permissions": topic_permissions, **topology_definitions(plan.topology, vhost)}
