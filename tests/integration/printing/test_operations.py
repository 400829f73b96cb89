"""Operators' side against the real broker and database: printer failures and retries (CUPS via
`lp`), spoils and audited reprints, handover and uncollected cards, poison requests, the CLI."""

from __future__ import annotations

import asyncio
import stat
import sys

from typer.testing import CliRunner

from shared.cli import cli
from shared.testing import EventTap, api_client, cli_token, get_messages, running_service

from .helpers import card_requested, eventually, pdf_pages, printing_settings, publish


def fake_lp(tmp_path, fail_first: int):
    """An `lp` that refuses the first `fail_first` jobs, then accepts and keeps the PDFs.
    CUPS is not installed here; the adapter runs this exactly as it would run `lp`."""
    script = tmp_path / "lp"
    script.write_text(f"""#!{sys.executable}
import pathlib, sys
state = pathlib.Path({str(tmp_path)!r}) / "calls"
calls = int(state.read_text()) + 1 if state.exists() else 1
state.write_text(str(calls))
data = sys.stdin.buffer.read()
if calls <= {fail_first}:
    print("lp: Unable to connect to printer; will retry", file=sys.stderr)
    sys.exit(1)
(pathlib.Path({str(tmp_path)!r}) / f"printed-{{calls}}.pdf").write_bytes(data)
print(f"request id is {{sys.argv[2]}}-{{calls}} (1 file(s))")
""")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


async def test_printer_errors_become_failed_and_are_retried(settings_for, rabbit_url, topology, tmp_path):
    lp = fake_lp(tmp_path, fail_first=2)
    settings = printing_settings(settings_for, tmp_path, PRINTING_PRINTER="cups",
                                 PRINTING_CUPS_DESTINATION="card-{unit_id}", PRINTING_LP_COMMAND=str(lp))
    async with (
        running_service("printing", settings) as printing,
        EventTap(rabbit_url, topology.exchange_name("events")) as tap,
        api_client(printing.url) as http,
    ):
        await http.post("/stock/unit-1/receipts", json={"batch_no": "B1", "quantity": 10, "by": "op-1"})
        event = card_requested(1)
        await publish(rabbit_url, topology.exchange_name("restricted"), event)
        failures = await tap.wait_for("card.print_failed", count=2)
        assert [f["body"]["data"]["attempt"] for f in failures] == [1, 2]
        assert all(f["body"]["data"]["will_retry"] for f in failures)
        assert "Unable to connect to printer" in failures[0]["body"]["data"]["reason"]
        [printed] = await tap.wait_for("card.printed")
        assert printed["body"]["data"]["card_serial"] == "B1-000001"  # the released blank, reused
        assert len(pdf_pages((tmp_path / "printed-3.pdf").read_bytes())) == 2
        job = (await http.get(f"/jobs/{event.id}")).json()
        assert job["status"] == "printed" and job["attempts"] == 3
        assert [h["action"] for h in job["history"]].count("print failed") == 2
        stock = (await http.get("/stock/unit-1")).json()
        assert (stock["issued"], stock["spoiled"], stock["in_printer"], stock["remaining"]) == (1, 0, 0, 9)


