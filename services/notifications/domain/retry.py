"""Exponential back-off with jitter, and per-recipient rate limits."""

import random
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field


class Backoff(BaseModel):
    """Delay before attempt n+1 after n failed attempts: base·2^(n-1), capped, with jitter.

    "Equal jitter": half the delay is fixed, half random, so delays still grow
    while competing replicas do not all retry at the same instant.
    """

    model_config = ConfigDict(frozen=True)

    base: timedelta = timedelta(seconds=5)
    cap: timedelta = timedelta(minutes=30)
    max_attempts: int = Field(default=8, ge=1)

    def delay(self, failed_attempts: int, rand: Callable[[], float] = random.random) -> timedelta:
        if failed_attempts < 1:
            raise ValueError("a delay follows at least one failed attempt")
        exp = min(self.cap, self.base * (2 ** min(failed_attempts - 1, 32)))
        half = exp / 2
        return half + half * rand()

    def exhausted(self, failed_attempts: int) -> bool:
        return failed_attempts >= self.max_attempts


class RateLimit(BaseModel):
    """At most `limit` messages to one recipient within any `window`."""

    model_config = ConfigDict(frozen=True)

    limit: int = Field(default=5, ge=1)
    window: timedelta = timedelta(hours=1)

    def next_allowed(self, recent_sends: Iterable[datetime], now: datetime) -> datetime:
        """`now` if another message may go now, else when the oldest send in the window ages out."""
        in_window = sorted(t for t in recent_sends if t > now - self.window)
        if len(in_window) < self.limit:
            return now
        return in_window[len(in_window) - self.limit] + self.window
