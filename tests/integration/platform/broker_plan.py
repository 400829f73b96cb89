"""A least-privilege broker set up for one test: its own vhost and users (unique names), applied
through the management API exactly as `jemput broker setup` does, removed afterwards."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import aio_pika
import pytest

from shared.bus.broker_admin import BrokerAdmin, BrokerAdminError
from shared.bus.definitions import SERVICES, BrokerPlan, definitions
from shared.bus.topology import Topology
from shared.infra import port_open


def management_url() -> str:
    return os.environ.get("RABBITMQ_MANAGEMENT_URL", "http://guest:guest@localhost:15672")


@dataclass
class LeastPrivilegeBroker:
    plan: BrokerPlan
    host: str

    def url(self, service: str) -> str:
        """The RABBITMQ_URL a service runs with (``observer`` for the outside subscriber)."""
        if service == "observer":
            user, password = self.plan.observer_user, self.plan.observer_password
        else:
            user, password = self.plan.user(service), self.plan.passwords[service]
        return f"amqp://{user}:{password}@{self.host}/{quote(self.plan.vhost, safe='')}"

    async def connect(self, service: str) -> aio_pika.abc.AbstractConnection:
        return await aio_pika.connect(self.url(service))


@contextlib.asynccontextmanager
async def least_privilege_broker(rabbit_url: str, namespace: str = "jemput") -> AsyncIterator[LeastPrivilegeBroker]:
    parts = urlsplit(management_url())
    if not port_open(parts.hostname or "localhost", parts.port or 15672):
        pytest.skip(f"the RabbitMQ management API does not answer at {parts.hostname}:{parts.port} "
                    "(scripts/setup enables the rabbitmq_management plugin)")
    tag = f"t{uuid.uuid4().hex[:10]}"
    plan = BrokerPlan(
        Topology(namespace), {s: f"{tag}-{s}-secret" for s in SERVICES}, vhost=f"{tag}-jemput",
        user_prefix=f"{tag}-", observer_password=f"{tag}-observer-secret",
    )
    base = f"{parts.scheme}://{parts.hostname}:{parts.port}"
    amqp = urlsplit(rabbit_url)
    async with BrokerAdmin(base, parts.username or "guest", parts.password or "guest") as admin:
        try:
            await admin.apply(definitions(plan))
        except BrokerAdminError as error:
            pytest.fail(str(error), pytrace=False)
        try:
            yield LeastPrivilegeBroker(plan, f"{amqp.hostname}:{amqp.port or 5672}")
        finally:
            await admin.remove(plan.vhost, [plan.user(s) for s in SERVICES] + [plan.observer_user])
