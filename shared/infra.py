"""Finding the real infrastructure: RabbitMQ and MongoDB, as DESIGN.md's "Real infrastructure in
tests" orders it. Used by the test harness and by ``jemput demo``.

RabbitMQ: ``RABBITMQ_URL``; else a broker answering on localhost:5672; else testcontainers when
a Docker engine is usable; else an error saying how to get one.
MongoDB: ``MONGODB_URL``; else testcontainers' MongoDB when Docker is usable; else the
``mongoeco[wire]`` stand-in, started as a child process on a free local port.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

NO_BROKER = (
    "No RabbitMQ broker: set RABBITMQ_URL, or start one on localhost:5672 "
    "(Debian/Ubuntu: `sudo apt-get install rabbitmq-server && sudo rabbitmq-server -detached`), "
    "or make a Docker engine available for testcontainers."
)


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def docker_usable() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@dataclass
class MongoStandin:
    """The ``mongoeco`` wire server in a child process (so it can be killed and restarted)."""

    sqlite_path: str | None = None
    port: int = 0
    process: subprocess.Popen[str] | None = field(default=None, repr=False)
    url: str = ""

    def start(self, timeout: float = 30.0) -> str:
        cmd = [sys.executable, "-m", "shared.mongo_standin", "--port", str(self.port)]
        if self.sqlite_path:
            cmd += ["--sqlite", self.sqlite_path]
        self.process = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        deadline = time.monotonic() + timeout
        assert self.process.stdout is not None
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if line.startswith("READY "):
                self.url = line.split(" ", 1)[1].strip()
                self.port = int(self.url.split(":")[2].split("/")[0])  # keep the port across restarts
                return self.url
            if not line and self.process.poll() is not None:
                break
        self.stop()
        raise RuntimeError("the MongoDB stand-in (mongoeco) did not start; is `mongoeco[wire]` installed?")

    def stop(self, kill: bool = False) -> None:
        if self.process is not None and self.process.poll() is None:
            (self.process.kill if kill else self.process.terminate)()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(10)
        self.process = None

    def restart(self) -> str:
        self.stop()
        return self.start()


@contextlib.contextmanager
def rabbitmq() -> Iterator[str]:
    if url := os.environ.get("RABBITMQ_URL"):
        yield url
        return
    if port_open("127.0.0.1", 5672):
        yield "amqp://guest:guest@127.0.0.1:5672/"
        return
    if docker_usable():
        try:
            from testcontainers.community.rabbitmq import RabbitMqContainer  # type: ignore[import-not-found]
        except ImportError:
            from testcontainers.rabbitmq import RabbitMqContainer  # type: ignore[import-not-found]

        with RabbitMqContainer("rabbitmq:4-management") as container:
            params = container.get_connection_params()
            yield f"amqp://guest:guest@{params.host}:{params.port}/"
        return
    raise RuntimeError(NO_BROKER)


@contextlib.contextmanager
def mongodb(sqlite_path: str | None = None) -> Iterator[tuple[str, str]]:
    """Yields (url, kind) where kind is ``mongodb``, ``testcontainers`` or ``mongoeco-memory|sqlite``."""
    if url := os.environ.get("MONGODB_URL"):
        yield url, "mongodb"
        return
    if docker_usable():
        try:
            try:
                from testcontainers.community.mongodb import MongoDbContainer  # type: ignore[import-not-found]
            except ImportError:
                from testcontainers.mongodb import MongoDbContainer  # type: ignore[import-not-found]

            with MongoDbContainer("mongo:8") as container:
                yield container.get_connection_url(), "testcontainers"
            return
        except ImportError:
            pass
    standin = MongoStandin(sqlite_path=sqlite_path)
    url = standin.start()
    try:
        yield url, "mongoeco-sqlite" if sqlite_path else "mongoeco-memory"
    finally:
        standin.stop()
