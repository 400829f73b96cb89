"""The enrollment service: rosters and verification, consent, recording, central registry, print requests."""

from __future__ import annotations

from pymongo import IndexModel

from services.enrollment.api import build_api
from services.enrollment.handlers import VISITS, consumer
from shared.service import ServiceDefinition, build_app

definition = ServiceDefinition(
    name="enrollment",
    consumer=consumer,
    api=build_api,
    indexes={VISITS: [IndexModel([("npsn", 1), ("date", 1)])]},
    description="Knows every student: rosters, verification, recording, central registry, print requests.",
)


def create_app(settings=None):
    return build_app(definition, settings)
