"""`jemput dlq list | show | replay | purge` on the real broker.

Messages reach the DLQs the two ways they do in production: copied there by the consumer's own
``dead_letter()`` (poison, with ``x-jemput-reason``; a second copy as a crash between copy and ack
leaves it) and, through a running service, dead-lettered by the broker after the delivery limit.
The commands run through typer's CliRunner (in a thread: they run their own event loop), and in a
pseudo-terminal where a person must answer the purge question.
"""

from __future__ import annotations

import asyncio
import json
import os
import pty
import select
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import aio_pika
import pytest
from faststream.rabbit import Channel, RabbitBroker
from typer.testing import CliRunner, Result

from shared.bus import REASON_HEADER
from shared.bus.consumer import dead_letter
from shared.bus.topology import Topology, declare
from shared.cli import cli
from shared.envelope import CONTENT_TYPE
from shared.testing import get_messages, queue_depth, running_service

from .helpers import body_of, card_requested, eventually, failing_printing, publish_event, visit_event

ROOT = Path(__file__).resolve().parents[3]


async def dlq(rabbit_url: str, namespace: str, *args: str, env: dict[str, str] | None = None,
              connection: bool = True) -> Result:
    """``jemput dlq ARGS`` (with --url and --namespace unless ``connection`` is False), on a wide
    terminal (no wrapped lines to match)."""
    argv = ["dlq", *args] + (["--url", rabbit_url, "--namespace", namespace] if connection else [])
    return await asyncio.to_thread(CliRunner().invoke, cli, argv, env={"COLUMNS": "250", **(env or {})})


class Bus:
    """The declared topology and the consumer's own dead-lettering, without running a service."""

    def __init__(self, rabbit_url: str, topology: Topology) -> None:
        self.url = rabbit_url
        self.topology = topology
        self.broker = RabbitBroker(rabbit_url, default_channel=Channel(publisher_confirms=True,
                                                                       on_return_raises=True))

    async def __aenter__(self) -> Bus:
        await self.broker.connect()
        await declare(self.broker, self.topology)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.broker.stop()

    async def poison(self, queue: str, body: bytes, message_id: str | None, reason: str) -> None:
        """What the consumer does with a poison message of ``queue`` (shared.bus.consumer)."""
        raw = SimpleNamespace(body=body, headers={"x-origin": "test"}, message_id=message_id,
                              correlation_id="corr-1", content_type=CONTENT_TYPE)
        runtime = SimpleNamespace(broker=self.broker, topology=self.topology)
        await dead_letter(runtime, raw, queue, reason)


def without_count(headers: dict) -> dict:
    return {k: v for k, v in headers.items() if k != "x-delivery-count"}


def snapshot(messages) -> list[tuple]:
    return [(m.message_id, m.body, without_count(m.headers or {}), m.correlation_id, m.content_type)
            for m in messages]


async def fill(bus: Bus, queue: str) -> dict[str, bytes]:
    """Three poison messages in ``queue``'s DLQ, the second one twice (a consumer crashed between
    its copy and its ack), one with no message id and no JSON."""
    valid = visit_event("scheduled", "V-1", 1)
    schema_invalid = json.loads(visit_event("scheduled", "V-2", 1).to_json())
    del schema_invalid["data"]["npsn"]
    bodies = {valid.id: valid.to_json(), schema_invalid["id"]: json.dumps(schema_invalid).encode(),
              "nojson": b"{this is not json"}
    await bus.poison(queue, bodies[valid.id], valid.id, "enrollment has no handler for jemput.visit.scheduled.v1")
    for _ in range(2):
        await bus.poison(queue, bodies[schema_invalid["id"]], schema_invalid["id"],
                         "schema-invalid jemput.visit.scheduled.v1: data.npsn: missing")
    await bus.poison(queue, bodies["nojson"], None, "bad JSON: the body is not a JSON document")
    return bodies


