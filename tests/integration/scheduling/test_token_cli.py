"""`jemput token issue`: a token is printed only once the scheduling service has audited its
issuance; the token then works for its role only."""

from __future__ import annotations

import asyncio

import httpx
from typer.testing import CliRunner

from shared.cli import cli
from shared.testing import TEST_AUTH_KEYS, api_client, running_service


async def test_issued_tokens_are_audited_and_work_for_their_role(settings_for):
    runner = CliRunner()
    async with running_service("scheduling", settings_for("scheduling")) as svc:
        env = {"JEMPUT_AUTH_KEYS": TEST_AUTH_KEYS, "JEMPUT_SCHEDULING_URL": svc.url, "USER": "admin-rina"}

        def run(*args: str, **extra: str):
            return runner.invoke(cli, ["token", "issue", *args], env={**env, **extra})

        issued = await asyncio.to_thread(run, "--role", "school", "--subject", "sman99", "--npsn", "20612345",
                                         "--ttl", "24")
        assert issued.exit_code == 0, issued.output
        token = issued.stdout.strip().splitlines()[-1]
        assert "school token for sman99 (school 20612345)" in issued.stderr and "audit record 1" in issued.stderr

        async with httpx.AsyncClient(base_url=svc.url, headers={"Authorization": f"Bearer {token}"}) as school:
            assert (await school.get("/visits")).status_code == 200
            assert (await school.get("/schools/20612345")).status_code == 404  # its own: allowed, not registered
            assert (await school.get("/schools/20699999")).status_code == 403  # another school's
            assert (await school.get("/units")).status_code == 403

        async with api_client(svc.url, "auditor") as auditor:
            [record] = (await auditor.get("/audit", params={"action": "token.issued"})).json()
        assert (record["target"], record["role"]) == ("sman99", "admin")
        assert record["actor"] == "token-cli:admin-rina"
        assert record["details"]["role"] == "school" and record["details"]["npsn"] == "20612345"
        assert record["details"]["issued_by"] == "admin-rina" and token not in str(record)

        # bad input is refused before anything is signed, naming the option
        no_npsn = await asyncio.to_thread(run, "--role", "school", "--subject", "sman99")
        assert no_npsn.exit_code == 2 and "npsn: a school account needs" in no_npsn.stderr
        no_keys = await asyncio.to_thread(run, "--role", "operator", "--subject", "op", JEMPUT_AUTH_KEYS="")
        assert no_keys.exit_code == 2 and "JEMPUT_AUTH_KEYS is not set" in no_keys.stderr
        # a key the service does not know: the service refuses to record it, so no token
        other = await asyncio.to_thread(run, "--role", "operator", "--subject", "op",
                                        JEMPUT_AUTH_KEYS="test:" + "QUFB" * 11)
        assert other.exit_code == 1 and "not recorded (401" in other.stderr and other.stdout.strip() == ""

    # the service is unreachable: nothing is issued
    gone = await asyncio.to_thread(runner.invoke, cli, ["token", "issue", "--role", "operator", "--subject", "op"],
                                   env={**env, "JEMPUT_SCHEDULING_URL": "http://127.0.0.1:9"})
    assert gone.exit_code == 2 and "no token issued" in gone.stderr and gone.stdout.strip() == ""


def test_keygen_prints_a_usable_key():
    result = CliRunner().invoke(cli, ["token", "keygen", "--key-id", "2026-07"])
    assert result.exit_code == 0
    from shared.auth import parse_keys

    assert len(parse_keys(result.stdout.strip())["2026-07"]) == 32
