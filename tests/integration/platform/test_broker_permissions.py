"""Least privilege on the real broker: one user per service with the permissions `jemput broker
setup` gives it (its own vhost and users per test, removed afterwards)."""

from __future__ import annotations

import asyncio
import uuid
from contextlib import AsyncExitStack
from urllib.parse import urlsplit

import aio_pika
import pytest
from aiormq.exceptions import ChannelAccessRefused
from typer.testing import CliRunner

from services.dashboard.settings import DashboardSettings
from services.enrollment.settings import EnrollmentSettings
from services.notifications.settings import NotificationsSettings
from services.printing.settings import PrintingSettings
from services.scheduling.settings import SchedulingSettings
from shared.bus.broker_admin import BrokerAdmin
from shared.bus.definitions import SERVICES
from shared.bus.topology import Topology
from shared.cli import cli
from shared.events.catalogue import CATALOGUE, produced_by
from shared.testing import EventTap, queue_depth, running_service

from ..printing.helpers import card_requested, eventually, printing_settings, publish
from .broker_plan import least_privilege_broker, management_url


async def refused(action) -> bool:
    """True when the broker refuses ``action`` with ACCESS_REFUSED; any other error is raised."""
    try:
        await action()
    except ChannelAccessRefused:
        return True
    return False


async def test_each_service_publishes_only_its_own_routing_keys(rabbit_url):
    async with least_privilege_broker(rabbit_url) as broker:
        topology = broker.plan.topology
        for service in SERVICES:
            own = {spec.routing_key for spec in produced_by(service)}
            connection = await broker.connect(service)
            async with connection:
                outcome: dict[str, bool] = {}
                for spec in CATALOGUE.values():
                    channel = await connection.channel(publisher_confirms=True)

                    async def send(channel=channel, spec=spec) -> None:
                        exchange = await channel.get_exchange(topology.exchange_name(spec.exchange), ensure=False)
                        await exchange.publish(aio_pika.Message(b"{}"), routing_key=spec.routing_key)

                    outcome[spec.routing_key] = not await refused(send)
                    if not channel.is_closed:
                        await channel.close()
            allowed = {key for key, ok in outcome.items() if ok}
            assert allowed == own, service  # the dashboard: nothing at all


async def test_notifications_cannot_publish_card_printed(rabbit_url):
    async with least_privilege_broker(rabbit_url) as broker, await broker.connect("notifications") as connection:
        channel = await connection.channel(publisher_confirms=True)
        events = await channel.get_exchange("jemput.events", ensure=False)
        await events.publish(aio_pika.Message(b"{}"), routing_key="notification.sent")  # its own: fine
        with pytest.raises(ChannelAccessRefused, match="card.printed"):
            await events.publish(aio_pika.Message(b"{}"), routing_key="card.printed")


async def test_only_printing_and_notifications_bind_to_the_restricted_exchange(rabbit_url):
    async with least_privilege_broker(rabbit_url) as broker:
        topology = broker.plan.topology
        restricted = topology.exchange_name("restricted")
        wanted = {"printing": "card.requested", "notifications": "student.contact_updated"}
        for service in SERVICES:
            async with await broker.connect(service) as connection:
                queue_name = topology.queue_name(service, "restricted" if service in wanted else "events")
                channel = await connection.channel()
                queue = await channel.declare_queue(queue_name, passive=True)

                async def bind(queue=queue, key=wanted.get(service, "card.requested")) -> None:
                    await queue.bind(restricted, key)

                assert await refused(bind) is (service not in wanted), service
        # printing may not take the other restricted event, nor anyone another's queue
        async with await broker.connect("printing") as connection:
            queue = await (await connection.channel()).declare_queue("jemput.printing.restricted", passive=True)
            assert await refused(lambda: queue.bind(restricted, "student.contact_updated"))
        async with await broker.connect("dashboard") as connection:
            queue = await (await connection.channel()).declare_queue("jemput.printing.restricted", passive=True)
            assert await refused(lambda: queue.consume(_ignore))


async def test_an_outside_subscriber_cannot_bind_to_the_restricted_exchange(rabbit_url):
    async with least_privilege_broker(rabbit_url) as broker, await broker.connect("observer") as connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(exclusive=True)
        await queue.bind("jemput.events", "#")  # public events: yes
        with pytest.raises(ChannelAccessRefused, match="jemput.restricted"):
            await queue.bind("jemput.restricted", "#")
        channel = await connection.channel(publisher_confirms=True)
        events = await channel.get_exchange("jemput.events", ensure=False)
        with pytest.raises(ChannelAccessRefused):  # and it publishes nothing
            await events.publish(aio_pika.Message(b"{}"), routing_key="school.registered")


async def test_a_service_declares_only_what_it_owns(rabbit_url):
    async with least_privilege_broker(rabbit_url) as broker, await broker.connect("scheduling") as connection:
        topology = broker.plan.topology
        mine = topology.queue("scheduling")
        channel = await connection.channel()
        await channel.declare_queue(mine.name, durable=True, arguments=mine.arguments)  # its own queue: yes
        for attempt in (
            lambda ch: ch.declare_exchange("jemput.events", aio_pika.ExchangeType.TOPIC, durable=True),
            lambda ch: ch.declare_queue("jemput.printing", durable=True, arguments=topology.queue("printing").arguments),
            lambda ch: ch.queue_delete("jemput.printing"),
            lambda ch: ch.declare_queue("jemput.scheduling.extra", durable=True),
        ):
            channel = await connection.channel()
            assert await refused(lambda channel=channel, attempt=attempt: attempt(channel))


