"""The printing service: same-day card printing, blank stock, temporary certificates, handover."""

from __future__ import annotations

from services.printing.handlers import consumer
from shared.service import ServiceDefinition, build_app

definition = ServiceDefinition(
    name="printing",
    consumer=consumer,
    description="Prints the KTP-el the same day, or issues a temporary certificate.",
)


def create_app(settings=None):
    return build_app(definition, settings)
