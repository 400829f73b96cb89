"""A student's way from capture to printed card and SMS, run and measured (``bench/e2e.py``).

Everything runs on this machine, the services in this process so that PyMongo's command
monitoring sees each of their database commands: scheduling, enrollment, printing and
notifications under uvicorn on free ports (``shared.testing.running_service``) with the
settings the demo's stack gives them, the central-registry simulator answering at once (no
latency, no failures or duplicates: the figures are Jemput's, not the registry's), and the local
SMTP server and SMS gateway. The periodic passes (outbox sweep, submission sweep, print poll,
dispatch tick) keep the services' defaults, and what they do while a run lasts is counted with
it; ``periodic=FAR_APART`` moves them out of the way, so that what is counted is only the work
the students cause (every step is woken by the one before it; a retry, though, waits for them).

Preparation, outside what is measured, goes through the services' APIs with the demo's runner:
one school, the mobile units and their blank stock, the roster, the plan; then each student is
checked in at the visit, with a guardian's consent for a minor. What is measured starts with the
capture request and ends when the SMS saying the card is ready reaches the gateway: the central
answer, ``card.requested``, the print job, ``card.printed`` and the notifications in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import random
import statistics
import time
import uuid
import zlib
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from programme.biometrics import card_details, payload
from programme.counters import Arrivals, Bus, command_counter, watching
from programme.runner import UNITS, Runner, desk_key
from programme.stack import RegistryBehaviour, Stack
from programme.synthetic import generate
from services.enrollment.adapters.registry_simulator import SimulatorConfig, running_simulator
from services.notifications.adapters.sinks import GatewaySink, SmtpSink
from shared.bus.topology import Topology
from shared.testing import definition_of, running_service

SERVICES = ("scheduling", "enrollment", "printing", "notifications")
PERIODIC = ("JEMPUT_RELAY_SWEEP_S", "JEMPUT_SUBMIT_SWEEP_S", "JEMPUT_PRINT_SWEEP_S", "PRINTING_POLL_S",
            "NOTIFY_DISPATCH_INTERVAL_S")  # the services' periodic passes
FAR_APART = dict.fromkeys(PERIODIC, "600")
PREPARE_CONCURRENCY = 8
STEPS = ("student.recorded", "student.print_ready", "card.requested", "card.printed",
         "notification.sent(card.printed)")  # the way of a student, as the bus shows it


def client(stack: Stack, base_url: str = "") -> httpx.AsyncClient:
    """Every HTTP call of the bench goes through here, with a token for the stack's services."""
    return httpx.AsyncClient(base_url=base_url, timeout=120, headers=stack.headers(subject="bench-e2e"))


class PipelineError(RuntimeError):
    """A step the services refused, or an answer that did not come; says which."""


@dataclass
class Prepared:
    student_id: str
    capture: dict  # the capture request's body, built beforehand


@dataclass
class Run:
    students: int
    seconds: float  # first capture sent -> last "card ready" SMS at the gateway
    latencies_ms: list[float]
    db_ops: Counter[tuple[str, str, str]]  # (service, command, collection) -> commands
    messages: Counter[str]  # routing key -> messages routed

    @property
    def students_per_s(self) -> float:
        return self.students / self.seconds

    def percentile_ms(self, p: int) -> float:
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[p - 1]

    @property
    def db_ops_per_student(self) -> float:
        return sum(self.db_ops.values()) / self.students

    @property
    def messages_per_student(self) -> float:
        return sum(self.messages.values()) / self.students


