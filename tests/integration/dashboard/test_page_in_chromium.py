"""The operations page in a real browser: headless Chromium loads it from the running dashboard
(its stylesheet included, nothing from outside) and saves a screenshot for people to look at:
tests/artifacts/dashboard.png."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

import pytest
from PIL import Image

from services.dashboard.settings import DashboardSettings
from shared.testing import cli_token, running_service

from .helpers import eventually, programme, publish_all

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--window-size=1280,1600"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="/usr/bin/chromium is absent: `apt-get install -y chromium` (Debian)")


async def chromium(*args: str, profile: str) -> bytes:
    process = await asyncio.create_subprocess_exec(
        str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), 90)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError("chromium did not finish within 90 s") from None
    assert process.returncode == 0, stderr.decode(errors="replace")[-2000:]
    return stdout


async def test_the_page_renders_in_headless_chromium(settings_for, rabbit_url, topology):
    settings = settings_for("dashboard", DashboardSettings, DASHBOARD_REFRESH_S=0)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACTS / "dashboard.png"
    screenshot.unlink(missing_ok=True)
    profile = tempfile.mkdtemp(prefix="jemput-chromium-")
    try:
        async with running_service("dashboard", settings) as svc:
            await publish_all(rabbit_url, topology.exchange_name("events"), programme())

            async def settled() -> bool:
                p = await svc.runtime.state["projections"].read()
                return len(p.visits) == 4 and p.students_by_school.get(("certificate", "20600001")) == 1

            await eventually(settled)
            signed_in = f"{svc.url}/login?token={cli_token('operator')}"  # sets the page's cookie
            dom = (await chromium("--dump-dom", signed_in, profile=profile)).decode()
            await chromium(f"--screenshot={screenshot}", signed_in, profile=profile)
    finally:
        shutil.rmtree(profile, ignore_errors=True)

    # the browser built the page: every section, the school names and the inline chart
    for text in ('id="schools"', 'id="days"', 'id="units"', 'id="visits"', 'id="queues"',
                 "SMAN 1 Contoh Tangerang", "SMKN 2 Contoh", "<polyline", "catch-up"):
        assert text in dom, text

    assert screenshot.stat().st_size > 20_000
    with Image.open(screenshot) as image:
        assert image.format == "PNG" and image.size == (1280, 1600)
        grey = image.convert("L")
        # not a blank page: dark text on light ground, and the stylesheet's coloured bars
        low, high = grey.getextrema()
        assert low < 80 and high > 230
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20) or []
        assert len(colours) > 200
        blue = sum(n for n, (r, g, b) in colours if b > 200 and r < 80 and 80 < g < 140)  # the "recorded" bar
        assert blue > 200, "the recorded bars are not drawn: is the stylesheet served?"