async def test_failing_printer_needs_an_operator_after_the_last_attempt(settings_for, rabbit_url, topology, tmp_path):
    lp = fake_lp(tmp_path, fail_first=99)
    settings = printing_settings(settings_for, tmp_path, PRINTING_PRINTER="cups", PRINTING_MAX_ATTEMPTS=2,
                                 PRINTING_CUPS_DESTINATION="card-{unit_id}", PRINTING_LP_COMMAND=str(lp))
    async with (
        running_service("printing", settings) as printing,
        EventTap(rabbit_url, topology.exchange_name("events")) as tap,
        api_client(printing.url) as http,
    ):
        await http.post("/stock/unit-1/receipts", json={"batch_no": "B1", "quantity": 3, "by": "op-1"})
        event = card_requested(1)
        await publish(rabbit_url, topology.exchange_name("restricted"), event)
        failures = await tap.wait_for("card.print_failed", count=2)
        assert [f["body"]["data"]["will_retry"] for f in failures] == [True, False]
        await asyncio.sleep(0.6)
        assert len(tap.of_type("card.print_failed")) == 2  # no automatic third attempt
        queue = (await http.get("/queue", params={"unit_id": "unit-1"})).json()
        assert queue[0]["status"] == "failed" and queue[0]["needs_attention"]
        assert (await http.get("/stock/unit-1")).json()["available"] == 3  # no blank lost

        (tmp_path / "calls").write_text("1000")  # the printer is fixed: past the failing calls
        response = await http.post(f"/jobs/{event.id}/retry", json={"by": "op-2"})
        assert response.status_code == 200 and response.json()["status"] in ("queued", "printing", "printed")
        await tap.wait_for("card.printed")


async def test_spoil_reprint_handover_and_uncollected(settings_for, rabbit_url, topology, tmp_path):
    async with (
        running_service("printing", printing_settings(settings_for, tmp_path)) as printing,
        EventTap(rabbit_url, topology.exchange_name("events")) as tap,
        api_client(printing.url) as http,
    ):
        await http.post("/stock/unit-1/receipts", json={"batch_no": "B1", "quantity": 10, "by": "op-1"})
        first, second = card_requested(1, npsn="20600001"), card_requested(2, npsn="20600001")
        for event in (first, second):
            await publish(rabbit_url, topology.exchange_name("restricted"), event)
        await tap.wait_for("card.printed", count=2)

        uncollected = (await http.get("/schools/20600001/uncollected")).json()
        assert [j["job_id"] for j in uncollected] == [first.id, second.id]

        # the first card fails the check before handover: spoiled, then an audited reprint
        spoiled = await http.post(f"/jobs/{first.id}/spoil", json={"reason": "photo smudged", "by": "op-1"})
        assert spoiled.status_code == 200 and spoiled.json()["status"] == "spoiled"
        [failed] = await tap.wait_for("card.print_failed")
        assert failed["body"]["data"]["reason"] == "spoiled: photo smudged"
        missing_note = await http.post(f"/jobs/{first.id}/reprint", json={"reason": "misprint", "note": "", "by": "op"})
        assert missing_note.status_code == 422
        reprint = await http.post(f"/jobs/{first.id}/reprint",
                                  json={"reason": "misprint", "note": "photo smudged", "by": "op-1"})
        assert reprint.status_code == 200
        printed = await tap.wait_for("card.printed", count=3)
        assert printed[-1]["body"]["data"]["reprint"] is True
        assert printed[-1]["body"]["data"]["card_serial"] == "B1-000003"
        detail = (await http.get(f"/jobs/{first.id}")).json()
        audit = [h for h in detail["history"] if h["action"] == "reprint requested"]
        assert audit[0]["by"] == "op-1" and audit[0]["reason"] == "misprint: photo smudged"
        # the reprint is in the service's audit log: a supervisor's act, readable by an auditor only
        async with api_client(printing.url, "operator") as operator:
            refused = await operator.post(f"/jobs/{first.id}/reprint",
                                          json={"reason": "misprint", "note": "again", "by": "op-1"})
            assert refused.status_code == 403
            assert (await operator.get("/audit")).status_code == 403
        async with api_client(printing.url, "auditor") as auditor:
            [record] = (await auditor.get("/audit")).json()
            assert (await auditor.get("/audit/verify")).json()["ok"] is True
        assert (record["action"], record["target"], record["role"]) == ("card.reprinted", first.id, "admin")
        assert record["details"]["reason"] == "misprint" and record["details"]["by"] == "op-1"

        # a printed card cannot be reprinted without a reason; a queued one cannot be handed over
        bad = await http.post(f"/jobs/{second.id}/reprint", json={"reason": "lost", "note": "x", "by": "op"})
        assert bad.status_code == 422

        handed = await http.post(f"/jobs/{second.id}/handover", json={"by": "op-7"})
        assert handed.status_code == 200 and handed.json()["handed_over_by"] == "op-7"
        [handover] = await tap.wait_for("card.handed_over")
        assert handover["body"]["data"]["card_serial"] == "B1-000002"
        assert handover["body"]["data"]["handed_over_by"] == "op-7"
        again = await http.post(f"/jobs/{second.id}/reprint", json={"reason": "damaged", "note": "x", "by": "op"})
        assert again.status_code == 409 and "new card request" in again.json()["detail"]
        assert (await http.get(f"/jobs/{second.id}/card.pdf")).status_code == 410  # personal data removed
        stored = await printing.runtime.db["print_jobs"].find_one({"_id": second.id})
        assert stored["images"] is None and stored["data"]["fields"] is None

        uncollected = (await http.get("/schools/20600001/uncollected")).json()
        assert [j["job_id"] for j in uncollected] == [first.id]
        stock = (await http.get("/stock/unit-1")).json()
        assert (stock["issued"], stock["spoiled"], stock["remaining"], stock["balanced"]) == (2, 1, 7, True)

        card = await http.get(f"/jobs/{first.id}/card.pdf")
        assert card.status_code == 200 and card.headers["content-type"] == "application/pdf"
        assert "No. Seri Kartu: B1-000003" in pdf_pages(card.content)[1].extract_text()
        assert (await http.get(f"/jobs/{first.id}/certificate.pdf")).status_code == 404  # none was needed
        preview = await http.get(f"/jobs/{first.id}/preview.png")
        assert preview.status_code == 200 and preview.content.startswith(b"\x89PNG")
        assert (await http.get("/jobs/nope")).status_code == 404
        assert (await http.post("/jobs/nope/handover", json={"by": "op"})).status_code == 404
        bad_unit = await http.post("/stock/unit%201/receipts", json={"batch_no": "B1", "quantity": 1, "by": "op"})
        assert bad_unit.status_code == 422
        bad_batch = await http.post("/stock/unit-1/receipts", json={"batch_no": "", "quantity": 1, "by": "op"})
        assert bad_batch.status_code == 422 and bad_batch.json()["detail"][0]["loc"] == ["body", "batch_no"]
        too_many = await http.post("/stock/unit-1/write-offs", json={"quantity": 50, "reason": "wet", "by": "op"})
        assert too_many.status_code == 409 and "only 7 available" in too_many.json()["detail"]
        spec = (await http.get("/openapi.json")).json()
        assert {"/queue", "/jobs/{job_id}/reprint", "/stock/{unit_id}/receipts"} <= set(spec["paths"])


