"""What a student costs the platform: database commands (PyMongo command monitoring) and broker
messages (an outside queue bound to ``#``), and when each text reached the SMS gateway.

Used by ``bench/e2e.py`` and its test; the services must run in this process for their
database commands to be seen (``shared.testing.running_service``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

from pymongo import monitoring

from services.notifications.adapters.sinks import GatewaySink
from shared.bus.topology import Topology
from shared.testing import EventTap


class CommandCounter(monitoring.CommandListener):
    """Counts the commands sent to the databases of one namespace while active, by
    (service, command, collection). Registered once per process, before the clients exist."""

    def __init__(self) -> None:
        self.prefix: str | None = None
        self.counts: Counter[tuple[str, str, str]] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.prefix is None or not event.database_name.startswith(self.prefix):
            return
        name = event.command_name
        target = event.command.get(name)
        collection = target if isinstance(target, str) else str(event.command.get("collection", "-"))
        self.counts[(event.database_name.removeprefix(self.prefix), name, collection)] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    @contextlib.contextmanager
    def counting(self, namespace: str) -> Iterator[Counter[tuple[str, str, str]]]:
        """Count the commands to ``<namespace>_<service>`` databases within the block."""
        self.counts = Counter()
        self.prefix = f"{namespace}_"
        try:
            yield self.counts
        finally:
            self.prefix = None


_counter: CommandCounter | None = None


def command_counter() -> CommandCounter:
    """The process's one counter, registered with PyMongo on first use: only clients created
    afterwards report to it, so call this before starting the services."""
    global _counter
    if _counter is None:
        _counter = CommandCounter()
        monitoring.register(_counter)
    return _counter


@dataclass
class Bus:
    """Every message the broker routes on both exchanges, as an outside queue bound to ``#``
    on each sees it (one copy per publish, whatever number of queues it then reaches).
    The restricted exchange is watched too: this is the operator's measuring instrument."""

    events: EventTap
    restricted: EventTap

    def received(self) -> list[dict]:
        return self.events.received + self.restricted.received

    def count(self) -> int:
        return len(self.events.received) + len(self.restricted.received)

    def by_key(self, since: tuple[int, int] = (0, 0)) -> Counter[str]:
        return Counter(m["routing_key"] for m in self.events.received[since[0]:] + self.restricted.received[since[1]:])

    def mark(self) -> tuple[int, int]:
        return len(self.events.received), len(self.restricted.received)


@contextlib.asynccontextmanager
async def watching(rabbit_url: str, topology: Topology) -> AsyncIterator[Bus]:
    async with (EventTap(rabbit_url, topology.exchange_name("events")) as events,
                EventTap(rabbit_url, topology.exchange_name("restricted")) as restricted):
        yield Bus(events, restricted)


@dataclass
class Arrivals:
    """When each text reached the gateway (``time.perf_counter``), by its delivery reference;
    seen by polling the gateway sink every ``interval_s``."""

    gateway: GatewaySink
    interval_s: float = 0.005
    at: dict[str, float] = field(default_factory=dict)
    _seen: int = 0

    def poll(self) -> None:
        messages = self.gateway.messages
        now = time.perf_counter()
        for m in messages[self._seen:]:
            self.at.setdefault(str(m.body.get("reference", "")), now)
        self._seen = len(messages)

    async def run(self) -> None:
        while True:
            self.poll()
            await asyncio.sleep(self.interval_s)
