"""The demo's stack, made fit for faults.

- every service keeps its HTTP port across restarts, so a client that waits out a killed
  service finds it again at the same address;
- restarts of one service never overlap (the runner's fast-forward clock restarts scheduling
  each visit day; a fault may kill it at the same moment);
- the dashboard runs too: it is a subscriber like the others;
- the outside subscriber the runner watches has a durable quorum queue, so it misses nothing
  while the broker restarts (an exclusive queue would vanish with the connection).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from dataclasses import dataclass, field

import aio_pika

from programme.stack import Stack
from shared.infra import free_port
from shared.testing import EventTap

CHAOS_SERVICES = ("scheduling", "enrollment", "printing", "notifications", "dashboard")


@dataclass
class ChaosStack(Stack):
    ports: dict[str, int] = field(default_factory=dict)
    locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    extra_env: dict[str, str] = field(default_factory=dict)
    failed_starts: dict[str, int] = field(default_factory=dict)  # starts that exited, by service

    def env(self, name: str) -> dict[str, str]:
        env = super().env(name) | self.extra_env
        if name == "notifications":  # a 30 s outage should not push retries half an hour out
            env.setdefault("NOTIFY_RETRY_CAP_S", "15")
            env.setdefault("NOTIFY_LEASE_S", "30")  # a killed dispatcher's claims are taken over sooner
        if name == "printing":  # the spool printer answers in milliseconds: a killed print is stuck sooner
            env.setdefault("PRINTING_PRINTER_TIMEOUT_S", "5")
            env.setdefault("PRINTING_STUCK_GRACE_S", "10")
        return env | {"HTTP_PORT": str(self.ports.setdefault(name, free_port()))}

    async def restart(self, name: str) -> None:
        async with self.locks.setdefault(name, asyncio.Lock()):
            await self._stop(name)
            await self._start_supervised(name)

    async def _start_supervised(self, name: str, attempts: int = 12) -> None:
        """Start the service and wait until it is ready. A service whose database or broker is down
        waits for it (``shared/startup.py``); one that exits during start-up, or is still not ready
        after the stack's ready timeout, is started again after a pause, as compose's
        ``restart: unless-stopped`` does."""
        for attempt in range(1, attempts + 1):
            try:
                await self._start(name)
                return
            except (RuntimeError, TimeoutError):
                if attempt == attempts:
                    raise
                self.failed_starts[name] = self.failed_starts.get(name, 0) + 1
                await asyncio.sleep(min(2.0 * attempt, 10.0))

    async def start_extra(self, name: str) -> None:
        async with self.locks.setdefault(name, asyncio.Lock()):
            await self._start(name)

    async def kill(self, name: str) -> None:
        """SIGKILL the service's process (no clean-up of any kind), then start it again."""
        async with self.locks.setdefault(name, asyncio.Lock()):
            process = self.procs[name].process
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGKILL)
            await asyncio.to_thread(process.wait)
            await self._stop(name)
            await self._start_supervised(name)


@dataclass
class DurableTap(EventTap):
    """An :class:`EventTap` whose queue survives a broker restart and a dropped connection."""

    queue_name: str = ""

    async def __aenter__(self) -> DurableTap:
        self._connection = await aio_pika.connect_robust(self.url)
        channel = await self._connection.channel()
        exchange = await channel.get_exchange(self.exchange, ensure=True)
        queue = await channel.declare_queue(self.queue_name, durable=True, arguments={"x-queue-type": "quorum"})
        await queue.bind(exchange, self.routing_key)
        await queue.consume(self._on_message, no_ack=True)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._connection.close()
        with contextlib.suppress(Exception):
            async with await aio_pika.connect(self.url) as connection:
                await (await connection.channel()).queue_delete(self.queue_name)