async def test_unprintable_request_goes_to_the_dlq_with_the_field(settings_for, rabbit_url, topology, tmp_path):
    async with running_service("printing", printing_settings(settings_for, tmp_path)) as printing:
        broken = card_requested(1, photo=b"\xff\xd8\xff\xe0 not really a jpeg")
        await publish(rabbit_url, topology.exchange_name("restricted"), broken)
        dlq = topology.dlq_name(topology.queue_name("printing", "restricted"))

        async def dead():
            return await get_messages(rabbit_url, dlq)

        [message] = await eventually(dead)
        assert message.headers["x-jemput-reason"] == "data.photo_jpeg_b64: the image cannot be decoded"
        assert await printing.runtime.db["print_jobs"].count_documents({}) == 0
        async with api_client(printing.url) as http:
            [refused] = (await http.get("/card-requests", params={"outcome": "refused"})).json()
        assert refused["event_id"] == broken.id and refused["request_id"] == "REQ-0001"
        assert refused["reason"] == "data.photo_jpeg_b64: the image cannot be decoded"


async def test_cli_queue_receive_and_report(settings_for, rabbit_url, topology, tmp_path, monkeypatch):
    runner = CliRunner()
    async with (
        running_service("printing", printing_settings(settings_for, tmp_path)) as printing,
        EventTap(rabbit_url, topology.exchange_name("events")) as tap,
    ):
        monkeypatch.setenv("JEMPUT_PRINTING_URL", printing.url)
        monkeypatch.setenv("JEMPUT_TOKEN", cli_token("operator"))
        monkeypatch.setenv("COLUMNS", "160")

        async def jemput(*args: str):
            return await asyncio.to_thread(runner.invoke, cli, list(args))

        event = card_requested(1)
        await publish(rabbit_url, topology.exchange_name("restricted"), event)
        await tap.wait_for("certificate.issued")
        result = await jemput("print", "queue", "--unit", "unit-1")
        assert result.exit_code == 0, result.output
        assert "S-0001" in result.output and "waiting for blanks" in result.output

        result = await jemput("stock", "receive", "unit-1", "B9", "4", "--by", "op-1")
        assert result.exit_code == 0, result.output
        assert "4 blanks (batch B9)" in result.output and "balanced" in result.output
        await tap.wait_for("card.printed")

        conflict = await jemput("stock", "receive", "unit-1", "B9", "5")
        assert conflict.exit_code == 1 and "already received with 4 blanks" in conflict.output

        result = await jemput("stock", "report", "unit-1")
        assert result.exit_code == 0, result.output
        row = next(line for line in result.output.splitlines() if "unit-1" in line)
        assert [cell.strip() for cell in row.strip("│ ").split("│")] == ["unit-1", "0", "4", "1", "0", "3", "B9", "yes"]
        assert (await jemput("stock", "report", "--day", "yesterday")).exit_code != 0

    monkeypatch.setenv("JEMPUT_PRINTING_URL", "http://127.0.0.1:9")
    unreachable = await asyncio.to_thread(runner.invoke, cli, ["print", "queue", "--unit", "unit-1"])
    assert unreachable.exit_code == 2 and "cannot reach the printing service" in unreachable.output