async def test_printing_runs_as_its_own_user_with_only_its_own_declarations(
        rabbit_url, namespace, settings_for, tmp_path):
    async with least_privilege_broker(rabbit_url, namespace) as broker:
        topology: Topology = broker.plan.topology
        settings = printing_settings(settings_for, tmp_path, RABBITMQ_URL=broker.url("printing"),
                                     JEMPUT_BUS_DECLARE="own")
        async with (
            running_service("printing", settings),
            EventTap(broker.url("observer"), topology.exchange_name("events")) as tap,
        ):
            await publish(broker.url("enrollment"), topology.exchange_name("restricted"), card_requested(1))
            [certificate] = await tap.wait_for("certificate.issued")  # no stock yet: a certificate
            assert certificate["body"]["source"] == "/jemput/printing"

            connection = await aio_pika.connect(broker.url("enrollment"))
            async with connection:  # poison: printing's user may still dead-letter it
                channel = await connection.channel(publisher_confirms=True)
                restricted = await channel.get_exchange(topology.exchange_name("restricted"), ensure=False)
                await restricted.publish(aio_pika.Message(b"not json"), routing_key="card.requested")
            dlq = topology.dlq_name(topology.queue_name("printing", "restricted"))
            await eventually(lambda: _depth_is(broker.url("printing"), dlq, 1))


async def _ignore(message) -> None:
    return None


async def _depth_is(url: str, queue: str, depth: int) -> bool:
    return await queue_depth(url, queue) == depth


def test_jemput_broker_setup_creates_the_users_on_an_existing_broker(rabbit_url, monkeypatch):
    """The operator's command, against the real management API; run twice (idempotent)."""
    parts = urlsplit(management_url())
    tag = f"t{uuid.uuid4().hex[:10]}"
    for service in SERVICES:
        monkeypatch.setenv(f"RABBITMQ_{service.upper()}_PASSWORD", f"{tag}-{service}-secret")
    monkeypatch.setenv("RABBITMQ_ADMIN_USER", parts.username or "guest")
    monkeypatch.setenv("RABBITMQ_ADMIN_PASSWORD", parts.password or "guest")
    monkeypatch.setenv("JEMPUT_NAMESPACE", "jemput")
    base = f"{parts.scheme}://{parts.hostname}:{parts.port}"
    args = ["broker", "setup", "--url", base, "--vhost", f"{tag}-jemput", "--user-prefix", f"{tag}-"]

    async def check() -> None:
        amqp = urlsplit(rabbit_url)
        url = f"amqp://{tag}-scheduling:{tag}-scheduling-secret@{amqp.hostname}:{amqp.port or 5672}/{tag}-jemput"
        async with await aio_pika.connect(url) as connection:
            channel = await connection.channel(publisher_confirms=True)
            events = await channel.get_exchange("jemput.events", ensure=True)
            await events.publish(aio_pika.Message(b"{}"), routing_key="school.registered")
            with pytest.raises(ChannelAccessRefused):
                await events.publish(aio_pika.Message(b"{}"), routing_key="card.printed")

    async def clean() -> None:
        async with BrokerAdmin(base, parts.username or "guest", parts.password or "guest") as admin:
            await admin.remove(f"{tag}-jemput", [f"{tag}-{s}" for s in SERVICES])

    try:
        for _ in range(2):
            result = CliRunner().invoke(cli, args)
            assert result.exit_code == 0, result.output
        assert f"{tag}-notifications" in result.output and "JEMPUT_BUS_DECLARE=own" in result.output
        asyncio.run(check())
    finally:
        asyncio.run(clean())


async def test_every_service_starts_as_its_own_user(rabbit_url, namespace, settings_for, tmp_path):
    """Each service's start-up declarations (its queues, bindings and DLQs, passive exchanges, its
    publishers and subscribers) fit its user's permissions. The topology is the broker setup's:
    an event published before any service started waits in its consumers' queues, and each
    consumer, once up, dead-letters it (an empty body is poison) through the DLX it may write."""
    classes = {"enrollment": EnrollmentSettings, "printing": PrintingSettings,
                     "notifications": NotificationsSettings, "dashboard": DashboardSettings,
                     "scheduling": SchedulingSettings}
    async with least_privilege_broker(rabbit_url, namespace) as broker, AsyncExitStack() as stack:
        topology = broker.plan.topology
        async with await broker.connect("enrollment") as connection:
            channel = await connection.channel(publisher_confirms=True)
            events = await channel.get_exchange(topology.exchange_name("events"), ensure=False)
            await events.publish(aio_pika.Message(b"{}"), routing_key="roster.verified", mandatory=True)
        waiting = [topology.queue_name(s) for s in ("scheduling", "dashboard")]
        assert [await queue_depth(broker.url("dashboard"), q) for q in waiting] == [1, 1]
        for service in SERVICES:
            settings = settings_for(service, classes[service], RABBITMQ_URL=broker.url(service),
                                    JEMPUT_BUS_DECLARE="own", PRINTING_SPOOL_DIR=tmp_path)
            running = await stack.enter_async_context(running_service(service, settings))
            assert await running.runtime.readiness() == {"broker": True, "database": True}, service
        for queue in waiting:
            await eventually(lambda queue=queue: _depth_is(broker.url("dashboard"), topology.dlq_name(queue), 1))
