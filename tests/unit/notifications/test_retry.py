from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.notifications.domain.retry import Backoff, RateLimit

T0 = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def test_backoff_doubles_and_is_capped():
    b = Backoff(base=timedelta(seconds=10), cap=timedelta(seconds=60))
    top = [b.delay(n, rand=lambda: 1.0) for n in range(1, 6)]
    assert top == [timedelta(seconds=s) for s in (10, 20, 40, 60, 60)]
    low = [b.delay(n, rand=lambda: 0.0) for n in range(1, 6)]
    assert low == [timedelta(seconds=s) for s in (5, 10, 20, 30, 30)]


@settings(deadline=None)  # no timing: machines are noisy
@given(st.integers(min_value=1, max_value=200), st.floats(min_value=0, max_value=1))
def test_jitter_stays_within_half_and_whole_of_the_exponential_delay(n, r):
    b = Backoff()
    exp = min(b.cap, b.base * 2 ** min(n - 1, 32))
    assert exp / 2 <= b.delay(n, rand=lambda: r) <= exp


def test_jitter_spreads_retries():
    b = Backoff()
    import random

    rng = random.Random(7)
    delays = {b.delay(3, rand=rng.random) for _ in range(20)}
    assert len(delays) > 10


def test_delay_needs_a_failed_attempt():
    with pytest.raises(ValueError):
        Backoff().delay(0)


def test_exhausted_after_max_attempts():
    b = Backoff(max_attempts=3)
    assert not b.exhausted(2)
    assert b.exhausted(3)


def test_rate_limit_allows_up_to_the_limit_then_waits_for_the_oldest_to_age_out():
    limit = RateLimit(limit=3, window=timedelta(hours=1))
    sends = [T0, T0 + timedelta(minutes=10)]
    now = T0 + timedelta(minutes=20)
    assert limit.next_allowed(sends, now) == now
    sends.append(T0 + timedelta(minutes=15))
    assert limit.next_allowed(sends, now) == T0 + timedelta(hours=1)


def test_sends_outside_the_window_do_not_count():
    limit = RateLimit(limit=1, window=timedelta(hours=1))
    now = T0 + timedelta(hours=2)
    assert limit.next_allowed([T0], now) == now


@settings(deadline=None)  # no timing: machines are noisy
@given(
    st.lists(st.integers(min_value=0, max_value=7200), max_size=20),
    st.integers(min_value=1, max_value=5),
)
def test_at_next_allowed_the_window_holds_fewer_than_the_limit(offsets, n):
    limit = RateLimit(limit=n, window=timedelta(hours=1))
    now = T0 + timedelta(seconds=7200)
    sends = [T0 + timedelta(seconds=s) for s in offsets]
    at = limit.next_allowed(sends, now)
    assert at >= now
    assert sum(1 for t in sends if at - limit.window < t <= at) < n
