"""The enrollment service: rosters and verification, consent, recording, central registry, print requests."""

from __future__ import annotations

from pymongo import IndexModel

from services.enrollment.adapters.student_repository import INDEXES, ROSTERS, STUDENTS
from services.enrollment.api import build_api
from services.enrollment.biometric_retention import BiometricRetention
from services.enrollment.handlers import VISITS, consumer
from services.enrollment.runtime_state import state_of
from services.enrollment.settings import EnrollmentSettings
from shared.audit import INDEXES as AUDIT_INDEXES
from shared.service import Runtime, ServiceDefinition, build_app


async def start(rt: Runtime) -> None:
    state_of(rt)


async def submissions(rt: Runtime) -> None:
    await state_of(rt).worker.run_submissions()


async def deferred_prints(rt: Runtime) -> None:
    await state_of(rt).worker.run_prints()


async def biometric_retention(rt: Runtime) -> None:
    await BiometricRetention(rt.db, state_of(rt).settings).run()


async def stop(rt: Runtime) -> None:
    await state_of(rt).gateway.aclose()


definition = ServiceDefinition(
    name="enrollment",
    consumer=consumer,
    outbox_collections=[STUDENTS, ROSTERS],
    indexes={VISITS: [IndexModel([("npsn", 1), ("date", 1)])], **INDEXES, **AUDIT_INDEXES},
    api=build_api,
    on_start=[start],
    background=[submissions, deferred_prints, biometric_retention],
    on_stop=[stop],
    settings_class=EnrollmentSettings,
    description="Knows every student: rosters, verification, recording, central registry, print requests.",
)


def create_app(settings=None):
    return build_app(definition, settings)
