"""Start-up while the database or the broker is down: wait, retry with back-off, then work.

A service's HTTP server answers from the first moment (``/healthz`` 200, ``/readyz`` 503
``starting`` naming the dependency still missing, the API 503 with ``Retry-After``), while this
module, in the background, tries to reach the database (creating the indexes) and the broker
(connecting and declaring the topology) — each on its own, with exponential back-off, full
jitter and a cap (``JEMPUT_STARTUP_RETRY_MAX_S``), and one log line per failed attempt saying
which dependency, the attempt, the error's kind and the seconds until the next one (never a URL:
it carries credentials). Once both answer, the service starts consuming and its background loops
run: no restart needed.

What counts as an outage, and is waited for: for the database what PyMongo calls a
``ConnectionFailure`` (refused, dropped, no server selected in time); for the broker a refused,
reset or dropped connection (``OSError``, AMQP connection errors, a channel of a connection in
the middle of reconnecting). Anything else is a fault of configuration or code, and stops the
start-up as before (exit status 3): wrong broker credentials (``AuthenticationError``), a queue
declared with other arguments, a database refusing the service's user.

``JEMPUT_STARTUP_WAIT_S`` bounds the whole wait (0, the default, waits for ever, as a container
under ``restart: unless-stopped`` would): past it the service logs what it still misses and exits
with status 3.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Literal

from aiormq.exceptions import AuthenticationError, ChannelInvalidStateError, ProbableAuthenticationError
from pymongo.errors import ConnectionFailure

from shared.bus.consumer import backoff

log = logging.getLogger("jemput.startup")

Dependency = Literal["database", "broker"]
STARTUP_FAILED_EXIT = 3  # uvicorn's own status for a failed start-up, kept for compose and scripts
RETRY_BASE_S = 0.5


# while waiting for the broker, each failed attempt would also log an error from aiormq and a
# "reconnecting after 5 seconds" from aio_pika (wrong: the start-up retries on its own back-off);
# the one line per attempt below says it all
BROKER_CLIENT_LOGGERS = ("aiormq.connection", "aio_pika.robust_connection")


class _Silence(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return False


@contextlib.contextmanager
def _quiet(dependency: Dependency) -> Iterator[None]:
    if dependency != "broker":
        yield
        return
    silence = _Silence()
    loggers = [logging.getLogger(name) for name in BROKER_CLIENT_LOGGERS]
    for logger in loggers:
        logger.addFilter(silence)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(silence)


class StartupAbandoned(RuntimeError):
    """``JEMPUT_STARTUP_WAIT_S`` ran out while a dependency was still unreachable."""


class StartupRefused(RuntimeError):
    """The service's own configuration stops it from starting (a missing key, say). Raised by an
    ``on_start`` hook in its own words, without secrets: the message is logged and printed on
    standard error, so that the operator reads why, and the process exits 3."""


def is_outage(dependency: Dependency, error: BaseException) -> bool:
    """Whether ``error`` means the dependency is not reachable (yet): worth waiting for."""
    if dependency == "database":
        return isinstance(error, ConnectionFailure)
    if isinstance(error, AuthenticationError | ProbableAuthenticationError):
        return False  # the broker answered and refused these credentials: configuration
    return isinstance(error, OSError | TimeoutError | ChannelInvalidStateError)


def next_delay(attempt: int, cap: float) -> float:
    """Seconds before attempt ``attempt + 1``: at least the base, at most the cap, jittered."""
    base = min(RETRY_BASE_S, cap)
    return min(cap, base + backoff(attempt, base, cap))


class DependencyWaits:
    """What the start-up is still waiting for; ``/readyz`` and the API read it."""

    def __init__(self) -> None:
        self.waiting: set[Dependency] = set()
        self.attempts: dict[Dependency, int] = {}

    async def until_reachable(self, dependency: Dependency, attempt_once: Callable[[], Awaitable[None]],
                              retry_max_s: float) -> None:
        """Run ``attempt_once`` until it succeeds; an outage is retried, anything else raised."""
        began = time.monotonic()
        attempt = 0
        self.waiting.add(dependency)
        try:
            while True:
                attempt += 1
                self.attempts[dependency] = attempt
                try:
                    with _quiet(dependency):
                        await attempt_once()
                except Exception as error:
                    if not is_outage(dependency, error):
                        raise
                    delay = next_delay(attempt - 1, retry_max_s)
                    log.warning("dependency unreachable at start-up; retrying", extra={
                        "dependency": dependency, "attempt": attempt, "reason": type(error).__name__,
                        "retry_in_s": round(delay, 2), "waited_s": round(time.monotonic() - began, 1)})
                    await asyncio.sleep(delay)
                    continue
                if attempt > 1:
                    log.info("dependency reachable", extra={
                        "dependency": dependency, "attempt": attempt,
                        "waited_s": round(time.monotonic() - began, 1)})
                return
        finally:
            self.waiting.discard(dependency)

    async def all(self, attempts: dict[Dependency, Callable[[], Awaitable[None]]], *,
                  retry_max_s: float, limit_s: float) -> None:
        """Wait for every dependency at once (each with its own back-off); ``limit_s`` 0: for ever."""
        reached: set[Dependency] = set()

        async def one(dependency: Dependency, attempt_once: Callable[[], Awaitable[None]]) -> None:
            await self.until_reachable(dependency, attempt_once, retry_max_s)
            reached.add(dependency)

        limit = asyncio.timeout(limit_s or None)
        try:
            async with limit:
                try:
                    async with asyncio.TaskGroup() as group:
                        for dependency, attempt_once in attempts.items():
                            group.create_task(one(dependency, attempt_once), name=f"wait-for-{dependency}")
                except ExceptionGroup as errors:  # one dependency's fault stops the start-up
                    raise errors.exceptions[0] from None
        except TimeoutError:
            if not limit.expired():
                raise
            missing = ", ".join(d for d in attempts if d not in reached)
            raise StartupAbandoned(
                f"still unreachable after JEMPUT_STARTUP_WAIT_S={limit_s:g} s: {missing}") from None
