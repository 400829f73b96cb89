"""`jemput schools import`, `jemput plan`, `jemput visits` against a running service."""

from __future__ import annotations

import asyncio

from typer.testing import CliRunner

from services.scheduling.settings import SchedulingSettings
from shared.cli import cli
from shared.testing import api_client, cli_token, running_service

CSV = (
    "npsn;nama;jenjang;status;kecamatan;alamat;siap_rekam\n"
    "20698001;SMAN 1 Contoh;SMA;negeri;Cikupa;Jl. Contoh 1;120\n"
    "20698002;SMKN 1 Contoh;SMK;negeri;Cikupa;Jl. Contoh 2;30\n"
    "20698003;SD 1 Contoh;SD;negeri;Cikupa;Jl. Contoh 3;30\n"
)


async def test_cli_import_plan_and_visits(settings_for, tmp_path):
    path = tmp_path / "sekolah.csv"
    path.write_text(CSV)
    runner = CliRunner()
    settings = settings_for("scheduling", SchedulingSettings, JEMPUT_TODAY="2027-05-04")
    async with running_service("scheduling", settings) as svc:
        async with api_client(svc.url) as http:
            await http.put("/units/TGR-1", json={"unit_id": "TGR-1", "name": "Unit 1", "recording_capacity": 150,
                                                 "printing_capacity": 150})
        env = {"JEMPUT_SCHEDULING_URL": svc.url, "COLUMNS": "200", "JEMPUT_TOKEN": cli_token("supervisor")}

        def run(*args: str):
            return runner.invoke(cli, list(args), env=env)

        imported = await asyncio.to_thread(run, "schools", "import", str(path))
        assert imported.exit_code == 2, imported.output  # some rows need fixing
        assert "2 registered" in imported.output
        assert "4" in imported.output and "kind" in imported.output and "must be one of SMA, SMK, MA, SLB" in imported.output

        dry = await asyncio.to_thread(run, "plan", "--start", "2027-05-05", "--dry-run")
        assert dry.exit_code == 0, dry.output
        assert "dry run, not committed" in dry.output and "lower bound 1" in dry.output
        assert "SMAN 1 Contoh" in dry.output
        assert await svc.runtime.db["visits"].count_documents({}) == 0

        committed = await asyncio.to_thread(run, "plan", "--start", "2027-05-05")
        assert committed.exit_code == 0, committed.output
        assert await svc.runtime.db["visits"].count_documents({}) == 2

        listed = await asyncio.to_thread(run, "visits", "--date", "2027-05-05")
        assert listed.exit_code == 0, listed.output
        assert "20698001" in listed.output and "20698002" in listed.output and "scheduled" in listed.output
        none = await asyncio.to_thread(run, "visits", "--date", "2027-05-06")
        assert "no visits" in none.output

        bad = await asyncio.to_thread(run, "plan", "--start", "2027-05-01")
        assert bad.exit_code == 1 and "HTTP 422" in bad.output

        # without a token (JEMPUT_TOKEN) the service refuses, and the command says why
        anonymous = await asyncio.to_thread(runner.invoke, cli, ["visits"], env={**env, "JEMPUT_TOKEN": ""})
        assert anonymous.exit_code == 1 and "HTTP 401" in anonymous.output and "bearer token" in anonymous.output
        # an operator may list visits but not commit a plan
        operator = await asyncio.to_thread(runner.invoke, cli, ["plan", "--start", "2027-05-05"],
                                           env={**env, "JEMPUT_TOKEN": cli_token("operator")})
        assert operator.exit_code == 1 and "HTTP 403" in operator.output

    gone = await asyncio.to_thread(runner.invoke, cli, ["visits"], env={"JEMPUT_SCHEDULING_URL": "http://127.0.0.1:9"})
    assert gone.exit_code == 1 and "cannot reach the scheduling service" in gone.output