async def test_list_shows_every_message_and_leaves_the_dlq_as_it_was(rabbit_url, namespace, topology):
    queue = topology.queue_name("enrollment")
    dead = topology.dlq_name(queue)
    async with Bus(rabbit_url, topology) as bus:
        bodies = await fill(bus, queue)
        # what is there, read and given back by hand (the way list must: no ack)
        before = await peek(rabbit_url, dead)
        for _ in range(3):  # listing again and again changes nothing
            listed = await dlq(rabbit_url, namespace, "list", "enrollment", "--json")
            assert listed.exit_code == 0, listed.output
        limited = await dlq(rabbit_url, namespace, "list", "enrollment", "--limit", "2")
        assert limited.exit_code == 0, limited.output
        table = await dlq(rabbit_url, namespace, "list")
        assert table.exit_code == 0, table.output

        assert await queue_depth(rabbit_url, dead) == 4
        after = await get_messages(rabbit_url, dead)  # takes them for good: the end of the test
        assert snapshot(after) == before  # same messages, same order, same headers and bodies

    report = json.loads(listed.stdout)
    assert report["namespace"] == namespace
    [enrollment] = report["dlqs"]
    assert (enrollment["service"], enrollment["dlq"], enrollment["queue"], enrollment["depth"]) == \
        ("enrollment", dead, queue, 4)
    rows = enrollment["messages"]
    valid_id, invalid_id = list(bodies)[:2]
    assert [(r["message_id"], r["type"], r["copies"]) for r in rows] == [
        (valid_id, "jemput.visit.scheduled.v1", 1), (invalid_id, "jemput.visit.scheduled.v1", 2),
        (rows[2]["message_id"], "unparseable", 1)]
    assert rows[2]["reason"] == "bad JSON: the body is not a JSON document"
    assert rows[1]["reason"] == "schema-invalid jemput.visit.scheduled.v1: data.npsn: missing"
    assert all(r["queue"] == queue and r["dead_lettered_at"] for r in rows)
    assert "(the first 2 of 3 distinct shown: --limit)" in limited.stdout
    assert f"enrollment: {dead} — 4 messages" in table.stdout and f"printing: {topology.dlq_name(topology.queue_name('printing', 'restricted'))} — 0 messages, empty" in table.stdout
    assert "npsn" not in table.stdout.replace("data.npsn", "") and "SMAN" not in table.stdout  # no body shown


async def peek(url: str, name: str) -> list[tuple]:
    """Read a queue's messages and give them back (nack, requeue), in order."""
    return snapshot(await peek_messages(url, name))


async def test_the_environment_names_the_broker_and_namespace(rabbit_url, namespace, topology):
    queue = topology.queue_name("scheduling")
    async with Bus(rabbit_url, topology) as bus:
        await bus.poison(queue, b"{}", "m-1", "invalid envelope: id: missing")
        # a message with no JSON and no reason (not Jemput's doing)
        connection = await aio_pika.connect(rabbit_url)
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await channel.get_exchange(topology.dlx_name)
            await exchange.publish(aio_pika.Message(b"\xff\xfe", message_id="m-2"), routing_key=queue,
                                   mandatory=True)
        result = await dlq(rabbit_url, namespace, "list", "scheduling", "--json", connection=False,
                           env={"RABBITMQ_URL": rabbit_url, "JEMPUT_NAMESPACE": namespace})
        shown = await dlq(rabbit_url, namespace, "show", "scheduling", "m-2")
    assert result.exit_code == 0, result.output
    first, second = json.loads(result.stdout)["dlqs"][0]["messages"]
    assert first["message_id"] == "m-1" and first["reason"] == "invalid envelope: id: missing"
    assert first["type"] == "unparseable"  # JSON, but not an event
    assert (second["message_id"], second["type"]) == ("m-2", "unparseable")
    assert second["reason"] == "unknown (no reason header)"
    assert (second["queue"], second["dead_lettered_at"]) == (queue, None)
    assert shown.exit_code == 0 and "\\xff\\xfe" in shown.stdout


