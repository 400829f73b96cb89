"""The settings each service gets in a programme run (no processes started)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from programme.stack import SUPERVISOR, Stack
from services.enrollment.settings import EnrollmentSettings
from services.notifications.settings import NotificationsSettings
from services.printing.settings import PrintingSettings
from services.scheduling.settings import SchedulingSettings


def stack(tmp_path) -> Stack:
    s = Stack(base_env=lambda name: {"RABBITMQ_URL": "amqp://x", "MONGODB_URL": "mongodb://x", "JEMPUT_SERVICE": name,
                                     "JEMPUT_NAMESPACE": "ns", "JEMPUT_DATABASE": f"db_{name}"},
              workdir=tmp_path, today={"scheduling": dt.date(2026, 5, 5), "enrollment": dt.date(2026, 5, 5)},
              catch_up_threshold=3)
    s.registry_url = "http://127.0.0.1:9"
    s.smtp = SimpleNamespace(port=2525)  # type: ignore[assignment]
    s.gateway = SimpleNamespace(url="http://127.0.0.1:9/messages")  # type: ignore[assignment]
    return s


def test_every_service_reads_its_settings(tmp_path) -> None:
    s = stack(tmp_path)
    scheduling = SchedulingSettings(**s.env("scheduling"))
    assert scheduling.today == dt.date(2026, 5, 5) and scheduling.catch_up_threshold == 3
    enrollment = EnrollmentSettings(**s.env("enrollment"))
    assert enrollment.registry_url == "http://127.0.0.1:9" and enrollment.supervisor_ids() == {SUPERVISOR}
    assert enrollment.biometric_key_id == "demo" and enrollment.today == dt.date(2026, 5, 5)
    printing = PrintingSettings(**s.env("printing"))
    assert printing.spool_dir == tmp_path / "spool"
    notifications = NotificationsSettings(**s.env("notifications"))
    assert notifications.smtp_port == 2525 and notifications.gateway_url.endswith("/messages")
    quiet = notifications.quiet_hours()
    assert not any(quiet.is_quiet(dt.datetime(2026, 5, 6, h, tzinfo=dt.UTC)) for h in range(24))


def test_the_clock_moves_only_the_services_named(tmp_path) -> None:
    s = stack(tmp_path)
    s.today["scheduling"] = dt.date(2026, 5, 7)
    assert s.env("scheduling")["JEMPUT_TODAY"] == "2026-05-07"
    assert s.env("enrollment")["JEMPUT_TODAY"] == "2026-05-05"
    assert "JEMPUT_TODAY" not in s.env("printing")


def test_notifications_runs_on_the_demo_clock_when_the_stack_moves_its_day(tmp_path) -> None:
    s = stack(tmp_path)
    assert NotificationsSettings(**s.env("notifications")).clock_start is None  # the real clock
    s.today["notifications"] = dt.date(2026, 5, 6)
    start = NotificationsSettings(**s.env("notifications")).clock_start
    assert start.isoformat() == "2026-05-06T06:00:00+07:00"  # that morning, in Asia/Jakarta
