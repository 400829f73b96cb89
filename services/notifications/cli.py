"""`jemput notify ...`: operators' commands, through the notifications API.

The base URL is JEMPUT_NOTIFICATIONS_URL (default http://localhost:8004, the compose port).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from shared.auth import cli_headers

DEFAULT_URL = "http://localhost:8004"

notify_app = typer.Typer(help="Deliveries of the notifications service: find, resend, preview.",
                         no_args_is_help=True)


def _base_url() -> str:
    return os.environ.get("JEMPUT_NOTIFICATIONS_URL", DEFAULT_URL).rstrip("/")


def _call(method: str, path: str, **kwargs: Any) -> Any:
    try:
        headers = {**kwargs.pop("headers", {}), **cli_headers()}
        response = httpx.request(method, _base_url() + path, timeout=15, headers=headers, **kwargs)
    except httpx.HTTPError as error:
        Console(stderr=True).print(f"[red]cannot reach the notifications service at {_base_url()}: {error}[/red]")
        raise typer.Exit(2) from None
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        Console(stderr=True).print(f"[red]{response.status_code}: {detail}[/red]")
        raise typer.Exit(1)
    return response.json()


def _table(rows: list[dict[str, Any]]) -> Table:
    table = Table("delivery", "kind", "recipient", "channel", "status", "attempts", "when", "error")
    for d in rows:
        when = d.get("sent_at") or d.get("next_attempt_at") or ""
        table.add_row(d["delivery_id"][:8], d["kind"], d["recipient_id"], d["channel"], d["status"],
                      str(d["attempts"]), str(when)[:19], d.get("last_error") or "")
    return table


@notify_app.command("deliveries")
def deliveries(
    recipient: Annotated[str | None, typer.Option(help="recipient id, e.g. student:S-1 or school:20612345")] = None,
    cause: Annotated[str | None, typer.Option(help="the id of the event that caused the messages")] = None,
    student: Annotated[str | None, typer.Option(help="a student id: the student's and guardians' messages")] = None,
    status: Annotated[str | None, typer.Option(help="scheduled | sending | sent | failed | suppressed | cancelled")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
) -> None:
    """Deliveries by recipient, by student (guardians included) or by cause."""
    if recipient is None and cause is None and student is None:
        raise typer.BadParameter("give --recipient, --student or --cause")
    params = {k: v for k, v in {"recipient_id": recipient, "student_id": student, "cause_event_id": cause,
                                "status": status}.items() if v}
    rows = _call("GET", "/deliveries", params=params)
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
    else:
        Console().print(_table(rows))


@notify_app.command("resend")
def resend(
    delivery_id: Annotated[str, typer.Argument(help="the delivery to send again")],
    key: Annotated[str | None, typer.Option(help="idempotency key: the same key resends once")] = None,
) -> None:
    """Send a message again, as a new delivery linked to the first."""
    headers = {"Idempotency-Key": key} if key else {}
    row = _call("POST", f"/deliveries/{delivery_id}/resend", headers=headers)
    typer.echo(f"resend scheduled: {row['delivery_id']} ({row['channel']} to {row['recipient_id']})")


@notify_app.command("preview")
def preview(
    kind: Annotated[str, typer.Argument(help="e.g. visit_student_reminder, card_printed, stock_low")],
    view: Annotated[Path, typer.Option(help="JSON file with the view the template needs", exists=True)],
    channel: Annotated[str, typer.Option(help="email | sms | whatsapp")] = "sms",
    language: Annotated[str, typer.Option(help="id | en")] = "id",
    recipient_kind: Annotated[str, typer.Option(help="school | student | guardian | operations")] = "student",
) -> None:
    """Render a template as its recipient would get it (an SMS with its segment count)."""
    body = {"kind": kind, "channel": channel, "language": language, "recipient_kind": recipient_kind,
            "view": json.loads(view.read_text())}
    out = _call("POST", "/templates/preview", json=body)
    if out.get("subject"):
        typer.echo(f"Subject: {out['subject']}\n")
    typer.echo(out["body"])
    if out.get("segments"):
        s = out["segments"]
        typer.echo(f"\n[{s['segments']} SMS segment(s), {s['encoding']}, {s['units']} units]")


@notify_app.command("templates")
def templates() -> None:
    """Which message kinds exist, by which channels and in which languages."""
    table = Table("kind", "channels", "languages")
    for t in _call("GET", "/templates"):
        table.add_row(t["kind"], ", ".join(t["channels"]), ", ".join(t["languages"]))
    Console().print(table)


def register(cli: typer.Typer) -> None:
    cli.add_typer(notify_app, name="notify")
