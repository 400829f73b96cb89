"""The HTTP side of a service: FastStream's ASGI app serves ``/healthz``, ``/readyz``,
``/metrics`` and ``/asyncapi``; every other path goes to the service's FastAPI app (operators'
API with its OpenAPI document at ``/openapi.json`` and ``/docs``).

The HTTP server answers before the service has started: FastStream's start-up (``Runtime.open``
waiting for the database and the broker, the consumers, the background loops) runs in the
background of the ASGI lifespan, so ``/healthz`` says alive, ``/readyz`` says 503 ``starting``
with the dependency still missing, and the API answers 503 with ``Retry-After`` until the
service works (``shared/startup.py``)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncGenerator, Callable
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from faststream.asgi import AsgiFastStream, AsgiResponse, get
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pymongo.errors import ConnectionFailure

if TYPE_CHECKING:
    from shared.service import Runtime

log = logging.getLogger("jemput.service")
STARTING = "the service is starting (waiting for {}); retry shortly"


class ServiceApp(AsgiFastStream):
    """FastStream's ASGI app with the service's API behind it for every path it does not own."""

    api: FastAPI | None = None
    runtime: Runtime
    # back-pressure: at most JEMPUT_HTTP_CONCURRENCY requests inside the API at once; the others
    # wait before their body is read (TCP holds it back), while /healthz and /readyz still answer
    api_slots: asyncio.Semaphore | None = None
    on_start_failed: Callable[[], None] | None = None  # serve(): ends the server (exit status 3)

    @contextlib.asynccontextmanager
    async def start_lifespan_context(self, run_extra_options: dict[str, Any] | None = None) -> AsyncGenerator[None]:
        """The ASGI lifespan: start in the background (the HTTP server serves meanwhile), stop
        gracefully once started — or, stopped while still waiting, cancel the wait and close."""
        async with self.lifespan_context(**(run_extra_options or self._run_extra_options)):
            starting = asyncio.create_task(self._start_in_background(), name=f"{self.runtime.service}-start-up")
            try:
                yield
            finally:
                await self._stop(starting)

    async def _start_in_background(self) -> None:
        try:
            await self._startup()  # FastStream: on_startup (Runtime.open), consumers, after_startup
        except asyncio.CancelledError:
            raise
        except BaseException as error:
            self.runtime.start_failed(error)
            if self.on_start_failed is not None:
                self.on_start_failed()

    async def _stop(self, starting: asyncio.Task[None]) -> None:
        runtime = self.runtime
        if not starting.done() and runtime.opened:
            # dependencies reached and hooks run: starting the consumers takes a moment, let it
            # finish so that the ordinary drain stops them
            with contextlib.suppress(TimeoutError, Exception):
                await asyncio.wait_for(asyncio.shield(starting), max(0.5, runtime.shutdown_deadline.left() / 2))
        if runtime.started.is_set():
            await self._shutdown()  # FastStream: on_shutdown (Runtime.drain), broker stop, after_shutdown
            return
        waiting_for = sorted(runtime.dependencies.waiting)
        starting.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await starting
        await runtime.abandon_start(waiting_for)
        if runtime.opened:  # the hooks ran: let them release what they opened
            for hook in runtime.definition.on_stop:
                try:
                    await hook(runtime)
                except Exception as error:
                    runtime.drained_cleanly = False
                    log.error("on_stop hook failed", exc_info=error, extra={"hook": hook.__name__})
        await runtime.close()

    async def not_found(self, scope: Any, receive: Any, send: Any) -> None:
        if self.api is not None and scope["type"] == "http" and not self.runtime.started.is_set():
            await self._starting(scope, receive, send)
        elif self.api is not None and scope["type"] == "http" and self.api_slots is not None:
            async with self.api_slots:
                await self.api(scope, receive, send)
        elif self.api is not None and scope["type"] in {"http", "websocket"}:
            await self.api(scope, receive, send)
        else:
            await super().not_found(scope, receive, send)

    async def _starting(self, scope: Any, receive: Any, send: Any) -> None:
        waiting = " and ".join(sorted(self.runtime.dependencies.waiting)) or "its start-up"
        body = json.dumps({"detail": STARTING.format(waiting)}).encode()
        await AsgiResponse(body, 503, headers={"content-type": "application/json", "retry-after": "5"})(
            scope, receive, send)


def health_routes(runtime: Runtime) -> list[tuple[str, Any]]:
    @get(include_in_schema=False)
    async def healthz(scope: Any) -> AsgiResponse:
        return AsgiResponse(b'{"status":"ok"}', 200, headers={"content-type": "application/json"})

    @get(include_in_schema=False)
    async def readyz(scope: Any) -> AsgiResponse:
        if runtime.draining:  # shutting down: send no more work here
            return AsgiResponse(b'{"status":"draining"}', 503, headers={"content-type": "application/json"})
        checks = await runtime.readiness()
        if not runtime.started.is_set():  # still waiting for a dependency, or about to consume
            body = {"status": "starting", **checks, "waiting_for": sorted(runtime.dependencies.waiting)}
            return AsgiResponse(json.dumps(body, separators=(",", ":")).encode(), 503, headers={"content-type": "application/json"})
        ok = all(checks.values())
        body = {"status": "ready" if ok else "not ready", **checks}
        return AsgiResponse(json.dumps(body, separators=(",", ":")).encode(), 200 if ok else 503,
                            headers={"content-type": "application/json"})

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
