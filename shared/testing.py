"""Running services in-process on real ports, and watching the bus as an outside subscriber.

Used by the test suite and by the demo; nothing here is a fake: services run under uvicorn on a
free port with their real broker and database connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import uvicorn

from shared.auth import AuthConfig, Role, bearer_headers
from shared.bus.topology import SUBSCRIPTIONS, Topology
from shared.infra import free_port
from shared.service import ServiceDefinition, build_app
from shared.settings import ServiceSettings
from shared.web import ServiceApp


ROOT = Path(__file__).resolve().parent.parent

# the signing key of test runs (tests/conftest.py puts it in every service's environment): synthetic
TEST_AUTH_KEYS = "test:amVtcHV0LXRlc3Qtc2lnbmluZy1rZXktbm90LWZvci1wcm9kdWN0aW9u"


def auth_config(keys: str = TEST_AUTH_KEYS) -> AuthConfig:
    return AuthConfig.from_settings(ServiceSettings(JEMPUT_AUTH_KEYS=keys))


def token_headers(role: Role | str = Role.ADMIN, *, keys: str = TEST_AUTH_KEYS, npsn: str | None = None,
                  subject: str | None = None) -> dict[str, str]:
    """An ``Authorization`` header for a role, signed with the test key (or ``keys``)."""
    return bearer_headers(auth_config(keys), role, subject=subject, npsn=npsn)


def cli_token(role: Role | str = Role.OPERATOR, *, keys: str = TEST_AUTH_KEYS, npsn: str | None = None) -> str:
    """A token for ``JEMPUT_TOKEN`` (the `jemput` commands), signed with the test key."""
    return token_headers(role, keys=keys, npsn=npsn)["Authorization"].removeprefix("Bearer ")


def api_client(base_url: str = "", role: Role | str = Role.ADMIN, *, keys: str = TEST_AUTH_KEYS,
               npsn: str | None = None, **kwargs: Any) -> httpx.AsyncClient:
    """An HTTP client that calls a service's API with a token of ``role`` (default admin)."""
    headers = {**kwargs.pop("headers", {}), **token_headers(role, keys=keys, npsn=npsn)}
    return httpx.AsyncClient(base_url=base_url, headers=headers, **kwargs)


def definition_of(name: str) -> ServiceDefinition:
    return importlib.import_module(f"services.{name}.app").definition


@dataclass
class RunningService:
    app: ServiceApp
    url: str
    server: uvicorn.Server
    task: asyncio.Task[None]

    @property
    def runtime(self) -> Any:
        return self.app.runtime

    def client(self, role: Role | str = Role.ADMIN, **kwargs: Any) -> httpx.AsyncClient:
        """A client of this service's API with a token of ``role`` signed with its own keys."""
        return api_client(self.url, role, keys=self.runtime.settings.auth_keys, **kwargs)


@contextlib.asynccontextmanager
async def running_service(
    definition: ServiceDefinition | str, settings: ServiceSettings, *, start_timeout: float = 60.0
) -> AsyncIterator[RunningService]:
    """Start a service under uvicorn on ``settings.http_port`` (0: a free port) until the block
    ends; the block begins once the service has started (consuming, loops running)."""
    if isinstance(definition, str):
        definition = definition_of(definition)
    port = settings.http_port or free_port()
    settings = settings.model_copy(update={"http_port": port})
    app = build_app(definition, settings)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on", log_config=None,
                            timeout_graceful_shutdown=10)
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    app.on_start_failed = lambda: setattr(server, "should_exit", True)
    task = asyncio.create_task(server.serve())
    try:
        # the HTTP server answers first; the service works once it reached its database and broker
        async with asyncio.timeout(start_timeout):
            while not app.runtime.started.is_set():
                if app.runtime.start_error is not None:
                    await task
                    raise app.runtime.start_error
                if task.done():
                    task.result()  # raises the start-up error
                    raise RuntimeError(f"{definition.name} stopped during start-up")
                await asyncio.sleep(0.02)
    except BaseException:
        server.should_exit = True
        await task
        raise
    try:
        yield RunningService(app, f"http://127.0.0.1:{port}", server, task)
    finally:
        server.should_exit = True
        await task


@dataclass
class ServiceProcess:
    name: str
    process: subprocess.Popen[str]
    url: str