@dataclass
class Pipeline:
    stack: Stack
    bus: Bus
    arrivals: Arrivals
    namespace: str
    seed: int = 2026
    _rng: random.Random = field(default_factory=random.Random)

    # --- preparation (not measured) ---------------------------------------------------------
    async def prepare(self, n: int) -> list[Prepared]:
        """``n`` students of one school, checked in at its visit, ready for capture."""
        today = dt.date.today()
        # born so that every student is 17 to 19 today: recorded and printed at once; the
        # minors among them need a guardian's consent, and their guardians get the texts too
        programme = generate(schools=1, students=n + 10, ready=n, seed=self.seed,
                             start=today - dt.timedelta(days=400))
        programme.start = today + dt.timedelta(days=14)  # the plan: visits ahead, no reminder due now
        runner = Runner(self.stack, programme, self.bus.events, seed=self.seed)
        await runner.http.aclose()
        runner.http = client(self.stack)
        try:
            visit = await open_desk(runner, blanks=n + 50)
            school = programme.schools[0]
            ids = [sid for sid in runner.state.students_of[school.npsn]  # (not the 16-year-old rows)
                   if runner.state.student_by_id[sid].expected == "ready_to_record"]
            if len(ids) != n:
                raise PipelineError(f"the roster gave {len(ids)} students ready to record, not {n}")
            prepared = [Prepared(sid, capture) for sid, capture in await check_in_all(
                runner, visit, school.kecamatan, ids, seed=self.seed, operator="op-bench", today=today)]
        finally:
            await runner.http.aclose()
        await self.quiet()
        return prepared

    async def quiet(self, for_s: float = 1.0, timeout: float = 120.0) -> None:
        """Wait until nothing has moved on the bus or reached the sinks for ``for_s``."""
        def state() -> tuple[int, int, int]:
            assert self.stack.gateway is not None and self.stack.smtp is not None
            return self.bus.count(), len(self.stack.gateway.messages), len(self.stack.smtp.received())

        last, since, deadline = state(), time.monotonic(), time.monotonic() + timeout
        while time.monotonic() - since < for_s:
            if time.monotonic() > deadline:
                raise PipelineError(f"the services did not settle within {timeout:.0f} s")
            await asyncio.sleep(0.05)
            if (now := state()) != last:
                last, since = now, time.monotonic()

    # --- the measured phase -------------------------------------------------------------------
    async def run(self, students: list[Prepared], *, rate: float | None = None,
                  concurrency: int = 16, timeout: float | None = None) -> Run:
        """Captures at ``rate`` a second (open loop: each is sent on time whether or not the
        earlier ones are answered), or as fast as ``concurrency`` desks can send them."""
        counter = command_counter()
        mark = self.bus.mark()
        sent: dict[str, float] = {}
        gate = asyncio.Semaphore(concurrency)
        with counter.counting(self.namespace) as ops:
            async with client(self.stack, self.stack.url("enrollment")) as http:
                start = time.perf_counter()

                async def capture(i: int, s: Prepared) -> None:
                    if rate:
                        await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
                    async with contextlib.nullcontext() if rate else gate:
                        sent[s.student_id] = time.perf_counter()
                        r = await http.post(f"/students/{s.student_id}/capture", json=s.capture,
                                            headers=desk_key())
                    if r.status_code != 200:
                        raise PipelineError(f"capture: HTTP {r.status_code} {r.text[:200]}")

                captures = asyncio.gather(*(capture(i, s) for i, s in enumerate(students)))
                texts = asyncio.create_task(self._card_texts({s.student_id for s in students}, mark,
                                                             timeout or 60 + 3 * len(students)))
                await asyncio.wait({captures, texts}, return_when=asyncio.FIRST_EXCEPTION)
                if captures.done() and captures.exception() is not None:  # refused: no text will come
                    texts.cancel()
                    await asyncio.gather(texts, return_exceptions=True)
                await captures
                arrived = await texts
            await self.quiet()
            counted = Counter(ops)
        first = min(sent.values())
        return Run(students=len(students), seconds=max(arrived.values()) - first,
                   latencies_ms=[(arrived[sid] - sent[sid]) * 1000 for sid in arrived],
                   db_ops=counted, messages=self.bus.by_key(mark))

    async def _card_texts(self, ids: set[str], mark: tuple[int, int], timeout: float) -> dict[str, float]:
        """When the "your card is ready" SMS of each student reached the gateway: the
        ``notification.sent`` events name the delivery, the gateway saw it arrive."""
        reference: dict[str, str] = {}
        seen = mark[0]
        deadline = time.monotonic() + timeout
        while True:
            received = self.bus.events.received
            for m in received[seen:]:
                data = m["body"]["data"]
                if (m["routing_key"] == "notification.sent" and data["cause_type"] == "card.printed"
                        and data["recipient_kind"] == "student" and data["recipient_ref"] in ids):
                    reference[data["recipient_ref"]] = data["delivery_id"]
            seen = len(received)
            self.arrivals.poll()
            if len(reference) == len(ids) and all(r in self.arrivals.at for r in reference.values()):
                return {sid: self.arrivals.at[ref] for sid, ref in reference.items()}
            if time.monotonic() > deadline:
                raise PipelineError(f"{len(reference)} of {len(ids)} 'card ready' texts sent after "
                                    f"{timeout:.0f} s; {self._where(ids - set(reference), mark)}")
            await asyncio.sleep(0.02)


    def _where(self, ids: set[str], mark: tuple[int, int]) -> str:
        """How far the students without their text got: the first step of the way not seen."""
        seen: dict[str, set[str]] = {sid: set() for sid in ids}
        for m in self.bus.events.received[mark[0]:] + self.bus.restricted.received[mark[1]:]:
            data = m["body"]["data"]
            sid = data.get("student_id") or data.get("recipient_ref")
            if sid in seen:
                seen[sid].add(m["routing_key"] + (f"({data['cause_type']})" if "cause_type" in data else ""))
        missing = Counter(next((step for step in STEPS if step not in got), "?") for got in seen.values())
        return "no " + ", no ".join(f"{step} for {n}" for step, n in missing.most_common())


