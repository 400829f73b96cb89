"""The enrollment service's collaborators, built at start-up and kept in `rt.state`."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from shared.service import Runtime

from .adapters.biometric_vault import BiometricVault, parse_keys
from .adapters.central_registry import CentralRegistryGateway
from .adapters.student_repository import StudentRepository
from .desk import Desk
from .registry_worker import RegistryWorker
from .settings import EnrollmentSettings, enrollment_settings

log = logging.getLogger("jemput.enrollment")
KEY = "enrollment"


@dataclass
class EnrollmentState:
    settings: EnrollmentSettings
    repository: StudentRepository
    gateway: CentralRegistryGateway
    vault: BiometricVault | None
    desk: Desk
    worker: RegistryWorker


def build_state(rt: Runtime) -> EnrollmentState:
    settings = enrollment_settings(rt.settings)
    repository = StudentRepository(rt.db, student_id_key=settings.student_id_key,
                                   policy=settings.policy())
    gateway = CentralRegistryGateway(
        settings.registry_url, timeout_s=settings.registry_timeout_s,
        attempts=settings.registry_attempts, backoff_base_s=settings.registry_backoff_base_s,
        backoff_max_s=settings.registry_backoff_max_s)
    vault = None
    if settings.biometric_keys:
        keys = parse_keys(settings.biometric_keys)
        vault = BiometricVault(keys, settings.biometric_key_id or next(iter(keys)))
    else:
        log.warning("no biometric encryption key configured: capture is disabled")
    worker = RegistryWorker(repository, gateway, vault, settings,
                            publish_written=rt.relay.publish_written)
    return EnrollmentState(settings, repository, gateway, vault,
                           Desk(repository, settings, vault), worker)


def state_of(rt: Runtime) -> EnrollmentState:
    state = rt.state.get(KEY)
    if state is None:
        state = rt.state[KEY] = build_state(rt)
    return state
