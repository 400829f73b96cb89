"""What every service is made of, and how it starts and stops.

A service module describes itself with a ``ServiceDefinition`` (its name, its consumer, the
collections that carry an outbox, its indexes, its API, hooks and background loops);
``build_app`` turns that and the settings into a running ``ServiceApp``: FastStream broker with
the declared topology, PyMongo client, outbox relay, health and metrics. ``serve`` runs it under
uvicorn — the same call behind ``python -m services.<name>``, ``jemput serve <name>``, compose and
the tests.

Start-up runs in the background while the HTTP server already answers (``ServiceApp`` in
``shared/web.py``): ``Runtime.open`` waits for the database and the broker with back-off
(``shared/startup.py``), runs the ``on_start`` hooks, then FastStream starts the consumers and
``start_background`` the loops; ``/readyz`` says 503 ``starting`` until then.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI
from faststream.rabbit import Channel, RabbitBroker
from faststream.rabbit.prometheus import RabbitPrometheusMiddleware
from faststream.specification import AsyncAPI
from pymongo import IndexModel

from shared.auth import AuthConfigError
from shared.auth import install as install_auth
from shared.bus.consumer import Consumer
from shared.bus.publisher import EventPublisher
from shared.bus.topology import Topology, declare
from shared.logging import configure_logging
from shared.metrics import ServiceMetrics
from shared.settings import ServiceSettings
from shared.shutdown import Deadline, GracefulServer, stop_consuming
from shared.startup import STARTUP_FAILED_EXIT, DependencyWaits, StartupAbandoned, StartupRefused
from shared.store.mongo import create_indexes, make_client
from shared.store.outbox import OutboxRelay, outbox_indexes
from shared.web import ServiceApp, health_routes, install_database_unavailable

log = logging.getLogger("jemput.service")

Hook = Callable[["Runtime"], Awaitable[None]]


@dataclass
class ServiceDefinition:
    name: str
    consumer: Consumer | None = None
    outbox_collections: Sequence[str] = ()
    indexes: Mapping[str, Sequence[IndexModel]] = field(default_factory=dict)
    api: Callable[[Runtime], FastAPI] | None = None
    on_start: Sequence[Hook] = ()  # after the database and broker are reachable, before consuming
    background: Sequence[Hook] = ()  # long-running loops, cancelled at shutdown
    on_stop: Sequence[Hook] = ()
    settings_class: type[ServiceSettings] = ServiceSettings
    description: str = ""


class Runtime:
    """Everything one running instance of a service uses; handlers and routes receive it."""

    def __init__(self, definition: ServiceDefinition, settings: ServiceSettings) -> None:
        self.definition = definition
        self.service = definition.name
        self.settings = settings
        self.topology = Topology(settings.namespace, settings.delivery_limit, settings.bus_declare)
        self.metrics = ServiceMetrics(self.service)
        self.broker = RabbitBroker(
            settings.rabbitmq_url,
            # the prefetch here too: FastStream caches declared queues by name whatever their
            # channel, so the consumers end up on the channel that declared the topology (this
            # one) and a QoS on their own channel alone left them unbounded
            default_channel=Channel(publisher_confirms=True, on_return_raises=True,
                                    prefetch_count=settings.prefetch),
            middlewares=[RabbitPrometheusMiddleware(registry=self.metrics.registry, app_name=self.service)],
            logger=logging.getLogger(f"jemput.{self.service}.broker"),
            graceful_timeout=None,  # shared.shutdown.stop_consuming waits, within the shutdown bound
            description=f"Jemput {self.service}",
        )
        self.publisher = EventPublisher(self.broker, self.topology, self.service)
        self.client = make_client(settings.mongodb_url, app_name=f"jemput-{self.service}")
        self.db = self.client[settings.database_name(self.service)]
        self.relay = OutboxRelay(
            self.db, self.publisher, definition.outbox_collections,
            sweep_interval_s=settings.relay_sweep_s, on_published=self.metrics.published.inc,
        )
        self.state: dict[str, Any] = {}  # service-specific collaborators (repositories, gateways)
        self._tasks: list[asyncio.Task[None]] = []
        self.draining = False  # /readyz answers 503 from the shutdown signal on
        self.drained_cleanly = False  # every in-flight handler finished and the outbox is empty
        self.shutdown_deadline = Deadline(settings.shutdown_timeout)
        self.dependencies = DependencyWaits()  # what the start-up still waits for (/readyz)
        self.opened = False  # the database and broker were reached and the on_start hooks ran
        self.started = asyncio.Event()  # consuming, background loops running: ready for work
        self.start_error: BaseException | None = None  # why the start-up stopped (exit status 3)
        if definition.consumer is not None:
            definition.consumer.attach(self.broker, self.topology, self)

    # --- lifecycle (FastStream application hooks) ---------------------------------------------
    async def open(self) -> None:
        """Reach the database (indexes) and the broker (topology), waiting for either while it is
        down (``shared/startup.py``), then run the ``on_start`` hooks."""
        await self.dependencies.all(
            {"database": self._open_database, "broker": self._open_broker},
            retry_max_s=self.settings.startup_retry_max_s, limit_s=self.settings.startup_wait_s)
        for hook in self.definition.on_start:
            await hook(self)
        self.opened = True
        log.info("service opened", extra={"namespace": self.settings.namespace,
                                          "database": self.db.name})

    async def _open_database(self) -> None:
        await create_indexes(self.db, {**outbox_indexes(self.definition.outbox_collections)})
        await create_indexes(self.db, self.definition.indexes)

    async def _open_broker(self) -> None:
        await self.broker.connect()  # a failed connect leaves none behind: the next attempt connects anew
        await declare(self.broker, self.topology, self.service)

    async def start_background(self) -> None:
        self._tasks.append(asyncio.create_task(self.relay.run(), name=f"{self.service}-relay"))
        for loop in self.definition.background:
            self._tasks.append(asyncio.create_task(loop(self), name=f"{self.service}-{loop.__name__}"))
        self.started.set()
        log.info("service started", extra={"consumers": len(self.broker.subscribers)})

    async def abandon_start(self, waiting_for: list[str]) -> None:
        """The process stops before the start-up finished (a signal while waiting for a dependency,
        or a start-up that failed): nothing was consumed, nothing is in flight; close what opened."""
        self.begin_shutdown()
        left = self.shutdown_deadline.left
        try:
            await asyncio.wait_for(self.broker.stop(), max(0.5, left() - 1.0))
        except Exception as error:  # a broker half connected: the connection dies with the process
            log.warning("broker connection not closed cleanly", extra={"reason": type(error).__name__})
        self.drained_cleanly = self.start_error is None
        log.info("service stopped before it started", extra={
            "waiting_for": waiting_for, "seconds_left": round(left(), 2)})

    def begin_shutdown(self) -> None:
        """The shutdown signal arrived: not ready any more, and the bound starts now."""
        self.draining = True
        self.shutdown_deadline.start()

    async def drain(self) -> None:
        """Stop consuming, let in-flight handlers finish, then publish what they wrote — all
        within ``JEMPUT_SHUTDOWN_TIMEOUT`` of the signal (``shared/shutdown.py``)."""
        self.begin_shutdown()
        left = self.shutdown_deadline.left
        handlers_done = await stop_consuming(self.broker.subscribers, max(0.0, left() - 1.0))
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        hooks_done = True
        for hook in self.definition.on_stop:
            try:
                await hook(self)
            except Exception as error:  # the others still run, the outbox is still flushed
                hooks_done = False
                log.error("on_stop hook failed", exc_info=error, extra={"hook": hook.__name__})
        flushed = await self.relay.drain(max(0.5, left()))
        self.drained_cleanly = handlers_done and hooks_done and flushed
        log.log(logging.INFO if self.drained_cleanly else logging.ERROR, "service drained",
                extra={"handlers_finished": handlers_done, "outbox_flushed": flushed,
                       "seconds_left": round(left(), 2)})

    async def close(self) -> None:
        # with the database gone, closing waits for a server to end its sessions: not past the bound
        limit = max(1.0, self.shutdown_deadline.left()) if self.draining else None
        try:
            await asyncio.wait_for(self.client.close(), limit)
        except TimeoutError:
            log.warning("database connection not closed within the shutdown bound")

    def start_failed(self, error: BaseException) -> None:
        self.start_error = error
        if isinstance(error, (StartupAbandoned, StartupRefused)):  # our own words, no URL in them
            log.error("start-up failed", extra={"reason": str(error)})
        elif isinstance(error, Exception):
            log.error("start-up failed", exc_info=error, extra={"waiting_for": sorted(self.dependencies.waiting)})

    async def readiness(self) -> dict[str, bool]:
        async def database() -> bool:
            try:
                await asyncio.wait_for(self.db.command("ping"), 2)
                return True
            except Exception:
                return False

        broker_ok, db_ok = await asyncio.gather(self.broker.ping(timeout=2), database())
        return {"broker": bool(broker_ok), "database": db_ok}

    def background(self, coro: Awaitable[None], name: str) -> None:
        """Run a service-owned loop that is cancelled at shutdown (started after start-up)."""
        self._tasks.append(asyncio.ensure_future(coro))
        self._tasks[-1].set_name(name)


def build_app(definition: ServiceDefinition, settings: ServiceSettings | None = None) -> ServiceApp:
    settings = settings or definition.settings_class(JEMPUT_SERVICE=definition.name)
    runtime = Runtime(definition, settings)
    app = ServiceApp(
        runtime.broker,
        asgi_routes=health_routes(runtime),
        on_startup=[runtime.open],
        after_startup=[runtime.start_background],
        on_shutdown=[runtime.drain],
        after_shutdown=[runtime.close],
        specification=AsyncAPI(
            runtime.broker, title=f"Jemput {definition.name}", version="1.0.0",
            description=definition.description, schema_version="3.0.0",
        ),
        asyncapi_path="/asyncapi",
    )
    app.runtime = runtime
    app.api = definition.api(runtime) if definition.api is not None else None
    app.api_slots = asyncio.Semaphore(settings.http_concurrency)
    if app.api is not None:
        install_auth(app.api, settings)  # no signing keys, no service (AuthConfigError)
        install_database_unavailable(app.api)
    return app


def serve(definition: ServiceDefinition, settings: ServiceSettings | None = None) -> None:
    """Run a service until SIGTERM/SIGINT: the entry point of ``python -m services.<name>``.
    Exits 0 after a complete graceful shutdown, 1 when it ran out of time (``shared/shutdown.py``),
    3 when the start-up failed or ``JEMPUT_STARTUP_WAIT_S`` ran out (``shared/startup.py``)."""
    settings = settings or definition.settings_class(JEMPUT_SERVICE=definition.name)
    configure_logging(definition.name, settings.log_level)
    try:
        app = build_app(definition, settings)
    except AuthConfigError as error:
        raise SystemExit(f"jemput {definition.name} does not start: {error}") from None
    config = uvicorn.Config(app, host=settings.http_host, port=settings.http_port, log_config=None,
                            lifespan="on", timeout_graceful_shutdown=max(1, int(settings.shutdown_timeout / 3)))
    server = GracefulServer(config, app.runtime)
    app.on_start_failed = lambda: setattr(server, "should_exit", True)
    server.run()
    if app.runtime.start_error is not None:
        if isinstance(app.runtime.start_error, StartupRefused):
            print(f"jemput {definition.name} does not start: {app.runtime.start_error}", file=sys.stderr)
        sys.exit(STARTUP_FAILED_EXIT)
    sys.exit(0 if app.runtime.drained_cleanly else 1)
