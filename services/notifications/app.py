"""The notifications service: schools, students and guardians told the right thing once, on time."""

from __future__ import annotations

from services.notifications.api import build_api
from services.notifications.handlers import consumer
from shared.service import ServiceDefinition, build_app

definition = ServiceDefinition(
    name="notifications",
    consumer=consumer,
    api=build_api,
    description="Turns events into emails and SMS, each delivered once.",
)


def create_app(settings=None):
    return build_app(definition, settings)