@contextlib.asynccontextmanager
async def service_processes(envs: dict[str, dict[str, str]], *, ready_timeout: float = 60.0,
                            log_dir: Path | None = None) -> AsyncIterator[dict[str, ServiceProcess]]:
    """Start each service as its own process, exactly as its container does
    (``python -m services.<name>`` with these environment variables), and wait for ``/readyz``."""
    procs: dict[str, ServiceProcess] = {}
    try:
        for name, env in envs.items():
            port = int(env.get("HTTP_PORT") or 0) or free_port()
            stderr = open(log_dir / f"{name}.log", "w") if log_dir else subprocess.PIPE  # noqa: SIM115
            proc = subprocess.Popen([sys.executable, "-m", f"services.{name}"], cwd=ROOT, text=True,
                                    env={**os.environ, **env, "HTTP_PORT": str(port)}, stderr=stderr)
            procs[name] = ServiceProcess(name, proc, f"http://127.0.0.1:{port}")
        async with httpx.AsyncClient(timeout=5) as http:
            for svc in procs.values():
                async with asyncio.timeout(ready_timeout):
                    while True:
                        if svc.process.poll() is not None:
                            raise RuntimeError(f"{svc.name} exited with {svc.process.returncode} during start-up")
                        with contextlib.suppress(httpx.HTTPError):
                            if (await http.get(f"{svc.url}/readyz")).status_code == 200:
                                break
                        await asyncio.sleep(0.2)
        yield procs
    finally:
        for svc in procs.values():
            if svc.process.poll() is None:
                svc.process.send_signal(signal.SIGTERM)
        for svc in procs.values():
            try:
                await asyncio.to_thread(svc.process.wait, 30)
            except subprocess.TimeoutExpired:
                svc.process.kill()


@dataclass
class EventTap:
    """An outside subscriber: an exclusive queue bound to every routing key of one exchange."""

    url: str
    exchange: str
    routing_key: str = "#"
    received: list[dict[str, Any]] = field(default_factory=list)
    _connection: Any = None
    _arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def __aenter__(self) -> EventTap:
        self._connection = await aio_pika.connect_robust(self.url)
        channel = await self._connection.channel()
        exchange = await channel.get_exchange(self.exchange, ensure=True)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(exchange, self.routing_key)
        await queue.consume(self._on_message, no_ack=True)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._connection.close()

    async def _on_message(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        async with self._arrived:
            self.received.append({"body": json.loads(message.body), "headers": dict(message.headers),
                                  "message_id": message.message_id, "delivery_mode": message.delivery_mode,
                                  "content_type": message.content_type, "routing_key": message.routing_key})
            self._arrived.notify_all()

    def of_type(self, routing_key: str) -> list[dict[str, Any]]:
        return [m for m in self.received if m["routing_key"] == routing_key]

    async def wait_for(self, routing_key: str, count: int = 1, timeout: float = 15.0) -> list[dict[str, Any]]:
        async with asyncio.timeout(timeout), self._arrived:
            await self._arrived.wait_for(lambda: len(self.of_type(routing_key)) >= count)
        return self.of_type(routing_key)


async def delete_topology(url: str, topology: Topology) -> None:
    """Remove every exchange and queue of a namespace (test clean-up)."""
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        queues = [topology.unrouted_name]
        for name in topology.all_queues():
            queues += [name, topology.dlq_name(name)]
        for name in queues:
            with contextlib.suppress(Exception):
                await channel.queue_delete(name)
        for name in (topology.exchange_name("events"), topology.exchange_name("restricted"),
                     topology.dlx_name, topology.unrouted_name):
            with contextlib.suppress(Exception):
                await channel.exchange_delete(name)


async def queue_depth(url: str, name: str) -> int:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(name, passive=True)
        return queue.declaration_result.message_count or 0


async def get_messages(url: str, name: str, limit: int = 100) -> list[aio_pika.abc.AbstractIncomingMessage]:
    """Read (and acknowledge) up to ``limit`` messages waiting in a queue, e.g. a DLQ."""
    out = []
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(name, passive=True)
        while len(out) < limit:
            message = await queue.get(no_ack=False, fail=False, timeout=5)
            if message is None:
                break
            await message.ack()
            out.append(message)
    return out


__all__ = ["SUBSCRIPTIONS", "TEST_AUTH_KEYS", "EventTap", "api_client", "cli_token", "token_headers", "RunningService", "ServiceProcess", "delete_topology",
           "get_messages", "queue_depth", "running_service", "service_processes"]
