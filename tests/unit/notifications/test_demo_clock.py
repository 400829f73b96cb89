"""JEMPUT_CLOCK_START: the service's clock starts at the given instant and runs on from there."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from services.notifications.app import start_clock
from services.notifications.settings import NotificationsSettings


def test_the_clock_starts_at_the_instant_and_runs_on() -> None:
    start = NotificationsSettings(JEMPUT_CLOCK_START="2026-05-06T06:00:00+07:00").clock_start
    rt = SimpleNamespace(state={})
    start_clock(rt, start)
    first = rt.state["clock"]()
    time.sleep(0.05)
    second = rt.state["clock"]()
    assert abs((first - datetime(2026, 5, 5, 23, 0, tzinfo=UTC)).total_seconds()) < 5
    assert second > first


def test_a_start_without_its_offset_is_refused_by_name() -> None:
    with pytest.raises(ValidationError, match="JEMPUT_CLOCK_START"):
        NotificationsSettings(JEMPUT_CLOCK_START="2026-05-06T06:00:00")
