"""``jemput demo``: the Kabupaten Tangerang programme end to end on this machine.

Finds the broker and database (``RABBITMQ_URL`` / localhost:5672; ``MONGODB_URL`` or the
mongoeco stand-in), starts every service as its own process (the dashboard too), the
central-registry simulator and the local SMTP server and SMS gateway, runs the programme
(``programme.runner``) with a progress bar, prints the programme report, checks it against the
operations dashboard (which knows only the public events) and writes it as CSV, XLSX and PDF.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from pymongo import AsyncMongoClient
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from programme import runner as run_mod
from programme.crosscheck import dashboard_disagreements
from programme.exports import export_all
from programme.report import ProgrammeReport, totals_table
from programme.stack import Stack, running_stack
from programme.synthetic import generate
from shared import infra
from shared.auth import Role
from shared.bus.topology import Topology
from shared.testing import EventTap, delete_topology, queue_depth

NAMESPACE = "jemput-demo"
DEFAULT_SCHOOLS, DEFAULT_STUDENTS = 9, 1000  # a few minutes on a 2-core machine with the stand-in
FULL_SCHOOLS, FULL_STUDENTS = 47, 7218

console = Console()


@dataclass
class DemoOptions:
    schools: int = DEFAULT_SCHOOLS
    students: int = DEFAULT_STUDENTS
    seed: int = 2026
    speed: float = 0.0
    keep_running: bool = False
    out: Path = Path("jemput-demo-report")


class RichProgress(run_mod.Progress):
    def __init__(self, progress: Progress) -> None:
        self.bar = progress
        self.task = progress.add_task("starting", total=None)

    def stage(self, text: str) -> None:
        self.bar.update(self.task, visible=False)
        self.task = self.bar.add_task(text, total=None)

    def total(self, students: int) -> None:
        self.bar.update(self.task, completed=0, total=students)

    def advance(self, students: int = 1) -> None:
        self.bar.advance(self.task, students)

    def day(self, text: str) -> None:
        self.bar.console.print(f"  {text}")


def run(options: DemoOptions) -> int:
    try:
        return asyncio.run(_run(options))
    except KeyboardInterrupt:
        return 130


async def _drop_demo_databases(mongo_url: str) -> None:
    client: AsyncMongoClient = AsyncMongoClient(mongo_url)
    try:
        for name in await client.list_database_names():
            if name.startswith("jemput_demo_"):
                await client.drop_database(name)
    finally:
        await client.close()


async def _run(options: DemoOptions) -> int:
    programme = generate(schools=options.schools, students=options.students, seed=options.seed)
    with infra.rabbitmq() as rabbit_url, infra.mongodb() as (mongo_url, mongo_kind):
        console.print(f"[bold]Jemput demo[/bold]: Kabupaten Tangerang, {len(programme.schools)} schools, "
                      f"{len(programme.students):,} students (seed {options.seed}); broker "
                      f"{rabbit_url.split('@')[-1]}, database {mongo_kind}")
        topology = Topology(NAMESPACE)
        await delete_topology(rabbit_url, topology)  # a previous run's leftovers
        await _drop_demo_databases(mongo_url)
        workdir = Path(tempfile.mkdtemp(prefix="jemput-demo-"))

        def base_env(name: str) -> dict[str, str]:
            return {"RABBITMQ_URL": rabbit_url, "MONGODB_URL": mongo_url, "JEMPUT_SERVICE": name,
                    "JEMPUT_NAMESPACE": NAMESPACE, "JEMPUT_DATABASE": f"jemput_demo_{name}"}

        eve = programme.start - dt.timedelta(days=1)
        # notifications on the demo's clock too: schools get their notices and reminders, students
        # and guardians their reminders, as the days pass (docs/demo.md)
        stack = Stack(base_env=base_env, workdir=workdir,
                      today={"scheduling": eve, "enrollment": eve, "notifications": eve}, catch_up_threshold=3)
        started = time.monotonic()
        try:
            async with running_stack(stack):
                console.print(f"services up in {time.monotonic() - started:.0f} s "
                              f"({', '.join(f'{n} {p.url}' for n, p in stack.procs.items())}); "
                              f"central registry simulator {stack.registry_url}; logs in {workdir / 'logs'}")
                async with EventTap(rabbit_url, topology.exchange_name("events")) as tap:
                    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                  TimeElapsedColumn(), console=console) as bar:
                        runner = run_mod.Runner(stack, programme, tap, seed=options.seed,
                                                options=run_mod.Options(speed=options.speed),
                                                progress=RichProgress(bar))
                        try:
                            outcome = await runner.run()
                        except run_mod.ProgrammeError as error:
                            console.print(f"[red]the programme stopped:[/red] {error}\n"
                                          f"service logs: {workdir / 'logs'}")
                            return 1
                    dlqs = {name: await queue_depth(rabbit_url, topology.dlq_name(name))
                            for name in topology.all_queues()}
                    show(outcome, dlqs)
                    async with stack.client("dashboard", Role.OPERATOR, timeout=10) as dashboard:
                        seen = await dashboard_disagreements(dashboard, outcome.report)
                    console.print("the operations dashboard (public events only) "
                                  + ("shows the same totals" if not seen else "DISAGREES: " + "; ".join(seen)))
                    files = export_all(outcome.report, options.out, title="Disdukcapil Goes to School: programme report",
                                       subtitle=f"Kabupaten Tangerang (synthetic data), {len(programme.schools)} schools, "
                                                f"{len(programme.students):,} roster students, from "
                                                f"{programme.start:%d %B %Y}")
                    console.print("report written: " + ", ".join(str(p) for p in files.values()))
                    if options.keep_running:
                        console.print("services keep running; Ctrl-C stops them. Operations page: "
                                      f"{stack.url('dashboard')}/login?token="
                                      f"{stack.headers(Role.OPERATOR)['Authorization'].removeprefix('Bearer ')}")
                        await asyncio.Event().wait()
        finally:
            with contextlib.suppress(Exception):
                await delete_topology(rabbit_url, topology)
    ok = outcome.report.ok and not any(dlqs.values()) and outcome.notifications["sent_twice"] == 0 and not seen
    return 0 if ok else 1


def short_name(name: str) -> str:
    return name.replace(" Kabupaten Tangerang (contoh)", "")


def show(outcome: run_mod.Outcome, dlqs: dict[str, int]) -> None:
    report: ProgrammeReport = outcome.report
    days = Table(title="Visit days")
    for column in ("day", "visits", "catch-up", "present", "absent", "rec.", "retaken", "except.", "s"):
        days.add_column(column, justify="right")
    for d in outcome.days:
        days.add_row(f"{dt.date.fromisoformat(d['date']):%a %d %b}", *(str(d[k]) for k in ("visits", "catch_up_visits", "present", "absent", "recorded",
                                                        "retaken", "exceptions", "seconds")))
    console.print(days)
    table = Table(title="Programme report, per school (all columns in the CSV/XLSX)")
    shown = [("name", "school"), ("target", "target"), ("recorded", "rec."), ("printed", "printed"),
             ("handed_over", "handed"), ("certificates", "certif."), ("absent", "absent"), ("catch_up", "catch-up")]
    for attr, heading in shown:
        table.add_column(heading, justify="left" if attr == "name" else "right")
    for row in report.schools + [report.totals]:
        table.add_row(*(short_name(row.name) if attr == "name" else str(getattr(row, attr)) for attr, _ in shown),
                      style="bold" if row is report.totals else None)
    console.print(table)
    totals = Table(title="Totals: each indented group sums exactly to the line above it")
    totals.add_column("category")
    totals.add_column("students", justify="right")
    for label, value in totals_table(report):
        totals.add_row(label, f"{value:,}")
    console.print(totals)
    for statement, holds in report.checks:
        console.print(("[green]checked[/green] " if holds else "[red]DOES NOT HOLD[/red] ") + statement)
    console.print("[bold]Where sources disagree[/bold]")
    for line in report.notes + (report.disagreements or ["no other source disagrees with these figures"]):
        console.print(f"  {line}")
    n = outcome.notifications
    console.print(f"notifications received by the local SMTP server and SMS gateway: {n['emails']} emails, "
                  f"{n['sms_whatsapp']} SMS/WhatsApp; sent twice: {n['sent_twice']}"
                  + (f"; {n['still_scheduled']} still scheduled for later" if n.get("still_scheduled") else ""))
    reg = outcome.registry
    console.print(f"central registry simulator: {reg.get('answers')} records answered {reg.get('outcomes')}")
    stock = ", ".join(f"{s['unit_id']} received {s['received']} issued {s['issued']} remaining {s['remaining']}"
                      for s in outcome.stock)
    console.print(f"blank stock: {stock}")
    console.print("dead-letter queues: " + ("all empty" if not any(dlqs.values()) else
                                             ", ".join(f"{k}: {v}" for k, v in dlqs.items() if v)))
    console.print(f"programme run in {outcome.seconds:.0f} s ({', '.join(f'{k} {v} s' for k, v in outcome.timings.items())})")