async def open_desk(runner: Runner, *, blanks: int) -> dict:
    """Schools, units, rosters and plan through the runner, ``blanks`` cards in every unit:
    the visit of the programme's first school, where its students will be checked in."""
    await runner.register_schools()
    await runner.set_up_units()
    await runner.import_rosters()
    plan = await runner.commit_plan()
    for unit in UNITS:
        await runner.call("POST", "printing", f"/stock/{unit}/receipts", json={
            "batch_no": f"BLK-{unit}-{uuid.uuid4().hex[:6]}", "quantity": blanks, "by": "gudang"})
    npsn = runner.programme.schools[0].npsn
    return next(v for v in plan["visits"] if v["npsn"] == npsn)


async def check_in_all(runner: Runner, visit: dict, kecamatan: str, ids: list[str], *, seed: int,
                       operator: str, today: dt.date) -> list[tuple[str, dict]]:
    """Each student checked in at ``visit`` (a guardian's consent for a minor), with the body of
    its capture request built beforehand."""
    gate = asyncio.Semaphore(PREPARE_CONCURRENCY)

    async def check_in(sid: str) -> tuple[str, dict]:
        student = runner.state.student_by_id[sid]
        async with gate:
            await runner.call("POST", "enrollment", f"/students/{sid}/check-ins", headers=desk_key(),
                              json={"visit_id": visit["visit_id"], "operator_id": operator})
            if _age(student.birth_date, today) < 18:
                await runner.call("POST", "enrollment", f"/students/{sid}/consents", headers=desk_key(), json={
                    "guardian_name": student.guardian_name, "relationship": "orang tua",
                    "method": "signed_form", "reference": f"FORM-{sid[-8:]}",
                    "operator_id": operator, "given_at": dt.datetime.now(dt.UTC).isoformat()})
        rng = random.Random(f"{seed}:{sid}")
        address = f"Kp. Contoh No. {zlib.crc32(sid.encode()) % 90 + 1}, {kecamatan}"
        return sid, {"visit_id": visit["visit_id"], "operator_id": operator,
                     "card_details": card_details(rng, kecamatan, address), "biometrics": payload(rng)}

    return list(await asyncio.gather(*(check_in(sid) for sid in ids)))


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


@contextlib.asynccontextmanager
async def running_pipeline(rabbit_url: str, mongo_url: str, workdir: Path, *, namespace: str | None = None,
                           seed: int = 2026, periodic: dict[str, str] | None = None) -> AsyncIterator[Pipeline]:
    """The four services, the registry simulator and the sinks, up in this process; their
    periodic passes at ``periodic`` (seconds by setting), else at the services' defaults."""
    command_counter()  # registered before any service's client exists
    ns = namespace or f"e2e{uuid.uuid4().hex[:8]}"

    def base_env(name: str) -> dict[str, str]:
        return {"RABBITMQ_URL": rabbit_url, "MONGODB_URL": mongo_url, "JEMPUT_SERVICE": name,
                "JEMPUT_NAMESPACE": ns, "JEMPUT_DATABASE": f"{ns}_{name}", "HTTP_PORT": "0"}

    stack = Stack(base_env=base_env, workdir=workdir,
                  registry=RegistryBehaviour(latency_s=0, jitter_s=0, duplicate_rate=0, failed_rate=0, seed=seed))
    (workdir / "spool").mkdir(parents=True, exist_ok=True)
    config = SimulatorConfig(latency_s=0, jitter_s=0, duplicate_rate=0, failed_rate=0, seed=seed)
    async with contextlib.AsyncExitStack() as exits:
        stack.registry_url = (await exits.enter_async_context(running_simulator(config))).url
        stack.smtp = exits.enter_context(SmtpSink())
        stack.gateway = exits.enter_context(GatewaySink())
        for name in SERVICES:
            env = {k: v for k, v in stack.env(name).items() if k not in PERIODIC} | (periodic or {})
            settings = definition_of(name).settings_class(**env)
            stack.procs[name] = await exits.enter_async_context(running_service(name, settings))  # type: ignore[assignment]
        bus = await exits.enter_async_context(watching(rabbit_url, Topology(ns)))
        arrivals = Arrivals(stack.gateway)
        poller = asyncio.create_task(arrivals.run())
        try:
            yield Pipeline(stack, bus, arrivals, ns, seed)
        finally:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller
