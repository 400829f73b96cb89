"""The dashboard as an outside subscriber: real events on the real broker, its own database,
the page and the JSON with the figures, and DLQ depths read from the broker."""

from __future__ import annotations

import asyncio

from typer.testing import CliRunner

from services.dashboard.cli import dashboard_app

from services.dashboard.settings import DashboardSettings
from shared.testing import api_client, cli_token, running_service

from .helpers import EXPECTED_TOTALS, eventually, programme, publish_all, publish_raw


async def wait_for_figures(url: str) -> dict:
    async with api_client(url, timeout=10) as http:
        async def ready() -> dict | None:
            body = (await http.get("/api/overview")).json()
            done = body["totals"] == EXPECTED_TOTALS and body["dlq_total"] == 1 \
                and body["visit_counts"] == {"cancelled": 1, "completed": 1, "rescheduled": 1, "scheduled": 1}
            return body if done else None

        try:
            return await eventually(ready)
        except TimeoutError:
            raise AssertionError(f"figures never settled: {(await http.get('/api/overview')).json()}") from None


async def test_public_events_become_the_figures_of_the_page_and_json(settings_for, rabbit_url, topology):
    settings = settings_for("dashboard", DashboardSettings)
    async with running_service("dashboard", settings) as svc:
        await publish_all(rabbit_url, topology.exchange_name("events"), programme())
        await publish_raw(rabbit_url, topology.exchange_name("events"), "school.registered", b"{not json")
        body = await wait_for_figures(svc.url)

        schools = {s["npsn"]: s for s in body["schools"]}
        a, b = schools["20600001"], schools["20600002"]
        assert (a["name"], a["target"], a["target_source"]) == ("SMAN 1 Contoh Tangerang", 100, "roster")
        assert (a["recorded"], a["printed"], a["handed_over"], a["certificates"], a["absent"]) == (3, 2, 1, 1, 1)
        assert (b["target"], b["target_source"], b["visits_open"]) == (60, "visits", 2)
        assert [(d["day"], d["recorded"], d["printed"], d["certificates"]) for d in body["days"]] == [
            ("2026-05-06", 2, 2, 0), ("2026-05-07", 1, 0, 1)]
        unit1 = next(u for u in body["units"] if u["unit_id"] == "unit-1")
        assert (unit1["cards_printed"], unit1["reprints"], unit1["printed"], unit1["certificates"]) == (3, 1, 2, 1)
        assert (unit1["stock"]["last_reported"], unit1["stock"]["printed_since"], unit1["stock"]["estimate"]) == (4, 2, 2)
        assert [(v["visit_id"], v["date"], v["status"], v["catch_up"]) for v in body["upcoming_visits"]] == [
            ("V-B1", "2026-05-09", "rescheduled", False), ("V-B3", "2026-05-12", "scheduled", True)]

        queues = {q["queue"]: q for q in body["queues"]}
        assert set(queues) == set(topology.all_queues())
        assert queues[topology.queue_name("dashboard")]["dlq_depth"] == 1
        assert all(q["error"] is None for q in body["queues"])
        # services not running here keep their copies waiting in their own queues
        assert queues[topology.queue_name("enrollment")]["depth"] > 0

        # reordering and duplicates: the stored visit has its details and its newest status
        visit = await svc.runtime.db["visits"].find_one({"_id": "V-A1"})
        assert (visit["status"], visit["school_name"], visit["version"], visit["detail_version"]) == \
            ("completed", "SMAN 1 Contoh", 3, 1)

        async with api_client(svc.url, timeout=10) as http:
            page = await http.get("/")
            css = await http.get("/static/dashboard.css")
            missing = await http.get("/static/../app.py")
            since = (await http.get("/api/overview", params={"since": "2026-05-10"})).json()
            bad = await http.get("/api/overview", params={"since": "not-a-day"})
            health = await http.get("/readyz")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        for text in ("SMAN 1 Contoh Tangerang", "SMKN 2 Contoh", "<svg", "unit-1", "≈2", "ujian sekolah",
                     topology.dlq_name(topology.queue_name("dashboard"))):
            assert text in page.text, text
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
        assert missing.status_code == 404
        assert [v["visit_id"] for v in since["upcoming_visits"]] == ["V-B3"]
        assert bad.status_code == 422 and "since" in bad.text
        assert health.status_code == 200

        # the operator's command reads the same figures; dead letters make it exit 3
        env = {"JEMPUT_DASHBOARD_URL": svc.url, "COLUMNS": "200", "JEMPUT_TOKEN": cli_token("operator")}
        shown = await asyncio.to_thread(CliRunner().invoke, dashboard_app, ["show"], env=env)
        assert shown.exit_code == 3, shown.output
        assert "SMAN 1 Contoh Tangerang" in shown.output and "recorded 3" in shown.output
        assert f"{topology.dlq_name(topology.queue_name('dashboard'))} 1" in shown.output
        as_json = await asyncio.to_thread(CliRunner().invoke, dashboard_app, ["show", "--json"], env=env)
        assert as_json.exit_code == 0 and '"handed_over": 1' in as_json.output


def test_the_command_says_when_the_dashboard_cannot_be_reached() -> None:
    result = CliRunner().invoke(dashboard_app, ["show"], env={"JEMPUT_DASHBOARD_URL": "http://127.0.0.1:9"})
    assert result.exit_code == 2 and "cannot reach the dashboard" in result.output


async def test_the_dashboard_binds_the_public_exchange_only(settings_for, topology):
    assert set(topology.bindings("dashboard")) == {"events"}
    async with running_service("dashboard", settings_for("dashboard", DashboardSettings)) as svc:
        assert svc.runtime.topology.queue_name("dashboard") in topology.all_queues()
        assert topology.queue_name("dashboard", "restricted") not in topology.all_queues()
