"""`jemput dashboard ...`: the operations figures in the terminal, through the dashboard's JSON API.

The base URL is JEMPUT_DASHBOARD_URL (default http://localhost:8005, the compose port).
"""

from __future__ import annotations

import json
import os
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from shared.auth import cli_headers

DEFAULT_URL = "http://localhost:8005"

dashboard_app = typer.Typer(help="Operations figures from the dashboard service.", no_args_is_help=True)


def _base_url() -> str:
    return os.environ.get("JEMPUT_DASHBOARD_URL", DEFAULT_URL).rstrip("/")


def _overview() -> dict[str, Any]:
    try:
        response = httpx.get(_base_url() + "/api/overview", timeout=30, headers=cli_headers())
    except httpx.HTTPError as error:
        Console(stderr=True).print(f"[red]cannot reach the dashboard at {_base_url()}: {error}[/red]")
        raise typer.Exit(2) from None
    if response.status_code != 200:
        Console(stderr=True).print(f"[red]{response.status_code}: {response.text[:300]}[/red]")
        raise typer.Exit(1)
    return response.json()


@dashboard_app.callback()
def _group() -> None:
    """Operations figures from the dashboard service."""


@dashboard_app.command("show")
def show(as_json: Annotated[bool, typer.Option("--json", help="print the JSON figures")] = False) -> None:
    """Totals, progress per school, blank stock per unit and dead letters."""
    o = _overview()
    console = Console()
    if as_json:
        console.print_json(json.dumps(o))
        return
    t = o["totals"]
    console.print(f"[bold]{t['schools']} schools[/bold] · target {t['target']} · recorded {t['recorded']} · "
                  f"printed {t['printed']} · handed over {t['handed_over']} · certificates {t['certificates']} · "
                  f"absent {t['absent']}")
    table = Table(title="Progress per school")
    for column in ("NPSN", "school", "target", "recorded", "printed", "handed over", "certificates", "absent"):
        table.add_column(column, justify="right" if column not in ("NPSN", "school") else "left")
    for s in o["schools"]:
        table.add_row(s["npsn"], s["name"], f"{s['target']} ({s['target_source']})", str(s["recorded"]),
                      str(s["printed"]), str(s["handed_over"]), str(s["certificates"]), str(s["absent"]))
    console.print(table)
    units = Table(title="Units and blank stock")
    for column in ("unit", "recorded", "printed", "blanks used", "certificates", "stock"):
        units.add_column(column)
    for u in o["units"]:
        stock = u["stock"]
        level = f"{stock['status']}" + (f" ≈{stock['estimate']}" if stock["estimate"] is not None else "")
        units.add_row(u["unit_id"], str(u["recorded"]), str(u["printed"]), str(u["cards_printed"]),
                      str(u["certificates"]), f"{level} — {stock['note']}")
    console.print(units)
    dead = [q for q in o["queues"] if q["dlq_depth"]]
    unread = [q for q in o["queues"] if q["dlq_depth"] is None]
    if dead:
        console.print("[red]dead letters: " + ", ".join(f"{q['dlq']} {q['dlq_depth']}" for q in dead) + "[/red]")
    if unread:
        console.print("[yellow]not readable: " + ", ".join(f"{q['dlq']} ({q['error']})" for q in unread) + "[/yellow]")
    if not dead and not unread:
        console.print("no dead letters")
    if dead:
        raise typer.Exit(3)


def register(cli: typer.Typer) -> None:
    cli.add_typer(dashboard_app, name="dashboard")
