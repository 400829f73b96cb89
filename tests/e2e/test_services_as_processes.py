"""The four services started as processes with the same entry point and environment variables
as the containers (`python -m services.<name>`), carrying the first flow end to end."""

from __future__ import annotations

import asyncio
import signal

from shared.testing import api_client, service_processes

SERVICES = ["scheduling", "enrollment", "printing", "notifications"]


async def test_a_visit_flows_between_service_processes(env_for, tmp_path):
    async with service_processes({name: env_for(name) for name in SERVICES}, log_dir=tmp_path) as procs:
        async with api_client(timeout=10) as http:
            created = await http.post(f"{procs['scheduling'].url}/visits", json={
                "npsn": "20612345", "school_name": "SMAN 99 Contoh", "kecamatan": "Balaraja",
                "unit_id": "unit-1", "date": "2026-05-06", "expected_students": 90})
            assert created.status_code == 201, created.text
            visit_id = created.json()["visit_id"]
            # each service answers from its own record of the visit, kept from visit.scheduled
            paths = {"enrollment": f"/visits/{visit_id}/students", "notifications": f"/visits/{visit_id}"}
            answers = {}
            for name, path in paths.items():
                async with asyncio.timeout(20):
                    while (answer := await http.get(procs[name].url + path)).status_code == 404:
                        await asyncio.sleep(0.1)
                assert answer.status_code == 200, answer.text
                answers[name] = answer.json()
            assert answers["enrollment"] == []  # known visit, no roster imported yet
            assert answers["notifications"]["expected_students"] == 90
        for svc in procs.values():
            svc.process.send_signal(signal.SIGTERM)
            await asyncio.to_thread(svc.process.wait, 30)
            assert svc.process.returncode == 0  # a complete graceful shutdown (shared/shutdown.py)
    for name in SERVICES:
        log = (tmp_path / f"{name}.log").read_text()
        assert "Application shutdown complete." in log
        lines = [line for line in log.splitlines() if line.strip()]
        assert all(line.startswith("{") for line in lines), (name, lines[:3])  # JSON lines only
