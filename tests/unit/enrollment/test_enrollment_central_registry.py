"""The gateway against the simulator, both real: an HTTP server on a free port."""

import asyncio
from datetime import date

import httpx
import pytest

from enrollment_synthetic import nik
from services.enrollment.adapters.central_registry import (
    CentralRegistryGateway,
    RegistryRejected,
    RegistryUnavailable,
    Submission,
)
from services.enrollment.adapters.registry_simulator import SimulatorConfig, running_simulator
from shared.infra import free_port


def submission(n: int, submission_id: str | None = None) -> Submission:
    return Submission(submission_id=submission_id or f"sub-{n}", nik=nik(date(2009, 1, 1), serial=n),
                      name=f"Siswa Contoh {n}", birth_date=date(2009, 1, 1), sex="L",
                      npsn="20612345", biometrics_digest="sha256:" + "0" * 16)


def gateway(url: str, **kw) -> CentralRegistryGateway:
    kw.setdefault("attempts", 3)
    return CentralRegistryGateway(url, backoff_base_s=0.01, backoff_max_s=0.05, **kw)


async def test_first_recording_is_print_ready_and_a_second_is_a_duplicate():
    async with running_simulator(SimulatorConfig(seed=1)) as sim, gateway(sim.url) as registry:
        first = await registry.submit(submission(1))
        assert first.outcome == "print_ready" and first.reason is None
        second = await registry.submit(submission(1, "sub-1-again"))
        assert second.outcome == "duplicate"
        assert "already recorded" in second.reason


async def test_a_resubmission_gets_the_same_answer_and_records_once():
    async with running_simulator(SimulatorConfig(seed=1)) as sim, gateway(sim.url) as registry:
        answers = [await registry.submit(submission(2)) for _ in range(3)]
        assert {a.outcome for a in answers} == {"print_ready"}
        assert sim.state.received["sub-2"] == 3 and len(sim.state.answers) == 1


async def test_lookup_answers_already_recorded():
    seeded = nik(date(2008, 1, 1), serial=9)
    async with (running_simulator(SimulatorConfig(recorded_niks=[seeded])) as sim,
                gateway(sim.url) as registry):
        await registry.submit(submission(3))
        niks = [seeded, submission(3).nik, submission(4).nik]
        assert await registry.recorded(niks) == {seeded, submission(3).nik}
        assert await registry.recorded([]) == set()


async def test_outcome_rates_are_configurable():
    config = SimulatorConfig(failed_rate=0.5, duplicate_rate=0.3, seed=7)
    async with running_simulator(config) as sim, gateway(sim.url) as registry:
        outcomes = [(await registry.submit(submission(n))).outcome for n in range(1, 61)]
    assert {"print_ready", "failed", "duplicate"} == set(outcomes)
    assert 15 <= outcomes.count("failed") <= 45


async def test_always_failing_configuration():
    async with (running_simulator(SimulatorConfig(failed_rate=1.0)) as sim,
                gateway(sim.url) as registry):
        answer = await registry.submit(submission(5))
    assert answer.outcome == "failed" and answer.reason


async def test_latency_is_configurable_and_a_timeout_is_retried_then_unavailable():
    async with running_simulator(SimulatorConfig(latency_s=0.5)) as sim:
        async with gateway(sim.url, timeout_s=0.05, attempts=2) as impatient:
            with pytest.raises(RegistryUnavailable, match="no answer after 2 attempts"):
                await impatient.submit(submission(6))
        async with gateway(sim.url, timeout_s=5) as patient:
            assert (await patient.submit(submission(6))).outcome == "print_ready"
        assert len(sim.state.answers) == 1  # however many timed-out attempts arrived


async def test_retries_with_back_off_while_the_central_system_is_down():
    async with running_simulator() as sim, gateway(sim.url, attempts=1000) as registry:
        sim.state.up = False
        pending = asyncio.create_task(registry.submit(submission(7)))
        async with httpx.AsyncClient(base_url=sim.url) as admin:
            async with asyncio.timeout(10):
                while (await admin.get("/admin/stats")).json()["refused"] < 3:
                    await asyncio.sleep(0.01)
            assert not pending.done()
            assert (await admin.put("/admin/availability", json={"up": True})).json() == {"up": True}
        answer = await pending
    assert answer.outcome == "print_ready"
    assert sim.state.received["sub-7"] == 1  # refused attempts never reached the registry


async def test_no_server_at_all_is_unavailable_then_works_when_it_starts():
    port = free_port()
    async with gateway(f"http://127.0.0.1:{port}", attempts=2) as registry:
        with pytest.raises(RegistryUnavailable, match="ConnectError"):
            await registry.submit(submission(8))
        async with running_simulator(port=port):
            assert (await registry.submit(submission(8))).outcome == "print_ready"


async def test_a_refused_request_is_not_retried():
    async with running_simulator() as sim, gateway(sim.url) as registry:
        bad = submission(9).model_copy(update={"npsn": "123"})  # bypasses validation
        with pytest.raises(RegistryRejected, match="HTTP 422"):
            await registry.submit(bad)
        assert sim.state.received == {}


def test_backoff_grows_and_is_capped():
    registry = CentralRegistryGateway("http://x", backoff_base_s=1, backoff_max_s=8)
    assert 0.5 <= registry.backoff(1) <= 1
    assert 2 <= registry.backoff(3) <= 4
    assert 4 <= registry.backoff(10) <= 8
