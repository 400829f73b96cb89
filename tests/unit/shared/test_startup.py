"""What the start-up waits for and how long between attempts (shared/startup.py); the waiting
itself, with a real database and broker appearing late, is in
tests/integration/platform/test_startup_outage.py."""

from __future__ import annotations

import asyncio

import pytest
from aiormq.exceptions import AMQPConnectionError, ChannelPreconditionFailed, ProbableAuthenticationError
from pymongo.errors import OperationFailure, ServerSelectionTimeoutError

from shared.startup import DependencyWaits, StartupAbandoned, is_outage, next_delay


@pytest.mark.parametrize(("dependency", "error", "outage"), [
    ("database", ServerSelectionTimeoutError("no server"), True),
    ("database", OperationFailure("Authentication failed", code=18), False),
    ("broker", AMQPConnectionError("refused"), True),
    ("broker", ConnectionRefusedError(111, "refused"), True),
    ("broker", TimeoutError(), True),
    ("broker", ProbableAuthenticationError("refused"), False),
    ("broker", ChannelPreconditionFailed("inequivalent arg"), False),
    ("broker", ValueError("a bug"), False),
])
def test_what_counts_as_an_outage(dependency, error, outage):
    assert is_outage(dependency, error) is outage


def test_the_delay_grows_with_jitter_within_the_base_and_the_cap():
    for attempt in range(30):
        assert 0.5 <= next_delay(attempt, 15) <= 15
    assert max(next_delay(12, 15) for _ in range(200)) > 10  # it does reach towards the cap
    assert next_delay(3, 0.2) == 0.2  # a cap below the base wins


async def test_an_outage_is_retried_until_it_ends():
    failures = [AMQPConnectionError("refused")] * 3
    calls = []

    async def attempt() -> None:
        calls.append(1)
        if failures:
            raise failures.pop()

    waits = DependencyWaits()
    await waits.all({"broker": attempt}, retry_max_s=0.01, limit_s=0)
    assert len(calls) == 4 and waits.waiting == set() and waits.attempts == {"broker": 4}


async def test_a_fault_that_is_no_outage_stops_the_start_up_at_once():
    async def never() -> None:
        raise ServerSelectionTimeoutError("down")

    async def refused() -> None:
        raise ProbableAuthenticationError("wrong password")

    with pytest.raises(ProbableAuthenticationError):
        await asyncio.wait_for(DependencyWaits().all({"database": never, "broker": refused},
                                                     retry_max_s=0.01, limit_s=0), 5)


async def test_the_limit_names_what_is_still_missing():
    async def never() -> None:
        raise ServerSelectionTimeoutError("down")

    async def fine() -> None:
        return None

    with pytest.raises(StartupAbandoned, match=r"JEMPUT_STARTUP_WAIT_S=0.2 s: database$"):
        await DependencyWaits().all({"database": never, "broker": fine}, retry_max_s=0.01, limit_s=0.2)
