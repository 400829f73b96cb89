"""Real local servers for the notifications tests: aiosmtpd and the recording HTTP gateway."""

from collections.abc import Iterator

import pytest

from services.notifications.adapters.sinks import GatewaySink, SmtpSink

GATEWAY_TOKEN = "Bearer test-token"


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def gateway_sink() -> Iterator[GatewaySink]:
    with GatewaySink(auth_header="Authorization", auth_value=GATEWAY_TOKEN) as sink:
        yield sink


def quiet_window(includes_now: bool) -> tuple[str, str]:
    """Quiet hours (HH:MM, Asia/Jakarta) that do or do not contain the present moment."""
    import datetime as dt

    from services.notifications.domain.timing import JAKARTA

    now = dt.datetime.now(JAKARTA)
    if includes_now:
        start, end = now - dt.timedelta(hours=1), now + dt.timedelta(hours=1)
    else:
        start, end = now + dt.timedelta(hours=3), now + dt.timedelta(hours=4)
    return start.strftime("%H:%M"), end.strftime("%H:%M")


@pytest.fixture
def notify_settings(settings_for, smtp_sink, gateway_sink):
    from services.notifications.settings import NotificationsSettings

    def make(quiet_now: bool = False, **overrides):
        start, end = quiet_window(quiet_now)
        env = dict(
            SMTP_HOST=smtp_sink.host, SMTP_PORT=smtp_sink.port, SMTP_TLS="none",
            SMS_GATEWAY_URL=gateway_sink.url, SMS_GATEWAY_AUTH_VALUE=GATEWAY_TOKEN,
            NOTIFY_OPERATIONS_EMAILS="ops@dukcapil.example.go.id",
            NOTIFY_QUIET_START=start, NOTIFY_QUIET_END=end,
            NOTIFY_DISPATCH_INTERVAL_S=0.1, NOTIFY_RETRY_BASE_S=0.2, NOTIFY_RETRY_CAP_S=0.5,
            NOTIFY_MAX_ATTEMPTS=50, NOTIFY_LEASE_S=30,
        )
        env.update(overrides)
        return settings_for("notifications", settings_class=NotificationsSettings, **env)

    return make
