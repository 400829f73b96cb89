"""`jemput roster import FILE` against a running enrollment service (a real subprocess)."""

import asyncio
import os
import sys

import enrollment_hostile as hostile
from enrollment_it import announce_schools_and_visit
from enrollment_synthetic import HOME_SCHOOL
from shared.testing import EventTap, cli_token, running_service
from test_enrollment_roster_import import hostile_csv


async def jemput(*args: str, url: str) -> tuple[int, str]:
    env = {**os.environ, "JEMPUT_ENROLLMENT_URL": url, "COLUMNS": "200", "NO_COLOR": "1",
           "JEMPUT_TOKEN": cli_token("operator")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "shared.cli", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await process.communicate()
    return process.returncode, out.decode()


async def test_roster_import_prints_the_report_table(enrollment_settings, simulator, rabbit_url,
                                                     topology, tmp_path):
    simulator.state.recorded.add(hostile.RECORDED_NIK)
    path = tmp_path / "roster-sman99.csv"
    path.write_bytes(hostile_csv())
    async with (
        running_service("enrollment", enrollment_settings()) as service,
        EventTap(rabbit_url, topology.exchange_name("restricted")),  # notifications' stand-in
    ):
        await announce_schools_and_visit(rabbit_url, topology, service)
        code, out = await jemput("roster", "import", str(path), url=service.url)
        assert code == 0, out
        assert "Verification of roster-sman99.csv" in out
        counts = hostile.expected_counts()
        school_line = next(line for line in out.splitlines() if line.strip("│ ").startswith(HOME_SCHOOL))
        cells = [c.strip() for c in school_line.strip("│ ").split("│")]
        # row 21 belongs to an unknown school; row 26's NIK is on no other roster here
        assert cells[:6] == [HOME_SCHOOL, str(len(hostile.ROWS) - 1), "1",
                             str(counts["ready_to_record"] + 1), "2", str(counts["invalid"] - 2)]
        assert "Rows to fix" in out and "day and month are swapped" in out
        assert "Not yet eligible" in out and "2028-02-29" in out

        code, out = await jemput("roster", "import", str(path), "--json", url=service.url)
        assert code == 0 and '"sums_to_total": true' in out

        bad = tmp_path / "bad.csv"
        bad.write_text("nama;kelas\nA;B\n")
        code, out = await jemput("roster", "import", str(bad), url=service.url)
        assert code == 1 and "required columns missing" in out


async def test_unreachable_service_is_said_plainly(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(hostile_csv())
    from shared.infra import free_port

    code, out = await jemput("roster", "import", str(path),
                             url=f"http://127.0.0.1:{free_port()}")
    assert code == 1 and "cannot reach the enrollment service" in out
