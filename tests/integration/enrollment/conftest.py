"""Makes the synthetic-data helpers of tests/unit/enrollment and of this folder importable
under pytest's importlib mode, and provides the enrollment service's test settings."""

import sys
from pathlib import Path

import pytest

_HERE = Path(__file__).parent
for folder in (_HERE, _HERE.parent.parent / "unit" / "enrollment"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from services.enrollment.adapters.registry_simulator import (  # noqa: E402
    SimulatorConfig,
    running_simulator,
)
from services.enrollment.settings import EnrollmentSettings  # noqa: E402

from enrollment_it import TEST_KEY  # noqa: E402


@pytest.fixture
async def simulator():
    async with running_simulator(SimulatorConfig(seed=3)) as sim:
        yield sim


@pytest.fixture
def enrollment_settings(settings_for, simulator):
    def make(**overrides):
        env = {
            "JEMPUT_REGISTRY_URL": simulator.url, "JEMPUT_BIOMETRIC_KEYS": TEST_KEY,
            "JEMPUT_TODAY": "2026-07-15", "JEMPUT_SUPERVISORS": "sup-1",
            "JEMPUT_REGISTRY_ATTEMPTS": 2, "JEMPUT_REGISTRY_TIMEOUT_S": 2,
            "JEMPUT_REGISTRY_BACKOFF_BASE_S": 0.05, "JEMPUT_REGISTRY_BACKOFF_MAX_S": 0.2,
            "JEMPUT_SUBMIT_SWEEP_S": 0.2, "JEMPUT_PRINT_SWEEP_S": 0.2,
        }
        env.update(overrides)
        return settings_for("enrollment", EnrollmentSettings, **env)

    return make
