"""A service started while its database or broker is down (shared/startup.py): the process stays
up, /healthz answers, /readyz says 503 naming the missing dependency, the API says "retry"; once
the dependency appears the service works — consumes, answers its API — without a restart. A
SIGTERM while waiting ends it at once with 0; JEMPUT_STARTUP_WAIT_S ends the wait with 3; wrong
credentials are not waited for.

Every service is a real process (`python -m services.dashboard`, as its container runs it). The
database appears as a mongoeco stand-in started late on the port the service was given; the
broker appears as a TCP forwarder started late on such a port, forwarding to the shared RabbitMQ
(which is never touched). Stopping the forwarder drops the service's broker connection, as a
broker outage after start-up does."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
from pymongo import AsyncMongoClient

from shared.infra import MongoStandin, free_port
from shared.testing import ROOT, api_client

from .helpers import eventually, publish_event, visit_event

FAST_RETRIES = {"JEMPUT_STARTUP_RETRY_MAX_S": "1", "JEMPUT_SHUTDOWN_TIMEOUT": "8"}


class TcpForwarder:
    """Listens on ``port`` and forwards each connection to ``target``; ``stop`` drops them all."""

    def __init__(self, port: int, target: tuple[str, int]) -> None:
        self.port, self.target = port, target
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        for writer in list(self.writers):
            writer.transport.abort()  # as a broker gone away: the connection is simply cut
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.writers.clear()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.writers |= {writer, up_writer}
        pumps = [asyncio.create_task(self._pump(reader, up_writer)), asyncio.create_task(self._pump(up_reader, writer))]
        self.tasks.update(pumps)
        await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        for task in pumps:
            task.cancel()
        for w in (writer, up_writer):
            w.transport.abort()
            self.writers.discard(w)
        self.tasks.difference_update(pumps)

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()


class ServiceUnderTest:
    """``python -m services.<name>`` with its log in a file."""

    def __init__(self, name: str, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.log_file = open(log_path, "w")  # noqa: SIM115
        self.process = subprocess.Popen([sys.executable, "-m", f"services.{name}"], cwd=ROOT, text=True,
                                        env={**os.environ, **env, "HTTP_PORT": str(self.port)},
                                        stderr=self.log_file)

    def log_lines(self) -> list[dict]:
        lines = []
        for line in self.log_path.read_text().splitlines():
            with contextlib.suppress(ValueError):
                lines.append(json.loads(line))
        return lines

    def log_tail(self) -> str:
        return self.log_path.read_text()[-4000:]

    async def readyz(self, http: httpx.AsyncClient) -> httpx.Response | None:
        assert self.process.poll() is None, (self.process.returncode, self.log_tail())
        try:
            return await http.get(f"{self.url}/readyz")
        except httpx.HTTPError:
            return None

    async def wait_for_readyz(self, http: httpx.AsyncClient, code: int, timeout: float = 30, **fields: object) -> dict:
        """The first /readyz answer with status ``code`` (and these fields in its body)."""
        async def answered() -> dict | None:
            response = await self.readyz(http)
            if response is None or response.status_code != code:
                return None
            body = response.json()
            return body if all(body.get(k) == v for k, v in fields.items()) else None
        try:
            return await eventually(answered, timeout=timeout, interval=0.2)
        except TimeoutError:
            raise AssertionError(f"/readyz never answered {code} {fields}:\n{self.log_tail()}") from None

    async def terminate(self) -> tuple[int, float]:
        began = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(self.process.wait, 30)
        return code, time.monotonic() - began

    async def wait_exit(self, timeout: float) -> tuple[int, float]:
        began = time.monotonic()
        code = await asyncio.to_thread(self.process.wait, timeout)
        return code, time.monotonic() - began

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.log_file.close()


def retries_logged(svc: ServiceUnderTest, dependency: str) -> list[dict]:
    return [x for x in svc.log_lines()
            if x.get("msg") == "dependency unreachable at start-up; retrying" and x.get("dependency") == dependency]


async def test_started_while_the_database_is_down_it_waits_and_then_works(env_for, topology, rabbit_url, tmp_path):
    db_port = free_port()  # nothing listens here yet
    env = env_for("dashboard", MONGODB_URL=f"mongodb://127.0.0.1:{db_port}/", **FAST_RETRIES)
    svc = ServiceUnderTest("dashboard", env, tmp_path / "dashboard.log")
    database = MongoStandin(port=db_port)
    try:
        async with httpx.AsyncClient(timeout=10) as http, api_client(timeout=10) as api:
            # (the broker connects within a moment; an answer may still say it was not yet there)
            waiting = await svc.wait_for_readyz(http, 503, broker=True)
            assert waiting == {"status": "starting", "broker": True, "database": False, "waiting_for": ["database"]}
            assert (await http.get(f"{svc.url}/healthz")).json() == {"status": "ok"}
            refused = await api.get(f"{svc.url}/api/overview")
            assert refused.status_code == 503 and refused.headers["Retry-After"] == "5"
            assert refused.json() == {"detail": "the service is starting (waiting for database); retry shortly"}
            # the broker side is up already: an event published meanwhile waits in the queue
            event = visit_event("scheduled", "V-LATE-DB", 1)
            await publish_event(rabbit_url, topology.exchange_name("events"), event)
            await eventually(lambda: _async(len(retries_logged(svc, "database")) >= 2), timeout=30)

            await asyncio.to_thread(database.start)  # the database comes up, on the same port
            assert await svc.wait_for_readyz(http, 200) == {"status": "ready", "broker": True, "database": True}
            client: AsyncMongoClient = AsyncMongoClient(database.url)
            try:
                visits = client[env["JEMPUT_DATABASE"]]["visits"]
                await eventually(lambda: visits.find_one({"_id": "V-LATE-DB"}), timeout=15)
            finally:
                await client.close()
            overview = await api.get(f"{svc.url}/api/overview")
            assert overview.status_code == 200, overview.text
            assert svc.process.poll() is None  # the same process throughout: no restart

        code, took = await svc.terminate()
        assert code == 0 and took < 8, (code, took, svc.log_tail())
        lines = svc.log_lines()
        retries = retries_logged(svc, "database")
        assert [x["attempt"] for x in retries] == list(range(1, len(retries) + 1))
        assert all(0 < x["retry_in_s"] <= 1 and x["reason"] for x in retries)
        assert all("mongodb://" not in json.dumps(x) for x in lines)  # no URL (credentials) in any line
        assert any(x.get("msg") == "dependency reachable" and x["dependency"] == "database" for x in lines)
        assert not retries_logged(svc, "broker")
    finally:
        svc.close()
        database.stop(kill=True)


async def test_started_while_the_broker_is_down_it_waits_works_and_reports_a_later_loss(
        env_for, topology, rabbit_url, mongo_client, tmp_path):
    broker = urlsplit(rabbit_url)
    proxy_port = free_port()  # nothing listens here yet
    proxied = urlunsplit(broker._replace(netloc=f"{broker.username}:{broker.password}@127.0.0.1:{proxy_port}"))
    env = env_for("dashboard", RABBITMQ_URL=proxied, **FAST_RETRIES)
    forwarder = TcpForwarder(proxy_port, (broker.hostname or "127.0.0.1", broker.port or 5672))
    svc = ServiceUnderTest("dashboard", env, tmp_path / "dashboard.log")
    visits = mongo_client[env["JEMPUT_DATABASE"]]["visits"]
    try:
        async with httpx.AsyncClient(timeout=10) as http, api_client(timeout=10) as api:
            waiting = await svc.wait_for_readyz(http, 503, database=True)
            assert waiting == {"status": "starting", "broker": False, "database": True, "waiting_for": ["broker"]}
            assert (await http.get(f"{svc.url}/healthz")).status_code == 200
            assert (await api.get(f"{svc.url}/api/overview")).status_code == 503
            await eventually(lambda: _async(len(retries_logged(svc, "broker")) >= 2), timeout=30)

            await forwarder.start()  # the broker appears
            assert await svc.wait_for_readyz(http, 200) == {"status": "ready", "broker": True, "database": True}
            # it declared its queue and consumes from it
            await publish_event(rabbit_url, topology.exchange_name("events"), visit_event("scheduled", "V-LATE-MQ", 1))
            await eventually(lambda: visits.find_one({"_id": "V-LATE-MQ"}), timeout=15)
            assert (await api.get(f"{svc.url}/api/overview")).status_code == 200

            # the broker goes away after start-up: not ready, saying which; back when it returns
            await forwarder.stop()
            gone = await svc.wait_for_readyz(http, 503, status="not ready")
            assert gone == {"status": "not ready", "broker": False, "database": True}
            assert (await http.get(f"{svc.url}/healthz")).status_code == 200
            await forwarder.start()
            await svc.wait_for_readyz(http, 200, timeout=60)
            await publish_event(rabbit_url, topology.exchange_name("events"), visit_event("scheduled", "V-AGAIN", 1))
            await eventually(lambda: visits.find_one({"_id": "V-AGAIN"}), timeout=30)

        code, took = await svc.terminate()
        assert code == 0 and took < 8, (code, took, svc.log_tail())
        retries = retries_logged(svc, "broker")
        assert retries and all(x["reason"] for x in retries) and not retries_logged(svc, "database")
        assert f":{broker.password}@" not in svc.log_path.read_text()  # (aio_pika's own lines mask it)
    finally:
        svc.close()
        await forwarder.stop()


async def test_sigterm_while_waiting_ends_the_process_at_once_with_0(env_for, tmp_path):
    """Both dependencies down: the wait (and an attempt in progress) is cancelled, nothing was
    consumed, nothing is pending: a clean stop, well within the bound."""
    env = env_for("dashboard", MONGODB_URL=f"mongodb://127.0.0.1:{free_port()}/",
                  RABBITMQ_URL=f"amqp://guest:guest@127.0.0.1:{free_port()}/", **FAST_RETRIES)
    svc = ServiceUnderTest("dashboard", env, tmp_path / "dashboard.log")
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            waiting = await svc.wait_for_readyz(http, 503)
            assert waiting["status"] == "starting" and (waiting["broker"], waiting["database"]) == (False, False)
            assert waiting["waiting_for"] == ["broker", "database"]
        await asyncio.sleep(1)  # an attempt against the database is in progress (up to 5 s each)
        code, took = await svc.terminate()
        assert code == 0 and took < 4, (code, took, svc.log_tail())
        [stopped] = [x for x in svc.log_lines() if x.get("msg") == "service stopped before it started"]
        assert stopped["waiting_for"] == ["broker", "database"]
        assert not any(x.get("level") == "error" for x in svc.log_lines()), svc.log_tail()
    finally:
        svc.close()


async def test_the_wait_is_bounded_by_JEMPUT_STARTUP_WAIT_S_then_exits_3(env_for, tmp_path):
    env = env_for("dashboard", MONGODB_URL=f"mongodb://127.0.0.1:{free_port()}/", JEMPUT_STARTUP_WAIT_S="7",
                  **FAST_RETRIES)
    svc = ServiceUnderTest("dashboard", env, tmp_path / "dashboard.log")
    try:
        code, took = await svc.wait_exit(30)
        assert code == 3, (code, svc.log_tail())
        assert 7 <= took < 15, took
        [failed] = [x for x in svc.log_lines() if x.get("msg") == "start-up failed"]
        assert failed["reason"] == "still unreachable after JEMPUT_STARTUP_WAIT_S=7 s: database"
        assert retries_logged(svc, "database")
    finally:
        svc.close()


async def test_wrong_broker_credentials_are_not_waited_for(env_for, rabbit_url, tmp_path):
    """The broker answered and refused: configuration, not an outage — exit 3 as before."""
    broker = urlsplit(rabbit_url)
    wrong = urlunsplit(broker._replace(netloc=f"{broker.username}:not-the-password@{broker.hostname}:{broker.port or 5672}"))
    env = env_for("dashboard", RABBITMQ_URL=wrong, **FAST_RETRIES)
    svc = ServiceUnderTest("dashboard", env, tmp_path / "dashboard.log")
    try:
        code, took = await svc.wait_exit(30)
        assert code == 3 and took < 15, (code, took, svc.log_tail())
        assert "start-up failed" in svc.log_path.read_text()
        assert not retries_logged(svc, "broker")
        assert "not-the-password" not in svc.log_path.read_text()
    finally:
        svc.close()


async def _async(value):
    return value
