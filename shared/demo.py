"""``jemput demo``: bring the whole stack up on this machine and run a programme through it.

Uses the real infrastructure it finds (``RABBITMQ_URL`` / localhost:5672, ``MONGODB_URL`` or the
mongoeco stand-in), starts every service as its own process exactly as compose does, and drives
the programme through the services' HTTP APIs while watching the public events as an outside
subscriber would. Demo data lives in its own namespace (``jemput-demo``) and databases.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
from pathlib import Path

import httpx
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from shared import infra
from shared.bus.topology import Topology
from shared.testing import EventTap, delete_topology, service_processes

SERVICES = ("scheduling", "enrollment", "printing", "notifications")
NAMESPACE = "jemput-demo"
SCHOOLS = [  # synthetic schools of Kabupaten Tangerang's kind
    ("20600001", "SMAN 1 Contoh", "Balaraja", 150),
    ("20600002", "SMKN 2 Contoh", "Cikupa", 120),
    ("20600003", "MAN 3 Contoh", "Tigaraksa", 90),
    ("20600004", "SMAN 4 Contoh", "Pasar Kemis", 140),
    ("20600005", "SKhN 5 Contoh", "Curug", 30),
]

console = Console()


def run(*, keep_running: bool = False) -> int:
    try:
        return asyncio.run(_run(keep_running))
    except KeyboardInterrupt:
        return 130


async def _run(keep_running: bool) -> int:
    with infra.rabbitmq() as rabbit_url, infra.mongodb() as (mongo_url, mongo_kind):
        console.print(f"[bold]Jemput demo[/bold] — broker {rabbit_url.split('@')[-1]}, database {mongo_kind}")
        topology = Topology(NAMESPACE)
        envs = {name: {"RABBITMQ_URL": rabbit_url, "MONGODB_URL": mongo_url, "JEMPUT_SERVICE": name,
                       "JEMPUT_NAMESPACE": NAMESPACE, "JEMPUT_DATABASE": f"jemput_demo_{name}",
                       "JEMPUT_RELAY_SWEEP_S": "1"} for name in SERVICES}
        log_dir = Path(tempfile.mkdtemp(prefix="jemput-demo-"))
        try:
            async with (
                service_processes(envs, log_dir=log_dir) as procs,
                EventTap(rabbit_url, topology.exchange_name("events")) as tap,
                httpx.AsyncClient(timeout=10) as http,
            ):
                console.print(f"services up ({', '.join(f'{n} {p.url}' for n, p in procs.items())}); logs in {log_dir}")
                results = await _programme(http, procs, tap)
                _report(results, tap)
                if keep_running:
                    console.print("services keep running; Ctrl-C stops them")
                    await asyncio.Event().wait()
        finally:
            await delete_topology(rabbit_url, topology)
    return 0 if all(r["enrollment"] and r["notifications"] for r in results) else 1


async def _programme(http: httpx.AsyncClient, procs, tap: EventTap) -> list[dict]:
    start = dt.date(2026, 5, 6)
    results = []
    with Progress(console=console) as progress:
        task = progress.add_task("visits scheduled and seen by every service", total=len(SCHOOLS))
        for day, (npsn, name, kecamatan, students) in enumerate(SCHOOLS):
            response = await http.post(f"{procs['scheduling'].url}/visits", json={
                "npsn": npsn, "school_name": name, "kecamatan": kecamatan, "unit_id": f"unit-{day % 3 + 1}",
                "date": (start + dt.timedelta(days=day)).isoformat(), "expected_students": students})
            response.raise_for_status()
            visit = response.json()
            seen = {}
            for service in ("enrollment", "notifications"):
                seen[service] = await _wait_seen(http, procs[service].url, visit["visit_id"])
            results.append({**visit, **seen})
            progress.advance(task)
    return results


async def _wait_seen(http: httpx.AsyncClient, url: str, visit_id: str, timeout: float = 20) -> bool:
    try:
        async with asyncio.timeout(timeout):
            while (await http.get(f"{url}/visits/{visit_id}")).status_code != 200:
                await asyncio.sleep(0.1)
        return True
    except TimeoutError:
        return False


def _report(results: list[dict], tap: EventTap) -> None:
    table = Table(title="Visits: scheduled over HTTP, delivered through outbox and broker")
    for column in ("visit", "school", "date", "unit", "expected", "enrollment has it", "notifications has it"):
        table.add_column(column)
    for r in results:
        table.add_row(r["visit_id"], r["school_name"], r["date"], r["unit_id"], str(r["expected_students"]),
                      "yes" if r["enrollment"] else "[red]no[/red]", "yes" if r["notifications"] else "[red]no[/red]")
    console.print(table)
    console.print(f"public events seen by an outside subscriber: {len(tap.of_type('visit.scheduled'))} visit.scheduled")