async def test_stock_write_off_threshold_and_daily_report(settings_for, rabbit_url, topology, tmp_path):
    async with (
        running_service("printing", printing_settings(settings_for, tmp_path)) as printing,
        EventTap(rabbit_url, topology.exchange_name("events")) as tap,
        api_client(printing.url) as http,
    ):
        assert (await http.get("/stock/unit-3")).json()["received"] == 0  # never stocked: empty ledger
        await http.post("/stock/unit-3/receipts", json={"batch_no": "B1", "quantity": 10, "by": "op-1"})
        await http.post("/stock/unit-3/receipts", json={"batch_no": "B2", "quantity": 5, "by": "op-1"})
        again = await http.post("/stock/unit-3/receipts", json={"batch_no": "B1", "quantity": 10, "by": "op-1"})
        assert again.status_code == 201 and again.json()["received"] == 15  # the same receipt twice: once
        off = await http.post("/stock/unit-3/write-offs", json={"quantity": 2, "reason": "wet", "by": "op-2"})
        assert off.status_code == 200
        assert (off.json()["spoiled"], off.json()["remaining"], off.json()["balanced"]) == (2, 13, True)
        raised = await http.put("/stock/unit-3/threshold", json={"threshold": 20})
        assert raised.status_code == 200
        [low] = await tap.wait_for("stock.low")
        assert (low["body"]["data"]["remaining"], low["body"]["data"]["threshold"]) == (13, 20)
        stock = (await http.get("/stock/unit-3")).json()
        assert stock["low"] and [b["batch_no"] for b in stock["batches"]] == ["B1", "B2"]
        report = (await http.get("/stock/unit-3/report")).json()
        assert (report["opening"], report["received"], report["spoiled"], report["closing"]) == (0, 15, 2, 13)
        assert report["batches_received"] == ["B1", "B2"] and report["balanced"]
        earlier = (await http.get("/stock/unit-3/report", params={"day": "2020-01-01"})).json()
        assert (earlier["received"], earlier["closing"]) == (0, 0)
        assert [r["unit_id"] for r in (await http.get("/stock-report")).json()] == ["unit-3"]
