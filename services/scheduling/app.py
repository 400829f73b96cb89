"""The scheduling service: schools, mobile units, calendar, visit planner and visit lifecycle."""

from __future__ import annotations

from services.scheduling.adapters.programme_repository import INDEXES as PROGRAMME_INDEXES
from services.scheduling.adapters.programme_repository import SCHOOLS
from services.scheduling.adapters.visit_repository import COLLECTION as VISITS
from services.scheduling.adapters.visit_repository import INDEXES as VISIT_INDEXES
from services.scheduling.api import build_api
from services.scheduling.handlers import consumer
from services.scheduling.settings import SchedulingSettings
from shared.audit import INDEXES as AUDIT_INDEXES
from shared.service import ServiceDefinition, build_app

definition = ServiceDefinition(
    name="scheduling",
    consumer=consumer,
    outbox_collections=[VISITS, SCHOOLS],
    indexes={**VISIT_INDEXES, **PROGRAMME_INDEXES, **AUDIT_INDEXES},
    api=build_api,
    settings_class=SchedulingSettings,
    description="Decides which mobile unit visits which school on which day.",
)


def create_app(settings=None):
    return build_app(definition, settings)
