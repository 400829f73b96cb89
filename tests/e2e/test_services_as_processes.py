"""The four services started as processes with the same entry point and environment variables
as the containers (`python -m services.<name>`), carrying the first flow end to end."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from shared.infra import free_port

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ["scheduling", "enrollment", "printing", "notifications"]


@contextlib.asynccontextmanager
async def processes(env_for):
    procs, urls = {}, {}
    try:
        for name in SERVICES:
            port = free_port()
            env = {**os.environ, **env_for(name, HTTP_PORT=port)}
            procs[name] = subprocess.Popen([sys.executable, "-m", f"services.{name}"], env=env, cwd=ROOT,
                                           stderr=subprocess.PIPE, text=True)
            urls[name] = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(timeout=5) as http:
            for name, url in urls.items():
                async with asyncio.timeout(60):
                    while True:
                        assert procs[name].poll() is None, procs[name].stderr.read()[-3000:]
                        with contextlib.suppress(httpx.HTTPError):
                            if (await http.get(f"{url}/readyz")).status_code == 200:
                                break
                        await asyncio.sleep(0.2)
        yield procs, urls
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()


async def test_a_visit_flows_between_service_processes(env_for, mongo_client):
    async with processes(env_for) as (procs, urls):
        async with httpx.AsyncClient(timeout=10) as http:
            created = await http.post(f"{urls['scheduling']}/visits", json={
                "npsn": "20612345", "school_name": "SMAN 99 Contoh", "kecamatan": "Balaraja",
                "unit_id": "unit-1", "date": "2026-05-06", "expected_students": 90})
            assert created.status_code == 201, created.text
            visit_id = created.json()["visit_id"]
            for name in ("enrollment", "notifications"):
                db = mongo_client[env_for(name)["JEMPUT_DATABASE"]]
                async with asyncio.timeout(20):
                    while (copy := await db["visits"].find_one({"_id": visit_id})) is None:
                        await asyncio.sleep(0.1)
                assert copy["status"] == "scheduled" and copy["expected_students"] == 90
        stderr = {}
        for name, proc in procs.items():
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
            stderr[name] = proc.stderr.read()
            # uvicorn finishes the graceful shutdown, then re-raises SIGTERM as its exit status
            assert proc.returncode in (0, -signal.SIGTERM), stderr[name][-2000:]
            assert "Application shutdown complete." in stderr[name]
    for name, text in stderr.items():  # logs are JSON lines
        lines = [line for line in text.splitlines() if line.strip()]
        assert lines and all(line.startswith("{") for line in lines), (name, lines[:3])
