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
