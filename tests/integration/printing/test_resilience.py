"""Crash safety and replicas: a stock movement left behind by a crash is applied by the sweep, and
two replicas sharing queue and database print every card exactly once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime


from services.printing.domain.print_job import PrintJob
from services.printing.synthetic import synthetic_request
from shared.testing import EventTap, api_client, running_service

from .helpers import card_requested, eventually, printing_settings, publish


async def left_printing(station, unit_id: str, started: datetime, *ns: int) -> list[PrintJob]:
    """Jobs as a process leaves them that took a blank, started printing, and died."""
    jobs = [PrintJob.from_request(synthetic_request(n, unit_id=unit_id), started) for n in ns]
    for job in jobs:
        _, serial = await station.stocks.update(unit_id, lambda s, j=job: (s.take_blank(j.job_id, started), []))
        job.start(serial, started)
        assert await station.jobs.create(job, None)
    return jobs


async def test_stock_action_left_by_a_crash_is_applied_by_the_sweep(settings_for, tmp_path):
    async with (
        running_service("printing", printing_settings(settings_for, tmp_path)) as printing,
        api_client(printing.url) as http,
    ):
        station = printing.runtime.state["station"]
        await http.post("/stock/unit-9/receipts", json={"batch_no": "B1", "quantity": 3, "by": "op-1"})
        now = datetime.now(UTC)
        job = PrintJob.from_request(synthetic_request(1, unit_id="unit-9"), now)
        _, serial = await station.stocks.update("unit-9", lambda s: (s.take_blank(job.job_id, now), []))
        job.start(serial, now)
        job.mark_printed(now)
        # the crash: the job's write (printed, with its stock action) landed, the stock's did not
        assert await station.jobs.create(job, None)
        action = {"id": uuid.uuid4().hex, "op": "issue", "serial": serial, "at": now, "reason": None}
        await station.jobs.collection.update_one({"_id": job.job_id}, {"$push": {"stock_actions": action}})
        assert (await http.get("/stock/unit-9")).json()["in_printer"] == 1

        async def applied():
            stock = (await http.get("/stock/unit-9")).json()
            return stock["issued"] == 1 and stock["in_printer"] == 0 and stock

        stock = await eventually(applied)
        assert stock["balanced"] and stock["remaining"] == 2
        doc = await station.jobs.collection.find_one({"_id": job.job_id})
        assert doc["stock_actions"] == []
        await station.apply_stock_actions()  # applying again (nothing pending) changes nothing
        assert (await http.get("/stock/unit-9")).json()["issued"] == 1


async def test_two_replicas_print_every_card_exactly_once(settings_for, rabbit_url, topology, tmp_path):
    settings = printing_settings(settings_for, tmp_path, PRINTING_POLL_S="0.05")
    async with (
        running_service("printing", settings) as first,
        running_service("printing", settings) as second,
        EventTap(rabbit_url, topology.exchange_name("events")) as tap,
        api_client(first.url) as http,
    ):
        await http.post("/stock/unit-1/receipts", json={"batch_no": "B1", "quantity": 20, "by": "op-1"})
        requests = [card_requested(n) for n in range(1, 13)]
        await asyncio.gather(*(publish(rabbit_url, topology.exchange_name("restricted"), e) for e in requests))
        await asyncio.gather(*(publish(rabbit_url, topology.exchange_name("restricted"), e) for e in requests[:4]))

        printed = await tap.wait_for("card.printed", count=12, timeout=30)
        await asyncio.sleep(1.0)
        # the relay publishes at least once: two replicas may both send one outbox event (same
        # id, consumers deduplicate); what must never happen is a second card for a job
        printed = list({p["body"]["id"]: p for p in tap.of_type("card.printed")}.values())
        assert len(printed) == 12
        assert sorted(p["body"]["data"]["job_id"] for p in printed) == sorted(e.id for e in requests)
        serials = [p["body"]["data"]["card_serial"] for p in printed]
        assert len(set(serials)) == 12
        async with api_client(second.url) as other:
            stock = (await other.get("/stock/unit-1")).json()
        assert (stock["issued"], stock["in_printer"], stock["remaining"], stock["balanced"]) == (12, 0, 8, True)
        assert len(list((tmp_path / "unit-1").glob("*.pdf"))) == 12


async def test_job_left_printing_by_a_crash_is_flagged_and_resolved_by_an_operator(settings_for, rabbit_url,
                                                                                    topology, tmp_path):
    from datetime import timedelta

    settings = printing_settings(settings_for, tmp_path, PRINTING_PRINTER_TIMEOUT_S="1")
    async with (
        running_service("printing", settings) as printing,
        EventTap(rabbit_url, topology.exchange_name("events")) as tap,
        api_client(printing.url) as http,
    ):
        station = printing.runtime.state["station"]
        await http.post("/stock/unit-8/receipts", json={"batch_no": "B1", "quantity": 3, "by": "op-1"})
        crashed, spoiled = await left_printing(station, "unit-8", datetime.now(UTC) - timedelta(minutes=5), 1, 2)

        queue = (await http.get("/queue", params={"unit_id": "unit-8"})).json()
        assert [(j["status"], j["stuck"]) for j in queue] == [("printing", True), ("printing", True)]

        ok = await http.post(f"/jobs/{crashed.job_id}/confirm-printed", json={"by": "op-3"})
        assert ok.status_code == 200 and ok.json()["status"] == "printed"
        [printed] = await tap.wait_for("card.printed")
        assert printed["body"]["data"]["card_serial"] == "B1-000001"
        bad = await http.post(f"/jobs/{spoiled.job_id}/spoil", json={"reason": "card jammed", "by": "op-3"})
        assert bad.status_code == 200 and bad.json()["status"] == "spoiled"
        stock = (await http.get("/stock/unit-8")).json()
        assert (stock["issued"], stock["spoiled"], stock["in_printer"], stock["remaining"]) == (1, 1, 0, 1)
        again = await http.post(f"/jobs/{crashed.job_id}/confirm-printed", json={"by": "op-3"})
        assert again.status_code == 409


async def test_a_job_whose_card_reached_the_printer_before_the_crash_is_recorded_printed(settings_for, rabbit_url,
                                                                                        topology, tmp_path):
    """The spool printer's file appears atomically: when it is there, the card went to the
    printer, and the service records the stuck job printed by itself, once."""
    settings = printing_settings(settings_for, tmp_path, PRINTING_PRINTER_TIMEOUT_S="0.2", PRINTING_STUCK_GRACE_S="0.3")
    async with (
        running_service("printing", settings) as printing,
        EventTap(rabbit_url, topology.exchange_name("events")) as tap,
        api_client(printing.url) as http,
    ):
        station = printing.runtime.state["station"]
        await http.post("/stock/unit-7/receipts", json={"batch_no": "B1", "quantity": 2, "by": "op-1"})
        sent, lost = await left_printing(station, "unit-7", datetime.now(UTC), 1, 2)
        spool = tmp_path / "unit-7"
        spool.mkdir(parents=True, exist_ok=True)
        (spool / f"{sent.job_id}-01.pdf").write_bytes(b"%PDF-1.4 the card as it was sent\n")  # sent had got there

        [printed] = await tap.wait_for("card.printed")
        assert printed["body"]["data"]["job_id"] == sent.job_id and printed["body"]["data"]["card_serial"] == "B1-000001"
        job = (await http.get(f"/jobs/{sent.job_id}")).json()
        assert job["status"] == "printed"

        # the other left no trace at the printer: it stays for an operator, who finds no card
        async def flagged():
            return (await http.get(f"/jobs/{lost.job_id}")).json()["stuck"]

        await eventually(flagged)
        assert (await http.get(f"/jobs/{lost.job_id}")).json()["status"] == "printing"
        answer = await http.post(f"/jobs/{lost.job_id}/not-printed", json={"by": "op-3"})
        assert answer.status_code == 200, answer.text
        reprinted = await tap.wait_for("card.printed", count=2)
        assert {p["body"]["data"]["job_id"] for p in reprinted} == {sent.job_id, lost.job_id}
        assert [f["body"]["data"]["reason"] for f in tap.of_type("card.print_failed")] == [
            "not printed: no card came out (an operator checked)"]
        again = await http.post(f"/jobs/{lost.job_id}/not-printed", json={"by": "op-3"})
        assert again.status_code == 409  # printed now: nothing to undo

        await asyncio.sleep(0.6)  # more sweeps: nothing recorded twice
        assert len(tap.of_type("card.printed")) == 2
        stock = (await http.get("/stock/unit-7")).json()
        assert (stock["issued"], stock["in_printer"], stock["remaining"], stock["balanced"]) == (2, 0, 0, True)
