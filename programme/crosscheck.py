"""The dashboard, an outside subscriber, must tell the same story as the programme report.

The report is built from the services' own records; the dashboard only from the public events.
Both are asked for the same totals; the dashboard folds events as they arrive, so it is given a
little time to catch up before a difference counts as a disagreement.
"""

from __future__ import annotations

import asyncio
import time

import httpx

from programme.report import ProgrammeReport

COMPARED = ("roster_total", "already_recorded", "target", "recorded", "printed", "handed_over", "certificates")


def differences(report: ProgrammeReport, dashboard_totals: dict[str, int]) -> list[str]:
    """One plain sentence per total the dashboard shows differently from the report."""
    out = []
    for name in COMPARED:
        ours, theirs = getattr(report.totals, name), dashboard_totals.get(name)
        if ours != theirs:
            out.append(f"{name.replace('_', ' ')}: the report says {ours:,}, the dashboard shows {theirs}")
    return out


async def dashboard_disagreements(client: httpx.AsyncClient, report: ProgrammeReport,
                                  settle_s: float = 30.0) -> list[str]:
    """Ask the dashboard's ``/api/overview`` until it agrees or ``settle_s`` has passed."""
    deadline = time.monotonic() + settle_s
    while True:
        response = await client.get("/api/overview")
        response.raise_for_status()
        found = differences(report, response.json()["totals"])
        if not found or time.monotonic() >= deadline:
            return found
        await asyncio.sleep(0.5)
