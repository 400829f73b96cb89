"""`python -m services.dashboard` starts from environment variables alone, as its container does."""

from __future__ import annotations


from shared.testing import api_client, service_processes


async def test_the_dashboard_runs_as_its_own_process(env_for, topology):
    env = env_for("dashboard", DASHBOARD_TIMEZONE="Asia/Makassar", DASHBOARD_REFRESH_S="30")
    async with service_processes({"dashboard": env}) as procs, api_client(timeout=10) as http:
        url = procs["dashboard"].url
        page = await http.get(f"{url}/")
        figures = (await http.get(f"{url}/api/overview")).json()
    assert page.status_code == 200 and 'content="30"' in page.text
    assert figures["timezone"] == "Asia/Makassar" and figures["totals"]["schools"] == 0
    assert [q["queue"] for q in figures["queues"]] == topology.all_queues()
    assert figures["dlq_total"] == 0
