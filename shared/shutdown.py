"""Graceful shutdown of a service process on SIGTERM (or SIGINT), within a bound.

From the signal, everything happens within ``JEMPUT_SHUTDOWN_TIMEOUT`` seconds:

1. ``/readyz`` answers 503 ``draining``; uvicorn stops accepting connections and lets the HTTP
   requests in flight finish (for at most a third of the bound).
2. Every consumer is cancelled (``basic.cancel``): the broker delivers nothing more, so the
   messages not yet delivered stay in their queue for the next instance, untouched (no delivery
   is counted against their delivery limit).
3. The handlers in flight (at most the prefetch per queue) finish and are acknowledged.
4. Background loops are cancelled (their state is in MongoDB) and the ``on_stop`` hooks run.
5. The outbox relay publishes what was written: flushes in flight, then sweeps until nothing is
   pending.
6. Connections close and the process exits 0 — or 1 when a step ran out of time. Even then
   nothing is lost: unacknowledged messages go back to their queue and unpublished events stay
   in the outbox for the next sweep.

A watchdog ends the process with code 70 if it is still alive ``WATCHDOG_GRACE_S`` after the
bound (a hook that never returns must not keep a container from stopping).
uvicorn re-raises the signal it caught once its shutdown is over, so a graceful stop used to
end with status -15; ``GracefulServer`` reports the outcome as the exit code instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
from collections.abc import Generator, Iterable
from types import FrameType
from typing import Any

import uvicorn

log = logging.getLogger("jemput.shutdown")

WATCHDOG_GRACE_S = 5.0
SETTLE_S = 0.25  # no handler running for this long after the consumers are cancelled: all done
WATCHDOG_EXIT = 70


class Deadline:
    """The moment the shutdown must be over: ``bound_s`` after the signal (or first use)."""

    def __init__(self, bound_s: float) -> None:
        self.bound_s = bound_s
        self.started: float | None = None

    def start(self) -> None:
        if self.started is None:
            self.started = time.monotonic()

    def left(self) -> float:
        self.start()
        assert self.started is not None
        return max(0.0, self.started + self.bound_s - time.monotonic())


async def stop_consuming(subscribers: Iterable[Any], timeout: float) -> bool:
    """Cancel every consumer, then wait up to ``timeout`` for the handlers in flight.

    Returns whether they all finished. FastStream's own ``stop`` waits for the handlers first and
    cancels the consumer afterwards: in between the broker keeps delivering into a subscriber that
    drops what it receives unacknowledged, and each such message comes back with one more delivery
    counted (quorum queues). Cancelling first avoids that; the attributes are FastStream's
    (``tests/integration/platform/test_graceful_shutdown.py`` fails if they change).
    """
    subscribers = list(subscribers)
    for sub in subscribers:
        queue, tag = getattr(sub, "_queue_obj", None), getattr(sub, "_consumer_tag", None)
        if queue is not None and tag is not None:
            with contextlib.suppress(Exception):  # a closed channel delivers nothing anyway
                await queue.cancel(tag)
            sub._consumer_tag = None
    finished = True
    try:
        async with asyncio.timeout(timeout):
            # deliveries received before cancel-ok start their handlers a little later (the
            # subscribers keep running meanwhile, so none is dropped): idle for a while means done
            idle_since = None
            while idle_since is None or time.monotonic() - idle_since < SETTLE_S:
                if any(not sub.lock.empty for sub in subscribers):
                    idle_since = None
                elif idle_since is None:
                    idle_since = time.monotonic()
                await asyncio.sleep(0.02)
    except TimeoutError:
        finished = False
        log.error("handlers still running at the shutdown bound; their messages return to the queue",
                  extra={"in_flight": sum(sub.lock.qsize for sub in subscribers)})
    return finished  # FastStream stops the subscribers themselves when the broker stops


class GracefulServer(uvicorn.Server):
    """uvicorn's server that marks the service as draining on the first signal, bounds the whole
    shutdown with a watchdog, and does not re-raise the signal at the end (``serve`` exits with
    the outcome instead)."""

    def __init__(self, config: uvicorn.Config, runtime: Any) -> None:
        super().__init__(config)
        self.runtime = runtime

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        first = not self.should_exit
        super().handle_exit(sig, frame)
        if first:
            self.runtime.begin_shutdown()
            bound = self.runtime.settings.shutdown_timeout + WATCHDOG_GRACE_S
            watchdog = threading.Timer(bound, _hard_exit, args=(bound,))
            watchdog.daemon = True
            watchdog.start()

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None]:
        with super().capture_signals():
            try:
                yield
            finally:
                self._captured_signals.clear()


def _hard_exit(bound: float) -> None:
    log.error("shutdown did not finish in time; exiting", extra={"bound_s": bound})
    logging.shutdown()
    os._exit(WATCHDOG_EXIT)
