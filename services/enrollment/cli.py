"""`jemput roster import FILE`: upload a roster to the enrollment service, show progress,
then the verification report per school and the rows to fix."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn
from rich.table import Table

from shared.auth import cli_headers

DEFAULT_URL = "http://localhost:8002"
roster = typer.Typer(help="Rosters from the education office.", no_args_is_help=True)
console = Console()


def base_url() -> str:
    return os.environ.get("JEMPUT_ENROLLMENT_URL", DEFAULT_URL).rstrip("/")


@roster.command("import")
def import_(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                         help="roster as CSV (comma or semicolon) or XLSX")],
    show: Annotated[int, typer.Option(help="invalid rows to list (0: none)")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Import and verify a roster; print the per-school report."""
    report = _upload(file)
    if as_json:
        console.print_json(json.dumps(report))
    else:
        print_report(report, show=show)


def _upload(file: Path) -> dict[str, Any]:
    url = f"{base_url()}/rosters"
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                        TaskProgressColumn(), TextColumn("{task.fields[rows]} rows"),
                        console=console, transient=True)
    try:
        with progress, file.open("rb") as handle:
            task = progress.add_task(f"verifying {file.name}", total=1.0, rows=0)
            with httpx.Client(timeout=httpx.Timeout(30, read=600), headers=cli_headers()) as client, client.stream(
                    "POST", url, params={"stream": "true"},
                    files={"file": (file.name, handle)}) as response:
                if response.status_code != 200:
                    response.read()
                    _fail(f"{file.name}: HTTP {response.status_code}: {response.text[:300]}")
                for line in response.iter_lines():
                    if not line.strip():
                        continue
                    item = json.loads(line)
                    if "error" in item:
                        _fail(item["error"])
                    if "report" in item:
                        progress.update(task, completed=1.0)
                        return item["report"]
                    progress.update(task, completed=item["progress"], rows=item["rows"])
    except httpx.HTTPError as error:
        _fail(f"cannot reach the enrollment service at {base_url()}: {type(error).__name__}")
    _fail("the service ended the answer without a report")
    raise AssertionError  # unreachable


def _fail(message: str) -> None:
    console.print(f"[red]{message}[/red]")
    raise typer.Exit(1)


def print_report(report: dict[str, Any], *, show: int) -> None:
    table = Table(title=f"Verification of {report['source']} ({report['roster_id']})")
    for column in ("NPSN", "total", "already recorded", "ready to record",
                   "not yet eligible", "invalid", "rows with warnings"):
        table.add_column(column, justify="left" if column == "NPSN" else "right")
    schools = report["schools"]
    for npsn, s in sorted(schools.items()):
        table.add_row(npsn, str(s["total"]), str(s["already_recorded"]),
                      str(s["ready_to_record"]), str(s["not_yet_eligible"]), str(s["invalid"]),
                      str(s["warnings"]))
    sums = [sum(s[k] for s in schools.values()) for k in
            ("total", "already_recorded", "ready_to_record", "not_yet_eligible", "invalid",
             "warnings")]
    table.add_row("all", *map(str, sums), style="bold")
    console.print(table)
    if not report.get("sums_to_total", True):
        console.print("[red]categories do not sum to the total[/red]")
    eligible = [(npsn, r) for npsn, s in sorted(schools.items())
                for r in s["not_yet_eligible_rows"]]
    if eligible:
        later = Table(title="Not yet eligible")
        for column in ("NPSN", "row", "NIK", "eligible on"):
            later.add_column(column)
        for npsn, r in eligible[:show]:
            later.add_row(npsn, str(r["row"]), r["nik_masked"], r["eligible_on"])
        console.print(later)
    invalid = [(npsn, issue) for npsn, s in sorted(schools.items())
               for r in s["invalid_rows"] for issue in r["reasons"]]
    if invalid and show:
        fix = Table(title="Rows to fix")
        for column in ("NPSN", "row", "field", "reason"):
            fix.add_column(column)
        for npsn, issue in invalid[:show]:
            fix.add_row(npsn, str(issue["row"]), issue["field"], issue["reason"])
        console.print(fix)
        if len(invalid) > show:
            console.print(f"... and {len(invalid) - show} more (--show N)")


def register(cli: typer.Typer) -> None:
    cli.add_typer(roster, name="roster")
