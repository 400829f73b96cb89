"""The fault-injection run: the programme on every service as its own process, the faults of a
seeded plan while the visit days run, then the pass conditions and the figures."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from pymongo import AsyncMongoClient

from programme import runner as run_mod
from programme.chaos import checks
from programme.chaos.faults import FaultLog, Infra, Injector
from programme.chaos.schedule import plan_faults
from programme.chaos.stack import CHAOS_SERVICES, ChaosStack, DurableTap
from programme.chaos.transport import make_patient
from programme.stack import RegistryBehaviour, running_stack
from programme.synthetic import generate
from services.notifications.adapters.repository import DELIVERIES
from shared import infra
from shared.bus.topology import Topology
from shared.store.outbox import PENDING
from shared.testing import definition_of, delete_topology, queue_depth


@dataclass
class ChaosOptions:
    schools: int = 9
    students: int = 1000
    seed: int = 2026
    window_s: float = 300.0          # faults fall at random points of this window, from the first visit day
    outage_s: float = 30.0           # SMTP server, SMS gateway, central registry: each down this long
    poison_per_queue: int = 50
    broker: bool = True              # restart RabbitMQ (rabbitmqctl stop_app / start_app)
    database: bool = True            # restart the database
    db_restart_command: str = ""     # with a real MongoDB (MONGODB_URL): how to restart it
    drain_timeout_s: float = 900.0
    keep_workdir: bool = False
    say: Callable[[str], None] = print


@dataclass
class ChaosResult:
    figures: dict[str, Any]
    verdict: checks.Verdict
    faults: FaultLog
    error: str = ""
    workdir: Path | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return (self.verdict.ok and not self.error and not self.faults.failed
                and self.figures["poison_in_dlq"] == self.figures["poison_injected"])


class _PatientRunner(run_mod.Runner):
    """The demo's runner with five times its patience: a killed printing service or a 30 s outage
    on a busy machine makes a day's cards come later than the demo's timeouts allow."""

    workdir: Path | None = None
    _tended_at = 0.0

    async def eventually(self, predicate: Callable[[], Any], what: str, timeout: float = 60.0,
                         interval: float = 0.2) -> Any:
        async def tended() -> Any:  # while waiting for a day's cards, the operators tend their printers
            if self.workdir is not None and time.monotonic() - self._tended_at > 5:
                self._tended_at = time.monotonic()
                with contextlib.suppress(Exception):
                    await tend_printers(self.http, self.stack.url("printing"), self.workdir)
            return await predicate()

        return await super().eventually(tended, what, timeout * 5, interval)


class _Clock(run_mod.Progress):
    """Starts the fault clock when the runner reaches its visit days."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say
        self.visit_days = asyncio.Event()

    def stage(self, text: str) -> None:
        self.say(f"programme: {text}")
        if text.startswith("visit days"):
            self.visit_days.set()

    def day(self, text: str) -> None:
        self.say(f"  {text}")


async def _settled(stack: ChaosStack, mongo: AsyncMongoClient, databases: dict[str, str], rabbit_url: str,
                   topology: Topology) -> bool:
    for queue in topology.all_queues():
        if await queue_depth(rabbit_url, queue):
            return False
    for name in stack.procs:
        for collection in definition_of(name).outbox_collections:
            if await mongo[databases[name]][collection].count_documents(PENDING, limit=1):
                return False
    if await mongo[databases["printing"]]["print_jobs"].count_documents({"status": "printing"}, limit=1):
        return False  # at the printer, or left there by a kill (stuck until its operator acts)
    return not await mongo[databases["notifications"]][DELIVERIES].count_documents(
        {"status": {"$in": ["scheduled", "sending"]}}, limit=1)


