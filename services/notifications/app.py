"""The notifications service: schools, students and guardians told the right thing once, on time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from shared.service import Runtime, ServiceDefinition, build_app

from .adapters.email_smtp import SmtpEmailSender
from .adapters.phone_gateway import HttpPhoneGateway
from .adapters.repository import DELIVERIES, INDEXES, DeliveryRepository, Directory
from .api import build_api
from .dispatcher import Dispatcher, run_dispatcher
from .handlers import consumer, settings_of
from .settings import NotificationsSettings


def start_clock(rt: Runtime, start: datetime) -> None:
    """The demo's fast-forward clock: the service's time starts at ``start`` and runs on."""
    offset = start - datetime.now(UTC)
    rt.state["clock"] = lambda: datetime.now(UTC) + offset


async def open_channels(rt: Runtime) -> None:
    settings = settings_of(rt)
    if settings.clock_start is not None:
        start_clock(rt, settings.clock_start)
    rt.state["deliveries"] = DeliveryRepository(rt.db)
    rt.state["directory"] = Directory(rt.db)
    email = SmtpEmailSender(settings.smtp())
    phone = HttpPhoneGateway(settings.gateway())
    dispatcher = Dispatcher(rt, settings, email, phone)
    rt.state.update(email=email, phone=phone, dispatcher=dispatcher, dispatcher_wakeup=dispatcher.wakeup)


async def close_channels(rt: Runtime) -> None:
    for name in ("email", "phone"):
        channel = rt.state.get(name)
        if channel is not None:
            await asyncio.shield(channel.close())


definition = ServiceDefinition(
    name="notifications",
    consumer=consumer,
    outbox_collections=[DELIVERIES],
    indexes=INDEXES,
    api=build_api,
    on_start=[open_channels],
    background=[run_dispatcher],
    on_stop=[close_channels],
    settings_class=NotificationsSettings,
    description="Turns events into emails, SMS and WhatsApp messages, each delivered once, on time.",
)


def create_app(settings: NotificationsSettings | None = None):
    return build_app(definition, settings)
