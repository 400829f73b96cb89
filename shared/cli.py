"""The ``jemput`` command: run services, generate contracts, operate the programme.

Each service may add its own commands: ``services/<name>/cli.py`` with ``register(cli)``.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

SERVICES = ("scheduling", "enrollment", "printing", "notifications", "dashboard")

cli = typer.Typer(help="Jemput: ID-card outreach programmes.", no_args_is_help=True, add_completion=False)
console = Console()


@cli.command()
def serve(name: Annotated[str, typer.Argument(help="scheduling | enrollment | printing | notifications")]) -> None:
    """Run one service (settings from the environment), exactly as `python -m services.<name>`."""
    if name not in SERVICES:
        raise typer.BadParameter(f"unknown service {name!r}; one of {', '.join(SERVICES)}")
    from shared.service import serve as run
    from shared.testing import definition_of

    run(definition_of(name))


def regenerate(doc: Any, command: str, check: bool) -> None:
    """Rewrite a generated document (``doc.write()``), or with ``check`` fail when it drifted."""
    name = doc.DOC_PATH.relative_to(doc.DOC_PATH.parent.parent)
    if not check:
        console.print(f"wrote {doc.write()}")
    elif doc.drift():
        console.print(f"[red]{name} differs from the code: run `jemput {command}`[/red]")
        raise typer.Exit(1)
    else:
        console.print(f"{name} is up to date")


@cli.command()
def asyncapi(check: Annotated[bool, typer.Option("--check", help="fail if docs/asyncapi.yaml is out of date")] = False) -> None:
    """Regenerate docs/asyncapi.yaml from the services' FastStream apps."""
    from shared import asyncapi as doc

    regenerate(doc, "asyncapi", check)


@cli.command("config-reference")
def config_reference(check: Annotated[bool, typer.Option("--check", help="fail if docs/configuration.md is out of date")] = False) -> None:
    """Regenerate docs/configuration.md from the services' settings classes."""
    from shared import config_reference as doc

    regenerate(doc, "config-reference", check)


@cli.command()
def demo(
    schools: Annotated[int, typer.Option("--schools", min=1, max=500,
                                         help="schools in the programme (full Kabupaten Tangerang run: 47)")] = 9,
    students: Annotated[int, typer.Option("--students", min=10, max=100_000,
                                          help="roster students (full run: 7218)")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="the synthetic programme and every chance in it")] = 2026,
    speed: Annotated[float, typer.Option("--speed", min=0,
                                         help="simulated seconds per real second (a visit day is 7 hours); "
                                              "0: as fast as the services go")] = 0.0,
    out: Annotated[Path, typer.Option("--out", help="where the report's CSV, XLSX and PDF go")] = Path("jemput-demo-report"),
    keep_running: Annotated[bool, typer.Option("--keep-running", help="leave the services up afterwards")] = False,
) -> None:
    """Bring up the stack (broker, database, every service, central-registry simulator, local SMTP
    server and SMS gateway) and run the Kabupaten Tangerang programme end to end.
    The full programme: `jemput demo --schools 47 --students 7218`."""
    if students < schools * 5:
        raise typer.BadParameter(f"at least 5 students per school ({schools * 5} for {schools} schools)",
                                 param_hint="--students")
    from shared.demo import DemoOptions, run

    raise typer.Exit(run(DemoOptions(schools=schools, students=students, seed=seed, speed=speed,
                                     keep_running=keep_running, out=out)))


@cli.command()
def chaos(
    schools: Annotated[int, typer.Option("--schools", min=1, max=500)] = 9,
    students: Annotated[int, typer.Option("--students", min=10, max=100_000)] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="the synthetic programme and the fault plan")] = 2026,
    window: Annotated[float, typer.Option("--window", min=1, help="seconds, from the first visit day, "
                                                                  "in which the faults fall")] = 300.0,
    outage: Annotated[float, typer.Option("--outage", min=0, help="seconds each of the SMTP server, SMS gateway "
                                                                  "and central registry is down")] = 30.0,
    poison: Annotated[int, typer.Option("--poison", min=0, help="poison messages into each queue")] = 50,
    broker_restart: Annotated[bool, typer.Option("--broker-restart/--no-broker-restart",
                                                 help="restart RabbitMQ (rabbitmqctl stop_app / start_app)")] = True,
    db_restart_command: Annotated[str, typer.Option("--db-restart-command",
                                                    help="with MONGODB_URL: the command that restarts it")] = "",
) -> None:
    """The fault-injection run (docs/reliability.md): the programme while every service is killed once,
    the broker and the database restart, SMTP, SMS gateway and central registry go down and poison
    messages arrive; then nothing lost, nothing twice. Last line: the figures as JSON."""
    if students < schools * 5:
        raise typer.BadParameter(f"at least 5 students per school ({schools * 5} for {schools} schools)",
                                 param_hint="--students")
    from programme.chaos.run import ChaosOptions, run
    from programme.chaos.show import lines

    result = run(ChaosOptions(schools=schools, students=students, seed=seed, window_s=window, outage_s=outage,
                              poison_per_queue=poison, broker=broker_restart,
                              db_restart_command=db_restart_command))
    for line in lines(result):
        print(line, flush=True)
    raise typer.Exit(0 if result.ok else 1)


def _mount_service_commands() -> None:
    for name in SERVICES:
        try:
            module = importlib.import_module(f"services.{name}.cli")
        except ModuleNotFoundError as error:
            if error.name == f"services.{name}.cli":
                continue
            raise
        module.register(cli)


_mount_service_commands()
importlib.import_module("shared.token_cli").register(cli)
importlib.import_module("shared.broker_cli").register(cli)
importlib.import_module("shared.dlq_cli").register(cli)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
