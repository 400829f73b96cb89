"""The bus topology of DESIGN.md: two topic exchanges, one quorum queue per consuming service and
exchange, a dead-letter exchange and one DLQ per queue.

Who declares what (``Topology.declares``, setting ``JEMPUT_BUS_DECLARE``):

- ``all`` (development and tests, a broker user that may configure everything): every service
  declares the whole topology at start-up (declarations are idempotent), so the bindings exist
  whatever order the services start in and no event is published before the queue that should
  receive it exists.
- ``own`` (production, one least-privilege broker user per service, ``shared/bus/permissions.py``):
  the broker setup (``jemput broker definitions`` / ``jemput broker setup``) has declared the whole
  topology beforehand; a service only checks that the exchanges exist (passive declares) and
  declares its own queues, their bindings and their DLQs — all its user may configure.
 Public events that no Jemput service consumes are still routed:
``jemput.events`` has an alternate exchange, ``jemput.unrouted``, whose bounded queue keeps them
for inspection instead of returning them to a publisher that could do nothing with them. The
restricted exchange has none: an unroutable ``card.requested`` is an error for its publisher.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from faststream.rabbit import ExchangeType, QueueType, RabbitExchange, RabbitQueue

from shared.events.catalogue import CATALOGUE, Exchange

# Which events each service consumes. A service's consumer must handle exactly these
# (checked when the service is built), so this table is the one place bindings come from.
SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "scheduling": ("roster.verified",),
    "enrollment": (
        "school.registered", "school.updated",
        "visit.scheduled", "visit.rescheduled", "visit.cancelled", "visit.started", "visit.completed",
    ),
    "printing": ("card.requested",),
    "notifications": ("school.registered", "school.updated", "visit.scheduled", "visit.rescheduled", "visit.cancelled", "student.contact_updated", "student.recorded", "student.enrollment_rejected", "card.printed", "certificate.issued", "stock.low"),
    "dashboard": ("school.registered", "school.updated", "roster.verified", "visit.scheduled", "visit.rescheduled", "visit.cancelled", "visit.started", "visit.completed", "student.recorded", "card.printed", "card.handed_over", "certificate.issued", "stock.low"),
}

UNROUTED_MAX_LENGTH = 100_000

Declares = Literal["all", "own"]


def exchange_of(routing_key: str) -> Exchange:
    kinds = {spec.exchange for spec in CATALOGUE.values() if spec.routing_key == routing_key}
    if len(kinds) != 1:
        raise KeyError(f"routing key {routing_key!r} is not in the catalogue")
    return kinds.pop()


@dataclass(frozen=True)
class Topology:
    namespace: str = "jemput"
    delivery_limit: int = 5
    declares: Declares = "all"  # "own": exchanges are only looked up (passive), never declared

    @property
    def declare_exchanges(self) -> bool:
        return self.declares == "all"

    # --- names ---------------------------------------------------------------------------
    def exchange_name(self, kind: Exchange) -> str:
        return f"{self.namespace}.{kind}"

    @property
    def dlx_name(self) -> str:
        return f"{self.namespace}.dlx"

    @property
    def unrouted_name(self) -> str:
        return f"{self.namespace}.unrouted"

    def queue_name(self, service: str, kind: Exchange = "events") -> str:
        return f"{self.namespace}.{service}" + (".restricted" if kind == "restricted" else "")

    @staticmethod
    def dlq_name(queue_name: str) -> str:
        return f"{queue_name}.dlq"

    # --- FastStream objects ----------------------------------------------------------------
    def exchange(self, kind: Exchange) -> RabbitExchange:
        arguments: dict[str, Any] = {}
        if kind == "events":
            arguments["alternate-exchange"] = self.unrouted_name
        return RabbitExchange(
            self.exchange_name(kind), type=ExchangeType.TOPIC, durable=True, arguments=arguments or None,
            declare=self.declare_exchanges,
        )

    @property
    def dlx(self) -> RabbitExchange:
        return RabbitExchange(self.dlx_name, type=ExchangeType.DIRECT, durable=True, declare=self.declare_exchanges)

    @property
    def unrouted_exchange(self) -> RabbitExchange:
        return RabbitExchange(self.unrouted_name, type=ExchangeType.FANOUT, durable=True,
                              declare=self.declare_exchanges)

    def queue(self, service: str, kind: Exchange = "events", routing_key: str = "") -> RabbitQueue:
        name = self.queue_name(service, kind)
        return RabbitQueue(
            name,
            queue_type=QueueType.QUORUM,
            durable=True,
            routing_key=routing_key,
            arguments={
                "x-delivery-limit": self.delivery_limit,
                "x-dead-letter-exchange": self.dlx_name,
                "x-dead-letter-routing-key": name,
                "x-dead-letter-strategy": "at-least-once",
                "x-overflow": "reject-publish",
            },
        )

    def dlq(self, queue_name: str) -> RabbitQueue:
        return RabbitQueue(
            self.dlq_name(queue_name), queue_type=QueueType.QUORUM, durable=True, routing_key=queue_name
        )

    @property
    def unrouted_queue(self) -> RabbitQueue:
        return RabbitQueue(
            self.unrouted_name, queue_type=QueueType.QUORUM, durable=True,
            arguments={"x-max-length": UNROUTED_MAX_LENGTH},
        )

    # --- what binds where ------------------------------------------------------------------
    def bindings(self, service: str) -> dict[Exchange, tuple[str, ...]]:
        """Routing keys per exchange that ``service``'s queues bind."""
        out: dict[Exchange, list[str]] = {}
        for key in SUBSCRIPTIONS.get(service, ()):
            out.setdefault(exchange_of(key), []).append(key)
        return {kind: tuple(keys) for kind, keys in out.items()}

    def queues_of(self, service: str) -> list[str]:
        """The queues ``service`` owns (its DLQs are ``dlq_name`` of these)."""
        return [self.queue_name(service, kind) for kind in self.bindings(service)]

    def all_queues(self) -> list[str]:
        return [name for s in SUBSCRIPTIONS for name in self.queues_of(s)]


async def declare(broker: Any, topology: Topology, service: str | None = None) -> None:
    """Declare the topology. With ``topology.declares == "all"`` (``JEMPUT_BUS_DECLARE``): the
    exchanges, every service's queues with their bindings, the DLX and the DLQs. Otherwise the
    exchanges are looked up (they must exist) and only ``service``'s own queues are declared."""
    services = list(SUBSCRIPTIONS) if topology.declare_exchanges or service is None else [service]
    if topology.declare_exchanges:
        unrouted_ex = await broker.declare_exchange(topology.unrouted_exchange)
        unrouted_q = await broker.declare_queue(topology.unrouted_queue)
        await unrouted_q.bind(unrouted_ex)
    dlx = await broker.declare_exchange(topology.dlx)
    exchanges = {kind: await broker.declare_exchange(topology.exchange(kind)) for kind in ("events", "restricted")}
    for name in services:
        for kind, keys in topology.bindings(name).items():
            queue = await broker.declare_queue(topology.queue(name, kind))
            for key in keys:
                await queue.bind(exchanges[kind], routing_key=key)
            dlq = await broker.declare_queue(topology.dlq(queue.name))
            await dlq.bind(dlx, routing_key=queue.name)