async def test_show_prints_headers_and_body_of_one_message(rabbit_url, namespace, topology):
    queue = topology.queue_name("enrollment")
    async with Bus(rabbit_url, topology) as bus:
        bodies = await fill(bus, queue)
        invalid_id = list(bodies)[1]
        shown = await dlq(rabbit_url, namespace, "show", "enrollment", invalid_id)
        as_json = await dlq(rabbit_url, namespace, "show", "enrollment", invalid_id, "--json")
        assert await queue_depth(rabbit_url, topology.dlq_name(queue)) == 4
    assert shown.exit_code == 0, shown.output
    assert f"message {invalid_id} in {topology.dlq_name(queue)}: 2 copies" in shown.stdout
    assert "schema-invalid jemput.visit.scheduled.v1: data.npsn: missing" in shown.stdout
    assert "header x-origin" in shown.stdout and "property correlation_id" in shown.stdout
    assert '"school_name": "SMAN 99 Contoh"' in shown.stdout  # the body, asked for
    [letter] = json.loads(as_json.stdout)
    assert letter["copies"] == 2 and letter["headers"][REASON_HEADER].startswith("schema-invalid")
    assert json.loads(letter["body"]) == json.loads(bodies[invalid_id])


async def test_replay_puts_each_message_back_once_and_removes_every_copy(rabbit_url, namespace, topology):
    queue = topology.queue_name("enrollment")
    async with Bus(rabbit_url, topology) as bus:
        bodies = await fill(bus, queue)
        valid_id, invalid_id, _ = bodies
        ids = [m.message_id for m in await peek_messages(rabbit_url, topology.dlq_name(queue))]
        result = await dlq(rabbit_url, namespace, "replay", "enrollment", invalid_id)
        assert result.exit_code == 0, result.output
        assert "replayed 1 message (1 more copy of the same messages)" in result.stdout
        [back] = await get_messages(rabbit_url, queue)  # once, not twice
        left = await get_messages(rabbit_url, topology.dlq_name(queue))
    assert back.message_id == invalid_id and back.body == bodies[invalid_id]
    assert back.delivery_mode == aio_pika.DeliveryMode.PERSISTENT and back.correlation_id == "corr-1"
    headers = back.headers or {}
    assert headers["x-origin"] == "test" and "x-jemput-replayed-at" in headers
    assert not {REASON_HEADER, "x-jemput-queue", "x-jemput-dead-lettered-at", "x-death"} & set(headers)
    assert [m.message_id for m in left] == [ids[0], ids[3]]  # the others stay, in order
    assert ids[0] == valid_id


async def test_a_fixed_handler_consumes_a_replayed_message_once(settings_for, rabbit_url, namespace, topology):
    """A card request that failed until the delivery limit (the broker dead-letters it, x-death),
    replayed after the fix: consumed once."""
    queue = topology.queue_name("printing", "restricted")
    event = card_requested()
    broken: list[str] = []
    async with running_service(failing_printing(None, broken, ConnectionError("printer offline")),
                               settings_for("printing", JEMPUT_DELIVERY_LIMIT=1)):
        await publish_event(rabbit_url, topology.exchange_name("restricted"), event)
        await eventually(lambda: _depth_is(rabbit_url, topology.dlq_name(queue), 1), timeout=30)
    listed = await dlq(rabbit_url, namespace, "list", "printing", "--json")
    [row] = json.loads(listed.stdout)["dlqs"][0]["messages"]
    assert (row["message_id"], row["type"], row["reason"], row["queue"]) == \
        (event.id, "jemput.card.requested.v1", "delivery limit reached", queue)
    assert row["dead_lettered_at"]
    assert "S-0001" not in listed.stdout and "SISWA" not in listed.stdout  # print data stays in the body

    fixed: list[str] = []
    async with running_service(failing_printing(0, fixed, RuntimeError("never")),
                               settings_for("printing", JEMPUT_DELIVERY_LIMIT=1)) as printing:
        result = await dlq(rabbit_url, namespace, "replay", "printing", "--all")
        assert result.exit_code == 0, result.output
        assert f"replayed {event.id} (jemput.card.requested.v1) to {queue}" in result.stdout
        await eventually(lambda: printing.runtime.db["card_requests"].find_one({"_id": event.id}))
        await eventually(lambda: _depth_is(rabbit_url, queue, 0))
        await asyncio.sleep(0.3)
        assert fixed == [event.id]
    assert await queue_depth(rabbit_url, topology.dlq_name(queue)) == 0


