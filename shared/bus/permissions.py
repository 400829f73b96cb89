"""Least-privilege broker permissions, derived from the two tables that say who does what:
the event catalogue (who publishes which routing key, ``shared/events/catalogue.py``) and
``SUBSCRIPTIONS`` (who consumes which, ``shared/bus/topology.py``). Nothing here is written per
service by hand, so adding an event or a subscription changes the permissions with it.

RabbitMQ checks (https://www.rabbitmq.com/docs/access-control):

- *configure* on a queue/exchange to declare or delete it: a service's own queues and DLQs only
  (exchanges and other services' queues come from the broker setup);
- *write* on an exchange to publish to it and on a queue to bind it: the exchanges the service
  publishes to, the DLX (poison messages, ``shared/bus/consumer.py``) and its own queues;
- *read* on a queue to consume from it and on an exchange to bind from it: its own queues, the
  exchanges it consumes from and the DLX (its DLQs are bound there);
- *topic permissions* on the two topic exchanges: ``write`` is matched against the routing key of
  every publish (a service publishes only its own events), ``read`` against the binding key of
  every bind (a service binds only the keys it subscribes to). Without an entry RabbitMQ allows
  every key, so every user gets an entry for both exchanges, ``^$`` where it has nothing.

Passive declares (a queue's depth, an exchange's existence) need no permission.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from shared.bus.topology import SUBSCRIPTIONS, Topology
from shared.events.catalogue import Exchange, produced_by

NOTHING = "^$"
EXCHANGES: tuple[Exchange, ...] = ("events", "restricted")
# an outside subscriber's own exclusive queues: named by the broker (amq.gen-…) or by aio-pika's
# robust channels (amq_<hex>), which cannot let the broker name a queue they must redeclare
SERVER_NAMED = "amq\\.gen-.*|amq_[0-9a-f]+"


def one_of(names: Iterable[str], *, patterns: Iterable[str] = ()) -> str:
    """An anchored regular expression matching exactly ``names`` (escaped) and ``patterns``."""
    parts = [re.escape(n) for n in dict.fromkeys(names)] + list(patterns)
    return f"^({'|'.join(parts)})$" if parts else NOTHING


@dataclass(frozen=True)
class TopicPermission:
    exchange: str
    write: str
    read: str


@dataclass(frozen=True)
class Grant:
    """One broker user's permissions on the vhost."""

    user: str
    configure: str
    write: str
    read: str
    topics: tuple[TopicPermission, ...]


def published_keys(service: str) -> dict[Exchange, list[str]]:
    out: dict[Exchange, list[str]] = {kind: [] for kind in EXCHANGES}
    for spec in produced_by(service):
        out[spec.exchange].append(spec.routing_key)
    return out


def service_grant(topology: Topology, service: str, user: str) -> Grant:
    if service not in SUBSCRIPTIONS and not produced_by(service):
        raise ValueError(f"service {service!r}: neither publishes nor consumes anything")
    own = [name for q in topology.queues_of(service) for name in (q, topology.dlq_name(q))]
    publishes = published_keys(service)
    consumes = topology.bindings(service)
    write_to = [topology.exchange_name(kind) for kind in EXCHANGES if publishes[kind]]
    read_from = [topology.exchange_name(kind) for kind in EXCHANGES if consumes.get(kind)]
    return Grant(
        user=user,
        configure=one_of(own),
        write=one_of([*write_to, topology.dlx_name, *own]),
        read=one_of([*read_from, topology.dlx_name, *own]),
        topics=tuple(
            TopicPermission(topology.exchange_name(kind), write=one_of(publishes[kind]),
                            read=one_of(consumes.get(kind, ())))
            for kind in EXCHANGES
        ),
    )


def observer_grant(topology: Topology, user: str) -> Grant:
    """An outside subscriber (an analysis job, ``EventTap``): its own server-named exclusive
    queues bound to public events; nothing published, nothing restricted."""
    events = topology.exchange_name("events")
    return Grant(
        user=user,
        configure=one_of([], patterns=[SERVER_NAMED]),
        write=one_of([], patterns=[SERVER_NAMED]),
        read=one_of([events], patterns=[SERVER_NAMED]),
        topics=(TopicPermission(events, write=NOTHING, read=".*"),
                TopicPermission(topology.exchange_name("restricted"), write=NOTHING, read=NOTHING)),
    )


def readers_of(topology: Topology, kind: Exchange, grants: Iterable[Grant]) -> list[str]:
    """The users whose permissions let them bind a queue to exchange ``kind`` (for checks)."""
    name = topology.exchange_name(kind)
    return [g.user for g in grants
            if re.search(g.read, name) and any(t.exchange == name and t.read != NOTHING for t in g.topics)]
