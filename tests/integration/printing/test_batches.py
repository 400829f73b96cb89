"""A pass prints a unit's ready jobs as a batch: one stock write loads the blanks of the whole
batch, one records them issued, in request order; the blanks that run out mid-batch leave the
rest of the queue with certificates, in order, and nothing is printed or published twice."""

from __future__ import annotations

from collections import Counter

from programme.counters import command_counter
from shared.testing import EventTap, api_client, running_service

from .helpers import card_requested, eventually, printing_settings, publish


async def test_a_batch_loads_and_issues_its_blanks_in_one_stock_write_each(settings_for, rabbit_url, topology,
                                                                            namespace, tmp_path):
    counter = command_counter()  # before the service's client exists, so that it reports
    restricted = topology.exchange_name("restricted")
    async with (
        running_service("printing", printing_settings(settings_for, tmp_path, PRINTING_BATCH="8")) as printing,
        EventTap(rabbit_url, topology.exchange_name("events")) as tap,
        api_client(printing.url) as http,
    ):
        station = printing.runtime.state["station"]
        assert (await http.post("/stock/unit-1/receipts", json={"batch_no": "B1", "quantity": 3, "by": "op-1"}
                                )).status_code == 201
        requests = [card_requested(n) for n in range(1, 7)]
        async with station._pass_lock:  # the print loop waits while the six requests queue up
            for event in reversed(requests):  # arrival order is not request order
                await publish(rabbit_url, restricted, event)

            async def queued():
                return len((await http.get("/queue", params={"unit_id": "unit-1"})).json()) == 6

            await eventually(queued)
        with counter.counting(namespace) as counts:
            printed = await tap.wait_for("card.printed", count=3)
            certificates = await tap.wait_for("certificate.issued", count=3)
            counts_at_release = Counter(counts)

        serial_of = {p["body"]["data"]["job_id"]: p["body"]["data"]["card_serial"] for p in printed}
        assert serial_of == {e.id: f"B1-00000{i}" for i, e in enumerate(requests[:3], start=1)}  # FIFO
        assert {c["body"]["subject"] for c in certificates} == {e.id for e in requests[3:]}
        # blanks loaded, blanks issued: each one read and one write for the batch; the third write
        # is the relay pulling the stock.low the last blank raised out of the stock's outbox
        assert counts_at_release[("printing", "find", "blank_stock")] == 2, counts_at_release
        assert counts_at_release[("printing", "update", "blank_stock")] == 3, counts_at_release
        assert len(tap.of_type("stock.low")) == 1
        stock = (await http.get("/stock/unit-1")).json()
        assert (stock["issued"], stock["in_printer"], stock["remaining"], stock["balanced"]) == (3, 0, 0, True)

        async def settled():
            return await printing.runtime.relay.pending() == 0

        await eventually(settled)
        assert len(tap.of_type("card.printed")) == 3 and len(tap.of_type("certificate.issued")) == 3
