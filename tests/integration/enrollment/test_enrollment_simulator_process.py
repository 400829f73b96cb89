"""The registry simulator as the demo runs it: its own process, options on the command line."""

import asyncio
import sys
from datetime import date

import httpx

from enrollment_synthetic import nik
from services.enrollment.adapters.central_registry import CentralRegistryGateway, Submission
from shared.infra import free_port


async def test_simulator_runs_as_a_process_with_its_options():
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.enrollment.adapters.registry_simulator",
        "--port", str(port), "--failed-rate", "1.0", "--latency", "0.01", "--seed", "1",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url) as http:
            async with asyncio.timeout(20):
                while True:
                    try:
                        await http.get("/admin/stats")
                        break
                    except httpx.TransportError:
                        await asyncio.sleep(0.05)
        async with CentralRegistryGateway(url, attempts=1) as registry:
            answer = await registry.submit(Submission(
                submission_id="s-1", nik=nik(date(2009, 1, 1)), name="Siswa Contoh",
                birth_date=date(2009, 1, 1), sex="L", npsn="20612345",
                biometrics_digest="sha256:00000000"))
        assert answer.outcome == "failed"
    finally:
        process.terminate()
        await process.wait()
