"""Operators' commands: `jemput schools import FILE`, `jemput plan --start DATE [--dry-run]`,
`jemput visits --date DATE`. They talk to the scheduling service's HTTP API
(``JEMPUT_SCHEDULING_URL``, default http://localhost:8001)."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from shared.auth import cli_headers

DEFAULT_URL = "http://localhost:8001"
schools = typer.Typer(help="Schools visited by the programme.", no_args_is_help=True)
console = Console()


def base_url() -> str:
    return os.environ.get("JEMPUT_SCHEDULING_URL", DEFAULT_URL).rstrip("/")


def _request(method: str, path: str, **kwargs: Any) -> Any:
    try:
        with httpx.Client(base_url=base_url(), timeout=httpx.Timeout(30, read=300), headers=cli_headers()) as client:
            response = client.request(method, path, **kwargs)
    except httpx.HTTPError as exc:
        _fail(f"cannot reach the scheduling service at {base_url()}: {exc.__class__.__name__}")
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail")
        except ValueError:
            detail = response.text[:300]
        _fail(f"HTTP {response.status_code}: {detail}")
    return response.json()


def _fail(message: str) -> None:
    console.print(f"[red]{message}[/red]")
    raise typer.Exit(1)


@schools.command("import")
def import_(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                         help="schools as CSV (comma or semicolon) or XLSX")],
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
) -> None:
    """Register or update the schools of a file; rows with errors are listed (row, field, reason)."""
    with file.open("rb") as handle:
        result = _request("POST", "/schools/import", files={"file": (file.name, handle)})
    if as_json:
        console.print_json(json.dumps(result))
        return
    console.print(f"{result['rows_read']} rows: {result['registered']} registered, {result['updated']} updated, "
                  f"{result['unchanged']} unchanged, {len(result['errors'])} with errors")
    if result["errors"]:
        table = Table("row", "field", "reason", title="Rows to fix")
        for e in result["errors"]:
            table.add_row(str(e["row"]), e["field"], e["reason"])
        console.print(table)
        raise typer.Exit(2)


def plan(
    start: Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"], help="first programme day (YYYY-MM-DD)")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show the plan without committing it")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the plan as JSON")] = False,
) -> None:
    """Plan the visits from START; with --dry-run nothing is written or announced."""
    body = {"start": start.date().isoformat()}
    if dry_run:
        result = _request("POST", "/plans/preview", json=body)
        replaced = None
    else:
        committed = _request("POST", "/plans", json=body)
        result, replaced = committed["plan"], committed["replaced_visits"]
    if as_json:
        console.print_json(json.dumps(result))
        return
    print_plan(result, dry_run=dry_run, replaced=replaced)


def print_plan(plan: dict[str, Any], *, dry_run: bool, replaced: int | None) -> None:
    table = Table("date", "unit", "session", "time", "NPSN", "school", "kecamatan", "students",
                  title=f"Plan {plan['plan_id']}" + (" (dry run, not committed)" if dry_run else ""))
    for v in sorted(plan["visits"], key=lambda v: (v["date"], v["unit_id"], v["start"])):
        table.add_row(v["date"], v["unit_id"], v["session"], f"{v['start'][:5]}-{v['end'][:5]}", v["npsn"],
                      v["school_name"], v["kecamatan"], str(v["expected_students"]))
    console.print(table)
    finish = plan["working_days"][-1] if plan["working_days"] else "-"
    console.print(f"{plan['total_ready']} ready students, {len(plan['visits'])} visits; "
                  f"finish {finish}: {plan['makespan_days']} working days "
                  f"(lower bound {plan['lower_bound_days']})")
    for u in plan.get("unplaced") or []:
        console.print(f"[yellow]not placed: {u['npsn']}: {u['students']} students ({u['reason']})[/yellow]")
    if replaced:
        console.print(f"{replaced} visits of the previous plan were cancelled")


def visits(
    date: Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="visits on this day")] = None,
    unit: Annotated[str | None, typer.Option(help="visits of one mobile unit")] = None,
    npsn: Annotated[str | None, typer.Option(help="visits of one school")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the visits as JSON")] = False,
) -> None:
    """List visits by date, unit or school."""
    params = {k: v for k, v in {"date": date.date().isoformat() if date else None, "unit_id": unit,
                                "npsn": npsn}.items() if v}
    result = _request("GET", "/visits", params=params)
    if as_json:
        console.print_json(json.dumps(result))
        return
    table = Table("date", "unit", "time", "NPSN", "school", "kecamatan", "expected", "status", "recorded",
                  title="Visits" + (f" on {params['date']}" if "date" in params else ""))
    for v in result:
        table.add_row(v["date"], v["unit_id"], f"{v['session_start']}-{v['session_end']}", v["npsn"],
                      v["school_name"], v["kecamatan"], str(v["expected_students"]), v["status"],
                      "" if v.get("recorded") is None else str(v["recorded"]))
    console.print(table)
    if not result:
        console.print("no visits")


def register(cli: typer.Typer) -> None:
    cli.add_typer(schools, name="schools")
    cli.command("plan")(plan)
    cli.command("visits")(visits)
