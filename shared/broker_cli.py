"""`jemput broker definitions | setup | permissions`: one least-privilege broker user per service.

Passwords come from the environment (``RABBITMQ_<SERVICE>_PASSWORD``, optional
``RABBITMQ_OBSERVER_PASSWORD``), never from the command line; see docs/security.md.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from shared.bus.broker_admin import BrokerAdmin, BrokerAdminError
from shared.bus.definitions import SERVICES, BrokerPlan, definitions
from shared.bus.topology import Topology
from shared.settings import ServiceSettings

broker_app = typer.Typer(help="Broker users, permissions and topology (docs/security.md).", no_args_is_help=True)
out = Console()
err = Console(stderr=True)

VhostOpt = Annotated[str, typer.Option("--vhost", help="the virtual host the services use")]
PrefixOpt = Annotated[str, typer.Option("--user-prefix", help="user names: <prefix><service>")]


def password_variable(service: str) -> str:
    return f"RABBITMQ_{service.upper()}_PASSWORD"


def plan_from_env(vhost: str, user_prefix: str, *, with_admin: bool = False) -> BrokerPlan:
    """The plan from the environment; a missing or weak password stops with the variable's name."""
    problems = []
    for service in SERVICES:
        value = os.environ.get(password_variable(service), "")
        if len(value) < 12:
            problems.append(f"{password_variable(service)}: {'not set' if not value else 'shorter than 12 characters'}")
    admin = None
    if with_admin:
        user, password = os.environ.get("RABBITMQ_USER", ""), os.environ.get("RABBITMQ_PASSWORD", "")
        if not user or len(password) < 12:
            problems.append("RABBITMQ_USER / RABBITMQ_PASSWORD: the administrator needs a name and "
                            "a password of at least 12 characters")
        admin = (user, password)
    if problems:
        err.print("[red]" + "\n".join(problems) + "[/red]")
        raise typer.Exit(2)
    return BrokerPlan(
        topology_from_env(),
        {s: os.environ[password_variable(s)] for s in SERVICES},
        vhost=vhost, user_prefix=user_prefix,
        observer_password=os.environ.get("RABBITMQ_OBSERVER_PASSWORD") or None, admin=admin,
    )


def topology_from_env() -> Topology:
    """The topology the services will declare: the same namespace and queue arguments (delivery
    limit) from the same variables, or a service's own declaration would not match the setup's."""
    settings = ServiceSettings()
    return Topology(settings.namespace, settings.delivery_limit, "own")


@broker_app.command("definitions")
def write_definitions(
    output: Annotated[Path | None, typer.Option("--out", help="file to write (default: standard output)")] = None,
    vhost: VhostOpt = "/",
    user_prefix: PrefixOpt = "jemput-",
    with_admin: Annotated[bool, typer.Option("--with-admin", help="also RABBITMQ_USER as administrator "
                                             "(a broker that loads this file at boot has no other user)")] = False,
) -> None:
    """Write the definitions file RabbitMQ loads at boot (`load_definitions`): users with hashed
    passwords, permissions, topic permissions, exchanges, queues and bindings."""
    document = json.dumps(definitions(plan_from_env(vhost, user_prefix, with_admin=with_admin)), indent=2)
    if output is None:
        typer.echo(document)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(document + "\n")
    output.chmod(0o644)
    err.print(f"wrote {output}")


@broker_app.command("setup")
def setup(
    management_url: Annotated[str, typer.Option("--url", envvar="RABBITMQ_MANAGEMENT_URL",
                                                help="the management API, e.g. https://broker:15672")],
    vhost: VhostOpt = "/",
    user_prefix: PrefixOpt = "jemput-",
) -> None:
    """Create (or update) the services' users, their permissions and the topology on an existing
    broker through its management API, as RABBITMQ_ADMIN_USER / RABBITMQ_ADMIN_PASSWORD."""
    admin_user, admin_password = os.environ.get("RABBITMQ_ADMIN_USER"), os.environ.get("RABBITMQ_ADMIN_PASSWORD")
    if not admin_user or not admin_password:
        err.print("[red]RABBITMQ_ADMIN_USER and RABBITMQ_ADMIN_PASSWORD: not set (an administrator of the broker)[/red]")
        raise typer.Exit(2)
    plan = plan_from_env(vhost, user_prefix)

    async def apply() -> None:
        async with BrokerAdmin(management_url, admin_user, admin_password) as admin:
            await admin.apply(definitions(plan))

    try:
        asyncio.run(apply())
    except BrokerAdminError as error:
        err.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    out.print(f"vhost {vhost!r}: users {', '.join(plan.user(s) for s in SERVICES)}"
              + (f", {plan.observer_user}" if plan.observer_password else ""))
    out.print(f"each service: RABBITMQ_URL=amqp://{user_prefix}<service>:<password>@<host>:5672/"
              f"{'' if vhost == '/' else vhost} and JEMPUT_BUS_DECLARE=own")


@broker_app.command("permissions")
def permissions(user_prefix: PrefixOpt = "jemput-") -> None:
    """Show every service user's permissions (generated from the catalogue and SUBSCRIPTIONS)."""
    plan = BrokerPlan(topology_from_env(), {s: "x" * 12 for s in SERVICES},
                      user_prefix=user_prefix, observer_password="x" * 12)
    for grant in plan.grants():
        typer.echo(f"{grant.user}\n  configure  {grant.configure}\n  write      {grant.write}\n  read       {grant.read}")
        for topic in grant.topics:
            typer.echo(f"  topic {topic.exchange}: write {topic.write}  read {topic.read}")

def register(cli: typer.Typer) -> None:
    cli.add_typer(broker_app, name="broker")
