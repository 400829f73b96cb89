"""The CUPS adapter against a real CUPS server: a job refused while the queue rejects jobs is
`failed` and retried; once the queue accepts, the card prints, byte for byte the PDF."""

from __future__ import annotations

import pytest

from shared.testing import EventTap, running_service

from . import cups
from .helpers import card_requested, eventually, pdf_pages, printing_settings, publish

pytestmark = pytest.mark.skipif(not cups.available(),
                                reason="CUPS not installed: apt-get install cups-daemon cups-client")


@pytest.fixture
def cups_server(tmp_path_factory):
    server = cups.start(tmp_path_factory.mktemp("cups"))
    yield server
    server.stop()


async def test_real_cups_refusal_is_retried_then_prints(settings_for, rabbit_url, topology, tmp_path, cups_server):
    cups_server.add_printer("card-unit-1")
    cups_server.accept("card-unit-1", False)  # the operator paused the queue
    settings = printing_settings(settings_for, tmp_path, PRINTING_PRINTER="cups", PRINTING_CUPS_SERVER=cups_server.server,
                                 PRINTING_CUPS_DESTINATION="card-{unit_id}", PRINTING_RETRY_BASE_S="0.3")
    async with (
        running_service("printing", settings) as printing,
        EventTap(rabbit_url, topology.exchange_name("events")) as tap,
    ):
        station = printing.runtime.state["station"]
        await station.receive_stock("unit-1", "B1", 5, "op-1")
        event = card_requested(1)
        await publish(rabbit_url, topology.exchange_name("restricted"), event)
        [failed] = await tap.wait_for("card.print_failed")
        assert failed["body"]["data"]["will_retry"] is True
        assert "not accepting jobs" in failed["body"]["data"]["reason"]

        cups_server.accept("card-unit-1", True)
        [printed] = await tap.wait_for("card.printed")
        assert printed["body"]["data"]["card_serial"] == "B1-000001"

        async def captured():
            return cups_server.jobs_of("card-unit-1")

        [job_file] = await eventually(captured)
        pages = pdf_pages(job_file.read_bytes())
        assert len(pages) == 2 and "No. Seri Kartu: B1-000001" in pages[1].extract_text()
        assert event.data["card"]["nik"] in pages[0].extract_text()
