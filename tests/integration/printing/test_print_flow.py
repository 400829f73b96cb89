"""Printing against the real broker and database: a card request becomes exactly one printed card,
zero stock becomes certificates and, after a restock, cards printed in request order."""

from __future__ import annotations

import asyncio
import json

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from services.printing.domain.certificate import add_months
from shared.testing import EventTap, api_client, running_service

from .helpers import card_requested, eventually, pdf_pages, printing_settings, publish

MM = 72 / 25.4


async def test_one_job_and_one_card_under_duplicate_delivery(settings_for, rabbit_url, topology, tmp_path):
    restricted = topology.exchange_name("restricted")
    async with (
        running_service("printing", printing_settings(settings_for, tmp_path)) as printing,
        EventTap(rabbit_url, topology.exchange_name("events")) as tap,
        api_client(printing.url) as http,
    ):
        response = await http.post("/stock/unit-1/receipts", json={"batch_no": "B1", "quantity": 5, "by": "op-1"})
        assert response.status_code == 201, response.text

        event = card_requested(1)
        resent = card_requested(1)  # the same request again under a new event id
        for message in (event, event, resent):
            await publish(rabbit_url, restricted, message)

        [printed] = await tap.wait_for("card.printed")
        await asyncio.sleep(1.0)  # give a second print every chance to happen
        assert len(tap.of_type("card.printed")) == 1

        jobs = printing.runtime.db["print_jobs"]
        assert await jobs.count_documents({}) == 1
        job = await jobs.find_one({})
        assert job["_id"] == event.id and job["request_id"] == "REQ-0001" and job["outbox"] == []

        data = printed["body"]["data"]
        assert data["job_id"] == event.id and data["card_serial"] == "B1-000001" and data["reprint"] is False
        assert printed["body"]["causationid"] == event.id
        assert printed["body"]["correlationid"] == event.correlationid
        body = json.dumps(printed["body"])
        nik = event.data["card"]["nik"]
        assert nik not in body and event.data["card"]["name"] not in body  # public event: no personal data

        [pdf_file] = sorted((tmp_path / "unit-1").iterdir())
        pages = pdf_pages(pdf_file.read_bytes())
        assert len(pages) == 2
        assert float(pages[0].mediabox.width) / MM == pytest.approx(85.60, abs=0.005)
        assert float(pages[0].mediabox.height) / MM == pytest.approx(53.98, abs=0.005)
        front = pages[0].extract_text()
        assert nik in front and "SISWA CONTOH 1" in front and "KAB. TANGERANG" in front
        assert "No. Seri Kartu: B1-000001" in pages[1].extract_text()

        stock = (await http.get("/stock/unit-1")).json()
        assert (stock["received"], stock["issued"], stock["spoiled"], stock["remaining"]) == (5, 1, 0, 4)
        assert stock["balanced"]

        intake = {r["event_id"]: r for r in (await http.get("/card-requests")).json()}
        assert intake[event.id]["outcome"] == "queued" and intake[event.id]["job_id"] == event.id
        assert intake[resent.id]["outcome"] == "duplicate" and intake[resent.id]["job_id"] == event.id


async def test_zero_stock_certificates_then_restock_prints_in_order(settings_for, rabbit_url, topology, tmp_path):
    restricted = topology.exchange_name("restricted")
    async with (
        running_service("printing", printing_settings(settings_for, tmp_path)) as printing,
        EventTap(rabbit_url, topology.exchange_name("events")) as tap,
        api_client(printing.url) as http,
    ):
        requests = [card_requested(n) for n in (1, 2, 3)]
        for event in reversed(requests):  # arrival order is not request order
            await publish(rabbit_url, restricted, event)

        certificates = await tap.wait_for("certificate.issued", count=3)
        assert not tap.of_type("card.printed")
        by_job = {c["body"]["subject"]: c["body"]["data"] for c in certificates}  # subject: the job
        assert set(by_job) == {e.id for e in requests}
        queue = (await http.get("/queue", params={"unit_id": "unit-1"})).json()
        assert [j["job_id"] for j in queue] == [e.id for e in requests]  # FIFO by request time
        assert all(j["status"] == "queued" and j["waiting_for_stock"] for j in queue)

        certificate = await http.get(f"/jobs/{requests[0].id}/certificate.pdf")
        assert certificate.status_code == 200 and certificate.headers["content-type"] == "application/pdf"
        [page] = pdf_pages(certificate.content)
        assert float(page.mediabox.width) / MM == pytest.approx(210, abs=0.05)
        text = page.extract_text()
        data = by_job[requests[0].id]
        today = datetime.now(ZoneInfo("Asia/Jakarta")).date()
        assert data["request_id"] == "REQ-0001" and data["valid_until"] == add_months(today, 6).isoformat()
        assert f"Nomor: {data['certificate_id']}" in text and "SURAT KETERANGAN" in text
        assert "SISWA CONTOH 1" in text and "enam bulan" in text

        await asyncio.sleep(0.6)  # more passes of the print loop: no second certificate
        assert len(tap.of_type("certificate.issued")) == 3

        response = await http.post("/stock/unit-1/receipts", json={"batch_no": "B2", "quantity": 3, "by": "op-1"})
        assert response.status_code == 201
        printed = await tap.wait_for("card.printed", count=3)
        serial_of = {p["body"]["data"]["job_id"]: p["body"]["data"]["card_serial"] for p in printed}
        assert [serial_of[e.id] for e in requests] == ["B2-000001", "B2-000002", "B2-000003"]

        [low] = await tap.wait_for("stock.low")  # threshold 1: the last blank went
        assert low["body"]["data"]["remaining"] == 0 and low["body"]["data"]["unit_id"] == "unit-1"
        stock = (await http.get("/stock/unit-1")).json()
        assert (stock["received"], stock["issued"], stock["remaining"], stock["balanced"]) == (3, 3, 0, True)


        async def outboxes_empty():  # the relay pulls an event out just after the broker confirms it
            return await printing.runtime.relay.pending() == 0

        await eventually(outboxes_empty)
