"""Carrying out the faults of a plan against a running stack, and keeping a log of them."""

from __future__ import annotations

import asyncio
import logging
import shlex
import subprocess
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from programme.chaos import poison
from programme.chaos.schedule import Fault
from programme.chaos.stack import ChaosStack
from shared.bus.topology import Topology
from shared.infra import MongoStandin

log = logging.getLogger("jemput.chaos")


@dataclass
class Infra:
    """The parts outside the services that a fault acts on."""

    rabbit_url: str
    topology: Topology
    standin: MongoStandin | None             # None: a real MongoDB, restarted by ``db_restart_command``
    db_restart_command: str = ""
    broker_stop: tuple[str, ...] = ("rabbitmqctl", "stop_app")
    broker_start: tuple[str, ...] = ("rabbitmqctl", "start_app")


@dataclass
class FaultLog:
    done: list[dict] = field(default_factory=list)
    poison_ids: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # faults that could not be carried out
    last_fault_over: float = 0.0  # time.monotonic() when the last fault ended (service ready again)

    def record(self, fault: Fault, started: float, note: str = "") -> None:
        self.last_fault_over = max(self.last_fault_over, time.monotonic())
        self.done.append({"kind": fault.kind, "target": fault.target, "at_s": fault.at_s,
                          "took_s": round(time.monotonic() - started, 1), "note": note})


def _run(command: tuple[str, ...] | list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {result.stderr.strip()[:300]}")


class Injector:
    def __init__(self, stack: ChaosStack, infra: Infra, poison_per_queue: int, say: Callable[[str], None]) -> None:
        self.stack = stack
        self.infra = infra
        self.poison_per_queue = poison_per_queue
        self.say = say
        self.log = FaultLog()

    async def run(self, plan: list[Fault], clock_started: float) -> FaultLog:
        """Carry out every fault at its time (concurrently: an outage lasts while the next
        fault happens)."""
        async def at(fault: Fault) -> None:
            await asyncio.sleep(max(0.0, clock_started + fault.at_s - time.monotonic()))
            started = time.monotonic()
            self.say(f"fault: {fault.describe()}")
            try:
                note = await self.handler(fault)()
            except Exception as error:  # noqa: BLE001 - a fault that could not be carried out fails the run
                note = f"FAILED: {type(error).__name__}: {error}"
                self.log.failed.append(f"{fault.kind} {fault.target}: {note}")
            self.log.record(fault, started, note)
            self.say(f"fault over: {fault.kind} {fault.target} ({time.monotonic() - started:.1f} s) {note}")

        await asyncio.gather(*(at(f) for f in plan))
        return self.log

    def handler(self, fault: Fault) -> Callable[[], Awaitable[str]]:
        return {
            "kill": lambda: self.kill(fault.target),
            "broker": self.restart_broker,
            "database": self.restart_database,
            "outage": lambda: self.outage(fault.target, fault.duration_s),
            "poison": self.inject_poison,
        }[fault.kind]

    async def kill(self, service: str) -> str:
        await self.stack.kill(service)
        return "SIGKILL, started again and ready"

    async def restart_broker(self) -> str:
        await asyncio.to_thread(_run, self.infra.broker_stop)
        await asyncio.sleep(2)
        await asyncio.to_thread(_run, self.infra.broker_start)
        return " / ".join(" ".join(c) for c in (self.infra.broker_stop, self.infra.broker_start))

    async def restart_database(self) -> str:
        if self.infra.standin is not None:
            await asyncio.to_thread(self.infra.standin.restart)
            return f"mongoeco stand-in (SQLite) restarted on the same port {self.infra.standin.port}"
        if self.infra.db_restart_command:
            await asyncio.to_thread(_run, shlex.split(self.infra.db_restart_command))
            return f"ran {self.infra.db_restart_command!r}"
        raise RuntimeError("a real MongoDB (MONGODB_URL) needs --db-restart-command to be restarted")

    async def outage(self, target: str, seconds: float) -> str:
        stack = self.stack
        if target == "smtp":  # the port closes: connections are refused
            assert stack.smtp is not None
            await asyncio.to_thread(stack.smtp.stop)
            await asyncio.sleep(seconds)
            await asyncio.to_thread(stack.smtp.start)
            return "SMTP server stopped (connections refused), then listening again on its port"
        if target == "gateway":
            assert stack.gateway is not None
            stack.gateway.set_down(True)
            await asyncio.sleep(seconds)
            stack.gateway.set_down(False)
            return "SMS gateway answered 503 to every message"
        if target == "registry":
            await self._registry_up(False)
            await asyncio.sleep(seconds)
            await self._registry_up(True)
            return "central registry simulator answered 503 to every submission"
        raise ValueError(f"unknown outage target {target!r}")

    async def _registry_up(self, up: bool) -> None:
        async with httpx.AsyncClient(timeout=10) as http:
            (await http.put(f"{self.stack.registry_url}/admin/availability", json={"up": up})).raise_for_status()

    async def inject_poison(self) -> str:
        topology = self.infra.topology
        queues = {}
        for service in self.stack.procs:
            for kind, keys in topology.bindings(service).items():
                queues[topology.queue_name(service, kind)] = keys[0]
        ids = await poison.inject(self.infra.rabbit_url, queues, self.poison_per_queue)
        self.log.poison_ids += ids
        return f"{self.poison_per_queue} into each of {len(queues)} queues"
