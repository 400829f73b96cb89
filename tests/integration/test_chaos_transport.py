"""The fault-injection run's HTTP client waits out a server that is down, against a real local
HTTP server (the SMS gateway sink, which fails on command)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from programme.chaos.transport import make_patient
from services.notifications.adapters.sinks import GatewaySink, free_port

TEXT = {"to": "+6281200000001", "text": "uji", "channel": "sms"}


async def test_a_request_to_a_server_not_yet_listening_goes_through_once_it_is() -> None:
    port = free_port()
    gateway = GatewaySink(port=port)
    later = asyncio.get_running_loop().call_later(1.0, gateway.start)
    try:
        async with httpx.AsyncClient(timeout=5) as http:  # closed before the server stops
            patient = make_patient(http, patience_s=20)
            response = await http.post(f"http://127.0.0.1:{port}/messages", json=TEXT)
    finally:
        later.cancel()
        gateway.stop()
    assert response.status_code == 202
    assert patient.retried >= 1 and len(gateway.messages) == 1


async def test_503_is_retried_and_a_client_error_is_not() -> None:
    with GatewaySink() as gateway:
        gateway.fail_next(2, status=503)
        async with httpx.AsyncClient(timeout=5) as http:
            patient = make_patient(http, patience_s=20)
            assert (await http.post(gateway.url, json=TEXT)).status_code == 202
            assert patient.retried == 2
            refused = await http.post(gateway.url, json={"to": "+62"})  # invalid: 400 at once
            assert refused.status_code == 400 and patient.retried == 2
    assert len(gateway.messages) == 1


async def test_it_gives_up_after_its_patience() -> None:
    port = free_port()
    async with httpx.AsyncClient(timeout=5) as http:
        make_patient(http, patience_s=1)
        with pytest.raises(httpx.ConnectError):
            await http.get(f"http://127.0.0.1:{port}/")
    with GatewaySink() as gateway:
        gateway.set_down(True)
        async with httpx.AsyncClient(timeout=5) as http:
            make_patient(http, patience_s=1)
            assert (await http.post(gateway.url, json=TEXT)).status_code == 503