async def tend_printers(http: httpx.AsyncClient, printing_url: str, workdir: Path) -> int:
    """What the operator at each unit does after a crash: a job flagged stuck (its process died
    mid-print) whose card is not in the printer's tray is declared not printed, so it prints
    again. (One whose card is there the service records printed by itself.)"""
    declared = 0
    stocks = await http.get(f"{printing_url}/stock")
    stocks.raise_for_status()
    for stock in stocks.json():
        unit = stock["unit_id"]
        queue = await http.get(f"{printing_url}/queue", params={"unit_id": unit})
        queue.raise_for_status()
        for job in queue.json():
            if not job.get("stuck"):
                continue
            if any((workdir / "spool" / unit).glob(f"{job['job_id']}-*.pdf")):
                continue  # the card came out: the service's own sweep records it
            answer = await http.post(f"{printing_url}/jobs/{job['job_id']}/not-printed", json={"by": "chaos-operator"})
            if answer.status_code not in (200, 409):  # 409: resolved meanwhile
                answer.raise_for_status()
            declared += 1
    return declared


async def _drain(stack: ChaosStack, mongo: AsyncMongoClient, databases: dict[str, str], rabbit_url: str,
                 topology: Topology, timeout_s: float, tend: Callable[[], Any] | None = None,
                 say: Callable[[str], None] = print) -> bool:
    """Until every queue, outbox and delivery is settled and no job is at a printer, twice in a
    row, two seconds apart; ``tend``: the operators' round at each pass."""
    deadline = time.monotonic() + timeout_s
    quiet = 0
    failing = ""
    while time.monotonic() < deadline:
        try:
            if tend is not None:
                await tend()
            quiet = quiet + 1 if await _settled(stack, mongo, databases, rabbit_url, topology) else 0
            failing = ""
        except Exception as error:  # noqa: BLE001 - a dependency still coming back
            quiet = 0
            if str(error) != failing:  # said once, not every two seconds
                failing = str(error)
                say(f"drain: not settled yet ({type(error).__name__}: {failing[:200]})")
        if quiet >= 2:
            return True
        await asyncio.sleep(2)
    return False


def run(options: ChaosOptions) -> ChaosResult:
    return asyncio.run(run_async(options))


async def run_async(options: ChaosOptions) -> ChaosResult:
    say = options.say
    programme = generate(schools=options.schools, students=options.students, seed=options.seed)
    tag = secrets.token_hex(3)
    namespace, db_prefix = f"chaos-{tag}", f"jemput_chaos_{tag}"
    workdir = Path(tempfile.mkdtemp(prefix="jemput-chaos-"))
    standin = None
    if os.environ.get("MONGODB_URL"):
        mongo_url, mongo_kind = os.environ["MONGODB_URL"], "mongodb"
    else:
        standin = infra.MongoStandin(sqlite_path=str(workdir / "chaos.sqlite"))
        mongo_url, mongo_kind = await asyncio.to_thread(standin.start), "mongoeco-sqlite"
    databases = {name: f"{db_prefix}_{name}" for name in CHAOS_SERVICES}
    topology = Topology(namespace)
    try:
        with infra.rabbitmq() as rabbit_url:
            say(f"chaos run: {len(programme.schools)} schools, {len(programme.students):,} students (seed "
                f"{options.seed}); broker {rabbit_url.split('@')[-1]}; database {mongo_kind}; work dir {workdir}")
            return await _run(options, programme, rabbit_url, mongo_url, mongo_kind, standin, databases, topology,
                              workdir)
    finally:
        if standin is not None:
            standin.stop()
        if not options.keep_workdir:
            shutil.rmtree(workdir / "spool", ignore_errors=True)
            with contextlib.suppress(OSError):
                (workdir / "chaos.sqlite").unlink()


