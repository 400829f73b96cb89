"""`jemput dlq list | show | replay | purge`: a service's dead-letter queues, for operators.

The broker and namespace come from the variables the services read (``RABBITMQ_URL``,
``JEMPUT_NAMESPACE``), or ``--url`` / ``--namespace``. How the queues are read without losing or
reordering anything, and what replay guarantees: ``shared/bus/dlq.py`` and
docs/operations.md#dead-letter-queues.

Exit status: 0 done; 1 the broker could not be reached or refused, a queue is missing, or a purge
was not confirmed; 2 a wrong argument (unknown service or message id, neither ids nor --all).
Bodies are printed only by ``show``, to standard output, never logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer
from aio_pika.exceptions import AMQPError
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from shared.bus.dlq import BrokerUnreachable, DeadLetter, DlqError, Held, Session, UnknownMessage, UnknownService, \
    dlqs_of, redact_url, select, services
from shared.bus.topology import Topology
from shared.settings import ServiceSettings

dlq_app = typer.Typer(help="Dead-letter queues per service: list, show, replay, purge "
                           "(docs/operations.md#dead-letter-queues).", no_args_is_help=True)
out = Console(highlight=False)
err = Console(stderr=True)
T = TypeVar("T")

UrlOpt = Annotated[str | None, typer.Option("--url", help="the broker (default: RABBITMQ_URL); prefer the "
                                                          "variable, a command line is visible to others")]
NamespaceOpt = Annotated[str | None, typer.Option("--namespace", help="prefix of the queues (default: JEMPUT_NAMESPACE, "
                                                                      "else jemput)")]
TimeoutOpt = Annotated[float, typer.Option("--timeout", min=0.5, help="seconds to wait for the broker")]
ServiceArg = Annotated[str, typer.Argument(help=" | ".join(services()), show_default=False)]
IdsArg = Annotated[list[str] | None, typer.Argument(help="message ids (as `jemput dlq list` shows them)",
                                                    show_default=False)]
AllOpt = Annotated[bool, typer.Option("--all", help="every message of the service's DLQs")]


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]{escape(message)}[/red]", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def connection(url: str | None, namespace: str | None) -> tuple[str, Topology]:
    try:
        settings = ServiceSettings(**({"JEMPUT_NAMESPACE": namespace} if namespace else {}))
    except ValidationError as error:
        problem = error.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(p) for p in problem["loc"])
        raise fail(f"{where}: {problem['msg']}", 2) from None
    return url or settings.rabbitmq_url, Topology(settings.namespace, settings.delivery_limit)


def check_service(topology: Topology, service: str) -> None:
    try:
        dlqs_of(topology, service)
    except UnknownService as error:
        raise fail(str(error), 2) from None


def run(work: Callable[[], Awaitable[T]]) -> T:
    """Run one command's broker work; its failures become one line and an exit status."""
    loggers = [logging.getLogger(name) for name in ("aiormq", "aio_pika")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:  # their own log lines would repeat the one line below
        logger.setLevel(logging.CRITICAL)
    try:
        return asyncio.run(work())
    except (UnknownService, UnknownMessage) as error:
        raise fail(str(error), 2) from None
    except (BrokerUnreachable, DlqError) as error:
        raise fail(str(error)) from None
    except (AMQPError, OSError, TimeoutError) as error:
        raise fail(f"broker error: {type(error).__name__}{': ' + str(error) if str(error) else ''}") from None
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def warn(session: Session) -> None:
    if session.warning:
        err.print(f"[yellow]{escape(session.warning)}[/yellow]", highlight=False, soft_wrap=True)


def ids_or_all(ids: list[str] | None, every: bool, verb: str) -> list[str]:
    ids = list(dict.fromkeys(ids or []))
    if bool(ids) == every:
        raise fail(f"name the message ids to {verb}, or --all (not both)", 2)
    return ids


def copies_note(letters: list[DeadLetter]) -> str:
    extra = sum(letter.copies for letter in letters) - len(letters)
    return f" ({extra} more {'copy' if extra == 1 else 'copies'} of the same messages)" if extra else ""


@dlq_app.command("list")
def list_(
    service: Annotated[str | None, typer.Argument(help="one service (default: every service)",
                                                  show_default=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON for machines")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="messages shown per DLQ (all are read)")] = 1000,
    url: UrlOpt = None, namespace: NamespaceOpt = None, timeout: TimeoutOpt = 10.0,
) -> None:
    """Each DLQ's depth and its messages (id, event type, reason, original queue, when).

    Nothing is removed: the messages are read and given back in their order."""
    broker_url, topology = connection(url, namespace)
    names = [service] if service else list(services())
    for name in names:
        check_service(topology, name)

    async def read() -> dict[str, list[Held]]:
        async with Session(broker_url, topology, timeout) as session:
            warn(session)
            return {name: await session.take(name) for name in names}

    found = run(read)
    if as_json:
        typer.echo(json.dumps({"namespace": topology.namespace, "dlqs": [
            {"service": name, "dlq": h.dlq, "queue": h.queue, "depth": h.depth,
             "messages": [letter.summary() for letter in h.letters[:limit]]}
            for name, held in found.items() for h in held]}, indent=2))
        return
    for name, held in found.items():
        for h in held:
            title = f"{name}: {h.dlq} — {h.depth} message{'' if h.depth == 1 else 's'}"
            if len(h.letters) > limit:
                title += f" (the first {limit} of {len(h.letters)} distinct shown: --limit)"
            if not h.letters:
                out.print(Text(title + ", empty"))
                continue
            table = Table(title=Text(title), title_justify="left", show_lines=False)
            for column in ("message id", "type", "reason", "from queue", "dead-lettered at", "copies"):
                table.add_column(column, overflow="fold")
            for letter in h.letters[:limit]:
                table.add_row(*(Text(str(v or "")) for v in (
                    letter.message_id, letter.event_type, letter.reason, letter.queue, letter.dead_lettered_at,
                    letter.copies)))
            out.print(table)


@dlq_app.command("show")
def show(
    service: ServiceArg,
    message_id: Annotated[str, typer.Argument(help="the message id (as `jemput dlq list` shows it)",
                                              show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON for machines")] = False,
    url: UrlOpt = None, namespace: NamespaceOpt = None, timeout: TimeoutOpt = 10.0,
) -> None:
    """Headers and body of one message; nothing is removed.

    The body may hold personal data: it is printed here, on request, and never logged."""
    broker_url, topology = connection(url, namespace)
    check_service(topology, service)

    async def read() -> list[DeadLetter]:
        async with Session(broker_url, topology, timeout) as session:
            warn(session)
            return [letter for _, letter in select(await session.take(service), [message_id])]

    letters = run(read)
    if as_json:
        typer.echo(json.dumps([letter_json(letter) for letter in letters], indent=2, ensure_ascii=False))
        return
    for letter in letters:
        out.print(Text(f"message {letter.message_id} in {letter.dlq}: {letter.copies} "
                       f"cop{'y' if letter.copies == 1 else 'ies'}", style="bold"))
        table = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
        table.add_column(style="dim", no_wrap=True)
        table.add_column(overflow="fold")
        for label, value in (("type", letter.event_type), ("reason", letter.reason), ("from queue", letter.queue),
                             ("dead-lettered at", letter.dead_lettered_at)):
            table.add_row(label, Text(str(value or "")))
        for name, value in letter.properties.items():
            table.add_row(f"property {name}", Text(str(value)))
        for name, value in letter.headers.items():
            table.add_row(f"header {name}", Text(json.dumps(value, ensure_ascii=False)
                                                  if not isinstance(value, str) else value))
        out.print(table)
        typer.echo("body:")
        typer.echo(body_text(letter.body))


def body_text(body: bytes) -> str:
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body.decode("utf-8", "backslashreplace")


def letter_json(letter: DeadLetter) -> dict[str, Any]:
    return {**letter.summary(), "dlq": letter.dlq, "properties": letter.properties, "headers": letter.headers,
            "body": body_text(letter.body)}


@dlq_app.command("replay")
def replay(
    service: ServiceArg,
    message_ids: IdsArg = None,
    every: AllOpt = False,
    url: UrlOpt = None, namespace: NamespaceOpt = None, timeout: TimeoutOpt = 10.0,
) -> None:
    """After a fix, put messages back into the service's own queue, once.

    Each message is published with a confirm to the queue it came from, then removed from the DLQ
    with every copy of it."""
    broker_url, topology = connection(url, namespace)
    check_service(topology, service)
    ids = ids_or_all(message_ids, every, "replay")
    done: list[DeadLetter] = []

    async def work() -> None:
        async with Session(broker_url, topology, timeout) as session:
            warn(session)
            for held, letter in select(await session.take(service), ids):
                await session.replay(held, letter)
                done.append(letter)
                out.print(Text(f"replayed {letter.message_id} ({letter.event_type}) to {held.queue}"
                               + (f", {letter.copies} copies removed" if letter.copies > 1 else "")))

    try:
        run(work)
    except typer.Exit:
        if done:
            err.print(f"{len(done)} replayed before the failure; the rest stay in the DLQ")
        raise
    if not done:
        out.print("nothing to replay")
        return
    out.print(f"replayed {len(done)} message{'' if len(done) == 1 else 's'}{copies_note(done)}")


def non_interactive() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"} or not sys.stdin.isatty()


@dlq_app.command("purge")
def purge(
    service: ServiceArg,
    message_ids: IdsArg = None,
    every: AllOpt = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask for confirmation")] = False,
    url: UrlOpt = None, namespace: NamespaceOpt = None, timeout: TimeoutOpt = 10.0,
) -> None:
    """Remove messages from the service's DLQs for good (every copy), after confirmation.

    Without a terminal (or with CI set) it refuses unless --yes is given."""
    broker_url, topology = connection(url, namespace)
    check_service(topology, service)
    ids = ids_or_all(message_ids, every, "purge")

    async def chosen() -> list[DeadLetter]:
        async with Session(broker_url, topology, timeout) as session:
            warn(session)
            return [letter for _, letter in select(await session.take(service), ids)]

    letters = run(chosen)  # given back: nothing is held while the operator decides
    if not letters:
        out.print("nothing to purge")
        return
    dlqs = ", ".join(dict.fromkeys(letter.dlq for letter in letters))
    what = f"{len(letters)} message{'' if len(letters) == 1 else 's'}{copies_note(letters)} from {dlqs}"
    if not yes:
        if non_interactive():
            raise fail(f"not purging {what} without confirmation: no terminal to ask on"
                       f"{' (CI is set)' if os.environ.get('CI') else ''}; pass --yes to purge")
        if not typer.confirm(f"Purge {what}? They cannot be recovered", default=False):
            raise fail("nothing purged")
    keys = {letter.key for letter in letters}
    removed: list[DeadLetter] = []

    async def work() -> None:
        async with Session(broker_url, topology, timeout) as session:
            for held in await session.take(service):
                for letter in held.letters:
                    if letter.key in keys:
                        await session.remove(letter)
                        removed.append(letter)

    run(work)
    gone = len(letters) - len(removed)
    out.print(f"purged {len(removed)} message{'' if len(removed) == 1 else 's'}{copies_note(removed)}"
              + (f"; {gone} had already left the DLQ" if gone else ""))


def register(cli: typer.Typer) -> None:
    cli.add_typer(dlq_app, name="dlq")


__all__ = ["dlq_app", "redact_url", "register"]
