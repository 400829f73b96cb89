"""The fault plan: which fault, when (seconds after the programme's visit days begin), how long.

Seeded, so a run is reproducible: the same seed and options give the same plan.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

OUTAGE_TARGETS = ("smtp", "gateway", "registry")


@dataclass(frozen=True)
class Fault:
    kind: str        # kill | broker | database | outage | poison
    target: str      # a service, "rabbitmq", "mongodb", an outage target, or "all queues"
    at_s: float      # seconds after the fault clock starts
    duration_s: float = 0.0

    def describe(self) -> str:
        extra = f" for {self.duration_s:g} s" if self.duration_s else ""
        return f"{self.at_s:7.1f} s  {self.kind:<8} {self.target}{extra}"


def plan_faults(seed: int, services: tuple[str, ...], *, window_s: float, outage_s: float,
                broker: bool = True, database: bool = True) -> list[Fault]:
    """Every fault once at a random point of ``[0, window_s)``, in time order.

    Outages never overlap one another (each target is down on its own), and kills, restarts and
    the poison batch are drawn independently, so a kill may well fall inside an outage.
    """
    if window_s <= 0 or outage_s < 0:
        raise ValueError("window_s must be > 0 and outage_s >= 0")
    rng = random.Random(f"chaos:{seed}")
    faults = [Fault("kill", name, round(rng.uniform(0, window_s), 1)) for name in services]
    if broker:
        faults.append(Fault("broker", "rabbitmq", round(rng.uniform(0, window_s), 1)))
    if database:
        faults.append(Fault("database", "mongodb", round(rng.uniform(0, window_s), 1)))
    faults.append(Fault("poison", "all queues", round(rng.uniform(0, window_s), 1)))
    span = max(window_s / len(OUTAGE_TARGETS), outage_s)  # one slot each, in a random order
    for slot, target in enumerate(rng.sample(OUTAGE_TARGETS, len(OUTAGE_TARGETS))):
        start = slot * span + rng.uniform(0, max(0.0, span - outage_s))
        faults.append(Fault("outage", target, round(start, 1), outage_s))
    return sorted(faults, key=lambda f: (f.at_s, f.kind, f.target))
