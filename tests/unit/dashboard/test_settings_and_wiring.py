"""Settings of the dashboard, and its subscriptions: public routing keys only, each handled."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.dashboard.handlers import consumer
from services.dashboard.settings import DashboardSettings
from shared.bus.topology import SUBSCRIPTIONS, Topology, exchange_of


def test_defaults_and_environment_names() -> None:
    s = DashboardSettings()
    assert (s.timezone, s.refresh_s, s.upcoming_limit) == ("Asia/Jakarta", 15, 25)
    s = DashboardSettings(DASHBOARD_TIMEZONE="Asia/Makassar", DASHBOARD_REFRESH_S="0", DASHBOARD_UPCOMING_LIMIT="5")
    assert (s.zone.key, s.refresh_s, s.upcoming_limit) == ("Asia/Makassar", 0, 5)


@pytest.mark.parametrize(("env", "field"), [({"DASHBOARD_TIMEZONE": "Mars/Olympus"}, "DASHBOARD_TIMEZONE"),
                                            ({"DASHBOARD_REFRESH_S": "-1"}, "DASHBOARD_REFRESH_S"),
                                            ({"DASHBOARD_UPCOMING_LIMIT": "0"}, "DASHBOARD_UPCOMING_LIMIT")])
def test_bad_settings_are_refused_by_name(env: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        DashboardSettings(**env)


def test_subscribes_to_public_events_only_and_handles_each() -> None:
    keys = SUBSCRIPTIONS["dashboard"]
    assert all(exchange_of(k) == "events" for k in keys)
    assert set(consumer.handlers) == set(keys)
    assert set(Topology("t").bindings("dashboard")) == {"events"}
    consumer.check_complete()