async def _run(options: ChaosOptions, programme: Any, rabbit_url: str, mongo_url: str, mongo_kind: str,
               standin: infra.MongoStandin | None, databases: dict[str, str], topology: Topology,
               workdir: Path) -> ChaosResult:
    say = options.say

    def base_env(name: str) -> dict[str, str]:
        return {"RABBITMQ_URL": rabbit_url, "MONGODB_URL": mongo_url, "JEMPUT_SERVICE": name,
                "JEMPUT_NAMESPACE": topology.namespace, "JEMPUT_DATABASE": databases[name]}

    eve = programme.start - dt.timedelta(days=1)
    stack = ChaosStack(base_env=base_env, workdir=workdir, today={"scheduling": eve, "enrollment": eve},
                       catch_up_threshold=3, registry=RegistryBehaviour(seed=options.seed))
    database = options.database and (standin is not None or bool(options.db_restart_command))
    if options.database and not database:
        say("a real MongoDB (MONGODB_URL) and no --db-restart-command: the database is not restarted")
    plan = plan_faults(options.seed, CHAOS_SERVICES, window_s=options.window_s, outage_s=options.outage_s,
                       broker=options.broker, database=database)
    injector = Injector(stack, Infra(rabbit_url, topology, standin, options.db_restart_command),
                        options.poison_per_queue, say)
    mongo: AsyncMongoClient = AsyncMongoClient(mongo_url)
    error = ""
    begun = time.monotonic()
    try:
        async with running_stack(stack):
            await stack.start_extra("dashboard")
            say(f"services up in {time.monotonic() - begun:.0f} s; fault plan:\n  "
                + "\n  ".join(f.describe() for f in plan))
            async with DurableTap(rabbit_url, topology.exchange_name("events"),
                                  queue_name=f"{topology.namespace}.chaos-tap") as tap:
                clock = _Clock(say)
                runner = _PatientRunner(stack, programme, tap, seed=options.seed, progress=clock,
                                        options=run_mod.Options(answer_timeout_s=max(300.0, 4 * options.outage_s)))
                runner.workdir = workdir
                patient = make_patient(runner.http)
                programme_task = asyncio.create_task(runner.run())
                await asyncio.wait([programme_task, asyncio.create_task(clock.visit_days.wait())],
                                   return_when=asyncio.FIRST_COMPLETED)
                faults_task = asyncio.create_task(injector.run(plan, time.monotonic())) \
                    if clock.visit_days.is_set() else None
                try:
                    await programme_task
                except Exception as failure:  # noqa: BLE001 - reported with the figures
                    error = f"the programme stopped: {type(failure).__name__}: {failure}"
                    say(error)
                if faults_task is not None:
                    await faults_task
                say("programme done and every fault over; draining")
                # the runner's client closed with the programme: the operators use their own
                async with httpx.AsyncClient(timeout=30, headers=stack.headers()) as operator:
                    drained = await _drain(stack, mongo, databases, rabbit_url, topology, options.drain_timeout_s,
                                           tend=lambda: tend_printers(operator, stack.url("printing"), workdir),
                                           say=say)
                drain_s = round(time.monotonic() - injector.log.last_fault_over, 1) \
                    if injector.log.last_fault_over else 0.0
                if not drained:
                    error = "; ".join(filter(None, [error, f"not settled {options.drain_timeout_s:.0f} s after the last fault"]))
                verdict = checks.Verdict()
                eligible = await checks.eligible_students(mongo[databases["enrollment"]])
                checks.cards_and_certificates(verdict, eligible, tap)
                verdict.lost["students refused at the desk"] = len(runner.state.refusals)
                await checks.notifications(verdict, stack, mongo[databases["notifications"]], tap)
                await checks.health(verdict, stack)
                await checks.bus_and_outboxes(verdict, stack, mongo, databases, rabbit_url, topology,
                                              injector.log.poison_ids)
            details = {"eligible": len(eligible),
                       "target": len(runner.state.facts), "requests_retried": patient.retried,
                       "refusals": len(runner.state.refusals), "wall_s": round(time.monotonic() - begun, 1),
                       "database": mongo_kind, "failed_starts": stack.failed_starts}
    finally:
        with contextlib.suppress(Exception):
            await stack._stop("dashboard")  # noqa: SLF001 - running_stack stops the other four
        await mongo.close()
        with contextlib.suppress(Exception):
            await delete_topology(rabbit_url, topology)
        with contextlib.suppress(Exception):
            await _drop(mongo_url, databases)
    figures = {"students": len(programme.students), "lost": sum(verdict.lost.values()),
               "duplicates": sum(verdict.duplicates.values()), "poison_in_dlq": verdict.poison_in_dlq,
               "poison_injected": len(injector.log.poison_ids), "faults": len(injector.log.done),
               "drain_s": drain_s, "dlq_second_copies": verdict.dlq_second_copies}
    return ChaosResult(figures, verdict, injector.log, error, workdir, details)


async def _drop(mongo_url: str, databases: dict[str, str]) -> None:
    client: AsyncMongoClient = AsyncMongoClient(mongo_url)
    try:
        for name in databases.values():
            await client.drop_database(name)
    finally:
        await client.close()