async def _depth_is(url: str, queue: str, n: int) -> bool:
    return await queue_depth(url, queue) == n


async def test_replay_keeps_a_message_whose_queue_is_gone(rabbit_url, namespace, topology):
    queue = topology.queue_name("scheduling")
    async with Bus(rabbit_url, topology) as bus:
        await bus.poison(queue, b"{}", "m-1", "invalid envelope")
        connection = await aio_pika.connect(rabbit_url)
        async with connection:
            await (await connection.channel()).queue_delete(queue)
        result = await dlq(rabbit_url, namespace, "replay", "scheduling", "m-1")
        assert await queue_depth(rabbit_url, topology.dlq_name(queue)) == 1
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"the broker did not take message m-1 into {queue} (is the queue there?); it stays in "
        f"{topology.dlq_name(queue)}"]


async def test_purge_with_yes_removes_the_named_messages_and_all_their_copies(rabbit_url, namespace, topology):
    queue = topology.queue_name("enrollment")
    async with Bus(rabbit_url, topology) as bus:
        bodies = await fill(bus, queue)
        valid_id, invalid_id, _ = bodies
        ids = [m.message_id for m in await peek_messages(rabbit_url, topology.dlq_name(queue))]
        result = await dlq(rabbit_url, namespace, "purge", "enrollment", invalid_id, "--yes")
        assert result.exit_code == 0, result.output
        assert "purged 1 message (1 more copy of the same messages)" in result.stdout
        assert [m.message_id for m in await peek_messages(rabbit_url, topology.dlq_name(queue))] == [valid_id, ids[3]]
        everything = await dlq(rabbit_url, namespace, "purge", "enrollment", "--all", "--yes")
        assert everything.exit_code == 0 and "purged 2 messages" in everything.stdout
        assert await queue_depth(rabbit_url, topology.dlq_name(queue)) == 0
        assert await queue_depth(rabbit_url, queue) == 0  # purged, not replayed
        empty = await dlq(rabbit_url, namespace, "purge", "enrollment", "--all", "--yes")
    assert empty.exit_code == 0 and "nothing to purge" in empty.stdout


async def peek_messages(url: str, name: str) -> list:
    """A queue's messages, read and given back (nack, requeue) in order."""
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(name, passive=True)
        taken = []
        while (message := await queue.get(no_ack=False, fail=False, timeout=5)) is not None:
            taken.append(message)
        for message in taken:
            await message.nack(requeue=True)
        return taken


@pytest.mark.parametrize("ci", ["true", ""])
async def test_purge_without_yes_and_without_a_terminal_refuses(rabbit_url, namespace, topology, ci):
    queue = topology.queue_name("enrollment")
    async with Bus(rabbit_url, topology) as bus:
        await fill(bus, queue)
        result = await dlq(rabbit_url, namespace, "purge", "enrollment", "--all", env={"CI": ci})
        assert await queue_depth(rabbit_url, topology.dlq_name(queue)) == 4
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("not purging 3 messages (1 more copy of the same messages) from")
    assert line.endswith("without confirmation: no terminal to ask on" + (" (CI is set)" if ci else "") +
                         "; pass --yes to purge")


def in_terminal(argv: list[str], answer: str, timeout: float = 60.0) -> tuple[int, str]:
    """Run ``python -m shared.cli ARGV`` in a pseudo-terminal, typing ``answer`` at the question."""
    controller, terminal = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    process = subprocess.Popen([sys.executable, "-m", "shared.cli", *argv], cwd=ROOT, env=env,
                               stdin=terminal, stdout=terminal, stderr=terminal, close_fds=True)
    os.close(terminal)
    seen, answered, deadline = b"", False, time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(controller, 4096)
                except OSError:  # the process ended and closed the terminal
                    break
                if not chunk:
                    break
                seen += chunk
            if not answered and b"[y/N]" in seen:
                os.write(controller, answer.encode() + b"\n")
                answered = True
            if process.poll() is not None and not ready:
                break
        return process.wait(timeout=max(1.0, deadline - time.monotonic())), seen.decode(errors="replace")
    finally:
        if process.poll() is None:
            process.kill()
        os.close(controller)


