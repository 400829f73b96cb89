"""`jemput token keygen` and `jemput token issue`: signing keys and operators' tokens.

`issue` signs with the keys in ``JEMPUT_AUTH_KEYS`` (``JEMPUT_AUTH_KEY_ID`` picks the signing
key) and prints the token only after the scheduling service has recorded the issuance in its
audit log (``JEMPUT_SCHEDULING_URL``): no token leaves without an audit record.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Annotated

import httpx
import typer
from rich.console import Console

from shared.auth import AuthConfig, AuthConfigError, Role, bearer_headers, issue_token, new_key
from shared.settings import ServiceSettings

token_app = typer.Typer(help="Bearer tokens for the services' APIs (docs/security.md).", no_args_is_help=True)
err = Console(stderr=True)


@token_app.command("keygen")
def keygen(key_id: Annotated[str, typer.Option("--key-id", help="the new key's id (kid)")] = "k1") -> None:
    """Print a new random signing key as JEMPUT_AUTH_KEYS wants it (key_id:base64)."""
    typer.echo(f"{key_id}:{new_key()}")


@token_app.command("issue")
def issue(
    role: Annotated[Role, typer.Option("--role", help="operator | supervisor | admin | auditor | school")],
    subject: Annotated[str, typer.Option("--subject", help="the account name (not a NIK, not a phone number)")],
    npsn: Annotated[str | None, typer.Option("--npsn", help="a school account's own school (8 digits)")] = None,
    ttl: Annotated[int | None, typer.Option("--ttl", help="lifetime in hours (default JEMPUT_AUTH_TOKEN_TTL_S)",
                                            min=1, max=90 * 24)] = None,
    issued_by: Annotated[str | None, typer.Option("--issued-by", help="who issues it, for the audit log "
                                                                       "(default: $USER)")] = None,
) -> None:
    """Issue a token; the issuance is audited by the scheduling service before the token is printed."""
    issued_by = issued_by or os.environ.get("USER") or "admin"
    try:
        config = AuthConfig.from_settings(ServiceSettings())
        token, granted = issue_token(config, subject, role, npsn=npsn,
                                     ttl=dt.timedelta(hours=ttl) if ttl else None)
    except (AuthConfigError, ValueError) as error:
        err.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    url = os.environ.get("JEMPUT_SCHEDULING_URL", "http://localhost:8001").rstrip("/")
    recorder = bearer_headers(config, Role.ADMIN, subject=f"token-cli:{issued_by}"[:64],
                              ttl=dt.timedelta(minutes=2))
    try:
        response = httpx.post(f"{url}/audit/token-issuances", headers=recorder, timeout=15,
                              json={"token": token, "issued_by": issued_by})
    except httpx.HTTPError as error:
        err.print(f"[red]cannot record the issuance at {url} ({type(error).__name__}); no token issued[/red]")
        raise typer.Exit(2) from None
    if response.status_code != 201:
        err.print(f"[red]the issuance was not recorded ({response.status_code}: {response.text[:200]}); "
                  "no token issued[/red]")
        raise typer.Exit(1)
    err.print(f"{granted.role.value} token for {granted.subject}"
              + (f" (school {granted.npsn})" if granted.npsn else "")
              + f", expires {granted.expires_at.isoformat()}, audit record {response.json()['seq']}")
    typer.echo(token)


def register(cli: typer.Typer) -> None:
    cli.add_typer(token_app, name="token")
