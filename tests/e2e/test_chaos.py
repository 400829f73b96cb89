"""The fault-injection run, reduced (docs/reliability.md): one school, 60 students, every fault
once — each service SIGKILLed and started again, RabbitMQ restarted (rabbitmqctl stop_app /
start_app), the database (the stand-in on SQLite) restarted, the SMTP server, the SMS gateway and
the central-registry simulator each down for 3 s, 50 poison messages into each queue — then
nothing lost, nothing twice, every poison message in a DLQ with its reason, every service ready.
The full run (1,000 students, 30 s outages) is ``jemput chaos`` / ``bench/chaos.py``."""

from __future__ import annotations

import logging

import pytest

from programme.chaos.run import ChaosOptions, run_async
from programme.chaos.show import lines
from programme.chaos.stack import CHAOS_SERVICES

log = logging.getLogger("test.chaos")


@pytest.mark.slow
@pytest.mark.timeout(600)  # about 3 minutes; more on a busy machine
async def test_the_programme_keeps_its_promises_through_every_fault(rabbit_url: str) -> None:
    result = await run_async(ChaosOptions(schools=1, students=60, seed=11, window_s=30, outage_s=3,
                                          poison_per_queue=50, say=log.info))
    report = "\n".join(lines(result))
    assert result.error == "" and result.faults.failed == [], report
    done = sorted((f["kind"], f["target"]) for f in result.faults.done)
    assert done == sorted([("kill", s) for s in CHAOS_SERVICES] + [
        ("broker", "rabbitmq"), ("database", "mongodb"), ("poison", "all queues"),
        ("outage", "smtp"), ("outage", "gateway"), ("outage", "registry")]), report
    assert result.details["eligible"] > 0 and result.details["target"] > 20, report
    assert {k: n for k, n in result.verdict.lost.items() if n} == {}, report
    assert {k: n for k, n in result.verdict.duplicates.items() if n} == {}, report
    figures = result.figures
    assert figures["poison_injected"] == 50 * 6 == figures["poison_in_dlq"], report
    assert result.verdict.poison_without_reason == 0 and result.verdict.unhealthy == [], report
    assert figures["lost"] == figures["duplicates"] == 0 and figures["faults"] == 11
    assert figures["drain_s"] > 0
    assert result.ok, report
