"""The HTTP side of a service: FastStream's ASGI app serves ``/healthz``, ``/readyz``,
``/metrics`` and ``/asyncapi``; every other path goes to the service's FastAPI app (operators'
API with its OpenAPI document at ``/openapi.json`` and ``/docs``)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from faststream.asgi import AsgiFastStream, AsgiResponse, get
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pymongo.errors import ConnectionFailure

if TYPE_CHECKING:
    from shared.service import Runtime


class ServiceApp(AsgiFastStream):
    """FastStream's ASGI app with the service's API behind it for every path it does not own."""

    api: FastAPI | None = None
    runtime: Runtime
    # back-pressure: at most JEMPUT_HTTP_CONCURRENCY requests inside the API at once; the others
    # wait before their body is read (TCP holds it back), while /healthz and /readyz still answer
    api_slots: asyncio.Semaphore | None = None

    async def not_found(self, scope: Any, receive: Any, send: Any) -> None:
        if self.api is not None and scope["type"] == "http" and self.api_slots is not None:
            async with self.api_slots:
                await self.api(scope, receive, send)
        elif self.api is not None and scope["type"] in {"http", "websocket"}:
            await self.api(scope, receive, send)
        else:
            await super().not_found(scope, receive, send)


def health_routes(runtime: Runtime) -> list[tuple[str, Any]]:
    @get(include_in_schema=False)
    async def healthz(scope: Any) -> AsgiResponse:
        return AsgiResponse(b'{"status":"ok"}', 200, headers={"content-type": "application/json"})

    @get(include_in_schema=False)
    async def readyz(scope: Any) -> AsgiResponse:
        if runtime.draining:  # shutting down: send no more work here
            return AsgiResponse(b'{"status":"draining"}', 503, headers={"content-type": "application/json"})
        checks = await runtime.readiness()
        ok = all(checks.values())
        body = ('{"status":"%s",' % ("ready" if ok else "not ready")
                + ",".join(f'"{k}":{str(v).lower()}' for k, v in checks.items()) + "}")
        return AsgiResponse(body.encode(), 200 if ok else 503, headers={"content-type": "application/json"})

    @get(include_in_schema=False)
    async def metrics(scope: Any) -> AsgiResponse:
        try:
            runtime.metrics.outbox_pending.set(await asyncio.wait_for(runtime.relay.pending(), 2))
        except Exception:  # the gauge keeps its last value; /readyz reports the database
            pass
        return AsgiResponse(generate_latest(runtime.metrics.registry), 200,
                            headers={"content-type": CONTENT_TYPE_LATEST})

    return [("/healthz", healthz), ("/readyz", readyz), ("/metrics", metrics)]


DATABASE_UNREACHABLE = "the service's database is unreachable for the moment; nothing was lost, retry shortly"


def install_database_unavailable(api: FastAPI, retry_after_s: int = 2) -> None:
    """A request that meets an unreachable database (connection refused, dropped or cancelled)
    gets 503 with Retry-After, which a desk or a client retries, not a bare 500."""

    async def unavailable(request: Request, error: Exception) -> JSONResponse:
        return JSONResponse({"detail": DATABASE_UNREACHABLE}, status_code=503,
                            headers={"Retry-After": str(retry_after_s)})

    api.add_exception_handler(ConnectionFailure, unavailable)