async def test_purge_asks_in_a_terminal_and_does_what_the_answer_says(rabbit_url, namespace, topology):
    queue = topology.queue_name("notifications")
    dead = topology.dlq_name(queue)
    argv = ["dlq", "purge", "notifications", "--all", "--url", rabbit_url, "--namespace", namespace]
    async with Bus(rabbit_url, topology) as bus:
        await fill(bus, queue)
        code, screen = await asyncio.to_thread(in_terminal, argv, "n")
        assert code == 1, screen
        assert f"Purge 3 messages (1 more copy of the same messages) from {dead}? They cannot be recovered" in screen
        assert "nothing purged" in screen
        assert await queue_depth(rabbit_url, dead) == 4
        code, screen = await asyncio.to_thread(in_terminal, argv, "y")
        assert code == 0, screen
        assert "purged 3 messages" in screen
        assert await queue_depth(rabbit_url, dead) == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_failures_are_one_line_and_a_non_zero_status(rabbit_url, namespace, topology):
    async with Bus(rabbit_url, topology) as bus:
        await fill(bus, topology.queue_name("enrollment"))
        cases = {
            ("list", "billing"): 2,
            ("show", "billing", "x"): 2,
            ("show", "enrollment", "no-such-id"): 2,
            ("replay", "enrollment", "no-such-id"): 2,
            ("purge", "enrollment", "no-such-id", "--yes"): 2,
            ("replay", "enrollment"): 2,
            ("purge", "enrollment", "some-id", "--all", "--yes"): 2,
        }
        results = {args: await dlq(rabbit_url, namespace, *args) for args in cases}
        down = f"amqp://guest:s3cret@127.0.0.1:{free_port()}/"
        unreachable = await dlq(down, namespace, "list", "enrollment", "--timeout", "2")
        elsewhere = await dlq(rabbit_url, "nosuchns", "list", "enrollment")
        bad_namespace = await dlq(rabbit_url, "Not A Namespace", "list")
        # the unknown id in a list of known ones: nothing is replayed
        valid = await dlq(rabbit_url, namespace, "list", "enrollment", "--json")
        some_id = json.loads(valid.stdout)["dlqs"][0]["messages"][0]["message_id"]
        mixed = await dlq(rabbit_url, namespace, "replay", "enrollment", some_id, "no-such-id")
        assert await queue_depth(rabbit_url, topology.dlq_name(topology.queue_name("enrollment"))) == 4
        assert await queue_depth(rabbit_url, topology.queue_name("enrollment")) == 0

    for args, code in cases.items():
        result = results[args]
        assert result.exit_code == code, (args, result.output)
        assert isinstance(result.exception, SystemExit), (args, result.exception)
        assert len(result.stderr.strip().splitlines()) == 1, (args, result.stderr)
    assert results[("list", "billing")].stderr.strip() == \
        "unknown service 'billing'; one of scheduling, enrollment, printing, notifications, dashboard"
    assert results[("show", "enrollment", "no-such-id")].stderr.strip() == \
        f"no message no-such-id in {topology.dlq_name(topology.queue_name('enrollment'))}"
    assert "or --all" in results[("replay", "enrollment")].stderr
    assert unreachable.exit_code == 1 and isinstance(unreachable.exception, SystemExit)
    [line] = unreachable.stderr.strip().splitlines()
    assert line.startswith("cannot reach the broker at amqp://guest:***@127.0.0.1:") and "s3cret" not in line
    assert elsewhere.exit_code == 1
    assert elsewhere.stderr.strip().startswith("queue nosuchns.enrollment.dlq does not exist")
    assert bad_namespace.exit_code == 2 and "JEMPUT_NAMESPACE" in bad_namespace.stderr
    assert mixed.exit_code == 2 and mixed.stderr.strip().endswith("no message no-such-id in "
                                                                  f"{topology.dlq_name(topology.queue_name('enrollment'))}")
