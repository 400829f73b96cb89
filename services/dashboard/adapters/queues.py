"""Queue and DLQ depths read from the broker with passive declares (nothing is created or changed).

The names come from the topology (``Topology.all_queues()`` and ``Topology.dlq_name``), so every
service queue of the namespace is listed, the dashboard's own included. A queue that does not
exist (yet) or a broker that cannot be reached is reported as such, never as zero.
"""

from __future__ import annotations

import asyncio
import logging

import aio_pika
from aio_pika.abc import AbstractRobustConnection
from aio_pika.exceptions import ChannelClosed, ChannelNotFoundEntity

from shared.bus.topology import Topology

from ..domain.overview import QueueDepth

log = logging.getLogger("jemput.dashboard.queues")


class QueueDepths:
    def __init__(self, url: str, topology: Topology, timeout_s: float = 5.0) -> None:
        self.url = url
        self.topology = topology
        self.timeout_s = timeout_s
        self._connection: AbstractRobustConnection | None = None
        self._lock = asyncio.Lock()

    async def _connect(self) -> AbstractRobustConnection:
        if self._connection is None or self._connection.is_closed:
            self._connection = await aio_pika.connect_robust(self.url, timeout=self.timeout_s)
        return self._connection

    async def read(self) -> list[QueueDepth]:
        names = self.topology.all_queues()
        async with self._lock:
            try:
                connection = await asyncio.wait_for(self._connect(), self.timeout_s)
            except Exception as error:  # the page still shows everything else
                log.warning("broker unreachable for queue depths", extra={"error": type(error).__name__})
                reason = f"broker unreachable ({type(error).__name__})"
                return [QueueDepth(queue=n, dlq=self.topology.dlq_name(n), error=reason) for n in names]
            rows = []
            for name in names:
                dlq = self.topology.dlq_name(name)
                depth, depth_error = await self._depth(connection, name)
                dlq_depth, dlq_error = await self._depth(connection, dlq)
                rows.append(QueueDepth(queue=name, depth=depth, dlq=dlq, dlq_depth=dlq_depth,
                                       error="; ".join(e for e in (depth_error, dlq_error) if e) or None))
            return rows

    async def _depth(self, connection: AbstractRobustConnection, name: str) -> tuple[int | None, str | None]:
        try:
            channel = await connection.channel()
        except Exception as error:
            return None, f"no channel ({type(error).__name__})"
        try:
            queue = await asyncio.wait_for(channel.declare_queue(name, passive=True), self.timeout_s)
            return queue.declaration_result.message_count or 0, None
        except (ChannelNotFoundEntity, ChannelClosed):
            return None, f"{name} does not exist"
        except Exception as error:
            return None, f"{name}: {type(error).__name__}"
        finally:
            if not channel.is_closed:
                await channel.close()

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None
