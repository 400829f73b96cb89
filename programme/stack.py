"""Everything a programme run needs, brought up on this machine.

Every service (dashboard included) runs as its own process (``python -m services.<name>``, as their containers
do) against the broker and database given; the central-registry simulator, the SMTP server and
the SMS gateway that keep what they receive run in this process on local ports. A service can
be restarted with new settings (the demo's fast-forward clock: ``JEMPUT_TODAY`` for scheduling and
enrollment, ``JEMPUT_CLOCK_START`` for notifications, whose reminders fall due as the days pass).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from typing import Any

import httpx

from services.enrollment.adapters.registry_simulator import SimulatorConfig, running_simulator
from services.notifications.adapters.sinks import GatewaySink, SmtpSink
from shared.auth import AuthConfig, Role, bearer_headers, new_key
from shared.settings import ServiceSettings
from shared.testing import ServiceProcess, service_processes

JAKARTA = ZoneInfo("Asia/Jakarta")
MORNING = dt.time(6, 0)  # a day of the fast-forward clock starts before the visits (08:00)
SERVICES = ("scheduling", "enrollment", "printing", "notifications", "dashboard")
SUPERVISOR = "spv-demo-1"
OPERATIONS_EMAIL = "operasional@disdukcapil.example"


@dataclass
class RegistryBehaviour:
    """How the central registry simulator answers (DESIGN.md: latency, some duplicates)."""

    latency_s: float = 0.2
    jitter_s: float = 0.4
    duplicate_rate: float = 0.015
    failed_rate: float = 0.01
    seed: int = 2026


@dataclass
class Stack:
    base_env: Callable[[str], dict[str, str]]   # the broker/database/namespace env of one service
    workdir: Path
    registry: RegistryBehaviour = field(default_factory=RegistryBehaviour)
    catch_up_threshold: int = 10
    today: dict[str, dt.date] = field(default_factory=dict)  # JEMPUT_TODAY per service
    procs: dict[str, ServiceProcess] = field(default_factory=dict)
    smtp: SmtpSink | None = None
    gateway: GatewaySink | None = None
    registry_url: str = ""
    _starts: dict[str, int] = field(default_factory=dict)
    _contexts: dict[str, contextlib.AbstractAsyncContextManager] = field(default_factory=dict)
    _biometric_key: str = field(default_factory=lambda: base64.b64encode(secrets.token_bytes(32)).decode())
    _image_key: str = field(default_factory=lambda: base64.b64encode(secrets.token_bytes(32)).decode())
    _auth_keys: str = field(default_factory=lambda: f"demo:{new_key()}")

    @property
    def auth_keys(self) -> str:
        """The services' token keys: the base environment's, else one made for this stack."""
        return self.base_env("scheduling").get("JEMPUT_AUTH_KEYS") or self._auth_keys

    def headers(self, role: Role | str = Role.ADMIN, subject: str = "demo-runner") -> dict[str, str]:
        """An ``Authorization`` header for calling the stack's services as ``role``."""
        return bearer_headers(AuthConfig.from_settings(ServiceSettings(JEMPUT_AUTH_KEYS=self.auth_keys)),
                              role, subject=subject)

    def client(self, name: str, role: Role | str = Role.ADMIN, **kwargs: Any) -> httpx.AsyncClient:
        """A client of one service's API with a token of ``role``."""
        return httpx.AsyncClient(base_url=self.url(name), headers=self.headers(role), **kwargs)

    def url(self, name: str) -> str:
        return self.procs[name].url

    def env(self, name: str) -> dict[str, str]:
        env = dict(self.base_env(name))
        env.setdefault("JEMPUT_RELAY_SWEEP_S", "1")
        env["JEMPUT_AUTH_KEYS"] = self.auth_keys
        today = {"JEMPUT_TODAY": self.today[name].isoformat()} if name in self.today else {}
        if name == "scheduling":
            env |= {"JEMPUT_CATCH_UP_THRESHOLD": str(self.catch_up_threshold), **today}
        elif name == "enrollment":
            env |= {"JEMPUT_REGISTRY_URL": self.registry_url, **today,
                    "JEMPUT_BIOMETRIC_KEYS": f"demo:{self._biometric_key}", "JEMPUT_BIOMETRIC_KEY_ID": "demo",
                    "JEMPUT_SUPERVISORS": SUPERVISOR, "JEMPUT_SUBMIT_SWEEP_S": "0.5",
                    "JEMPUT_REGISTRY_BACKOFF_BASE_S": "0.2", "JEMPUT_REGISTRY_BACKOFF_MAX_S": "5"}
        elif name == "printing":
            env |= {"PRINTING_SPOOL_DIR": str(self.workdir / "spool"), "PRINTING_POLL_S": "0.5",
                    "PRINTING_IMAGE_KEYS": f"demo:{self._image_key}",
                    "PRINTING_LOW_STOCK_THRESHOLD": "10", "PRINTING_RETRY_BASE_S": "2"}
        elif name == "notifications":
            assert self.smtp is not None and self.gateway is not None
            if name in self.today:  # the morning of the demo's day, running on from there
                env["JEMPUT_CLOCK_START"] = dt.datetime.combine(self.today[name], MORNING, JAKARTA).isoformat()
            # the demo's clock runs fast, so quiet hours (21:00-06:00 WIB on the real clock) are off
            env |= {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(self.smtp.port), "SMTP_TLS": "none",
                    "SMS_GATEWAY_URL": self.gateway.url, "NOTIFY_QUIET_START": "00:00", "NOTIFY_QUIET_END": "00:00",
                    "NOTIFY_RATE_LIMIT": "50", "NOTIFY_OPERATIONS_EMAILS": OPERATIONS_EMAIL,
                    "NOTIFY_DISPATCH_INTERVAL_S": "0.5", "NOTIFY_RETRY_BASE_S": "2"}
        return env

    async def _start(self, name: str) -> None:
        self._starts[name] = self._starts.get(name, 0) + 1
        log_dir = self.workdir / "logs"
        if self._starts[name] > 1:  # each restart keeps its own log
            log_dir = log_dir / f"{name}-{self._starts[name]}"
            log_dir.mkdir(parents=True, exist_ok=True)
        context = service_processes({name: self.env(name)}, log_dir=log_dir, ready_timeout=90)
        procs = await context.__aenter__()
        self._contexts[name] = context
        self.procs[name] = procs[name]

    async def _stop(self, name: str) -> None:
        context = self._contexts.pop(name, None)
        if context is not None:
            await context.__aexit__(None, None, None)

    async def restart(self, name: str) -> None:
        await self._stop(name)
        await self._start(name)

    async def set_today(self, day: dt.date, *services: str) -> None:
        """Move the services' clock (``JEMPUT_TODAY``) by restarting them with the new date."""
        for name in services:
            self.today[name] = day
            await self.restart(name)

    async def seed_registry(self, niks: list[str]) -> None:
        async with httpx.AsyncClient(timeout=30) as http:
            for i in range(0, len(niks), 5000):
                (await http.post(f"{self.registry_url}/admin/recorded", json={"niks": niks[i:i + 5000]})).raise_for_status()

    async def registry_stats(self) -> dict:
        async with httpx.AsyncClient(timeout=10) as http:
            return (await http.get(f"{self.registry_url}/admin/stats")).json()


@contextlib.asynccontextmanager
async def running_stack(stack: Stack) -> AsyncIterator[Stack]:
    (stack.workdir / "logs").mkdir(parents=True, exist_ok=True)
    r = stack.registry
    config = SimulatorConfig(latency_s=r.latency_s, jitter_s=r.jitter_s, duplicate_rate=r.duplicate_rate,
                             failed_rate=r.failed_rate, seed=r.seed)
    async with running_simulator(config) as simulator:
        stack.registry_url = simulator.url
        with SmtpSink() as smtp, GatewaySink() as gateway:
            stack.smtp, stack.gateway = smtp, gateway
            try:
                for name in SERVICES:
                    await stack._start(name)
                yield stack
            finally:
                for name in reversed(SERVICES):
                    with contextlib.suppress(Exception):
                        await stack._stop(name)
