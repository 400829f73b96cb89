"""The runner's HTTP client, made to wait out a service that is down.

An operator's screen retries when the office's server is restarting; so does the runner in a
fault-injection run. A request is sent again after a connection error or a 502/503/504 answer
(a service restarting, or up without its database or broker), with back-off, for up to
``patience_s``. A request whose answer was lost after the service acted is therefore sent twice:
the services' APIs must take that (the run counts what it leaves behind).
"""

from __future__ import annotations

import asyncio
import time

import httpx

RETRY_STATUS = (500, 502, 503, 504)


class PatientTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, patience_s: float = 180.0) -> None:
        self.inner = inner
        self.patience_s = patience_s
        self.retried = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()  # the body can be sent again
        deadline = time.monotonic() + self.patience_s
        delay = 0.25
        while True:
            try:
                response = await self.inner.handle_async_request(request)
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
            else:
                if response.status_code not in RETRY_STATUS or time.monotonic() > deadline:
                    return response
                await response.aclose()
            self.retried += 1
            await asyncio.sleep(delay)
            delay = min(delay * 2, 3.0)

    async def aclose(self) -> None:
        await self.inner.aclose()


def make_patient(client: httpx.AsyncClient, patience_s: float = 180.0) -> PatientTransport:
    """Wrap ``client``'s transport in place: its headers, auth and timeouts stay as they are
    (so a token the runner's client carries keeps going with every request)."""
    transport = PatientTransport(client._transport, patience_s)  # noqa: SLF001 - httpx has no public setter
    client._transport = transport  # noqa: SLF001
    return transport
