"""`jemput print ...` and `jemput stock ...`: operators' commands, through the printing API.

The base URL is JEMPUT_PRINTING_URL (default http://localhost:8003, the compose port).
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from shared.auth import cli_headers

DEFAULT_URL = "http://localhost:8003"


class _Console:
    """A rich console made when used, so that the terminal width (COLUMNS) is read then."""

    def print(self, *args: Any, **kwargs: Any) -> None:
        Console().print(*args, **kwargs)


console = _Console()

print_app = typer.Typer(help="Print queues and jobs of the printing service.", no_args_is_help=True)
stock_app = typer.Typer(help="Blank card stock (blangko) per mobile unit.", no_args_is_help=True)


def _base_url() -> str:
    return os.environ.get("JEMPUT_PRINTING_URL", DEFAULT_URL).rstrip("/")


def _call(method: str, path: str, **kwargs: Any) -> Any:
    try:
        response = httpx.request(method, _base_url() + path, timeout=15, headers=cli_headers(), **kwargs)
    except httpx.HTTPError as error:
        console.print(f"[red]cannot reach the printing service at {_base_url()}: {error}[/red]")
        raise typer.Exit(2) from None
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        console.print(f"[red]{response.status_code}: {detail}[/red]")
        raise typer.Exit(1)
    return response.json()


@print_app.command("queue")
def queue(
    unit: Annotated[str, typer.Option("--unit", "-u", help="mobile unit id")],
    visit: Annotated[str | None, typer.Option("--visit", "-v", help="only this visit")] = None,
    all_: Annotated[bool, typer.Option("--all", help="include cards already handed over")] = False,
) -> None:
    """Show a unit's print queue in FIFO order."""
    params = {"unit_id": unit, "include_done": str(all_).lower()}
    if visit:
        params["visit_id"] = visit
    jobs = _call("GET", "/queue", params=params)
    table = Table(title=f"Print queue of {unit}" + (f", visit {visit}" if visit else ""))
    for column in ("#", "job", "student", "NIK", "status", "serial", "certificate", "note"):
        table.add_column(column)
    for position, job in enumerate(jobs, 1):
        note = ("waiting for blanks" if job["waiting_for_stock"] else
                "needs an operator" if job["needs_attention"] else
                f"retry at {job['retry_at']}" if job["retry_at"] else
                "handed over" if job["handed_over_at"] else "")
        table.add_row(str(position), job["job_id"][:8], job["student_id"], job["masked_nik"], job["status"],
                      job["card_serial"] or "", job["certificate_number"] or "", note)
    console.print(table)
    console.print(f"{len(jobs)} job(s)")


@stock_app.command("receive")
def receive(
    unit: Annotated[str, typer.Argument(help="mobile unit id")],
    batch: Annotated[str, typer.Argument(help="batch number on the delivery")],
    quantity: Annotated[int, typer.Argument(help="blanks received", min=1)],
    by: Annotated[str, typer.Option("--by", help="operator id")] = os.environ.get("USER", "operator"),
) -> None:
    """Book a delivery of blanks; jobs waiting for stock then print in order."""
    rec = _call("POST", f"/stock/{unit}/receipts", json={"batch_no": batch, "quantity": quantity, "by": by})
    console.print(f"received {quantity} blanks (batch {batch}) at {unit}: "
                  f"{rec['remaining']} remaining, reconciliation {'balanced' if rec['balanced'] else 'NOT BALANCED'}")


@stock_app.command("report")
def report(
    unit: Annotated[str | None, typer.Argument(help="mobile unit id (default: every unit)")] = None,
    day: Annotated[str | None, typer.Option("--day", help="YYYY-MM-DD, default today (office time)")] = None,
) -> None:
    """Daily stock report: opening, received, issued, spoiled, closing."""
    params = {}
    if day:
        try:
            params["day"] = dt.date.fromisoformat(day).isoformat()
        except ValueError:
            raise typer.BadParameter(f"--day {day!r} is not a date (YYYY-MM-DD)") from None
    reports = [_call("GET", f"/stock/{unit}/report", params=params)] if unit else _call(
        "GET", "/stock-report", params=params)
    table = Table(title="Blank stock report" + (f" {reports[0]['day']}" if reports else ""))
    for column in ("unit", "opening", "received", "issued", "spoiled", "closing", "batches", "balanced"):
        table.add_column(column)
    for r in reports:
        table.add_row(r["unit_id"], str(r["opening"]), str(r["received"]), str(r["issued"]), str(r["spoiled"]),
                      str(r["closing"]), ", ".join(r["batches_received"]), "yes" if r["balanced"] else "NO")
    console.print(table)


def register(cli: typer.Typer) -> None:
    cli.add_typer(print_app, name="print")
    cli.add_typer(stock_app, name="stock")
