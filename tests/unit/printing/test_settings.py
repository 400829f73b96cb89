"""Printing settings from the environment: printers per unit, office, retry policy."""

from datetime import timedelta
from pathlib import Path

import pytest

from services.printing.settings import PrintingSettings


def test_defaults_and_per_unit_printers(tmp_path):
    settings = PrintingSettings(PRINTING_SPOOL_DIR=str(tmp_path))
    spool = settings.printer_settings("unit-1")
    assert (spool.kind, spool.spool_dir) == ("spool", tmp_path / "unit-1")
    assert settings.retry_policy.base == timedelta(seconds=30) and settings.retry_policy.max_attempts == 5
    assert settings.retry_base_s == 0.2  # the platform's own consumer back-off is a different knob
    assert settings.office.regency == "KABUPATEN TANGERANG" and str(settings.tz) == "Asia/Jakarta"


def test_cups_destination_per_unit_and_options():
    settings = PrintingSettings(PRINTING_PRINTER="cups", PRINTING_CUPS_DESTINATION="card-{unit_id}",
                                PRINTING_LP_OPTIONS="media=CR80, sides=two-sided-long-edge",
                                PRINTING_CUPS_SERVER="cups.local:631")
    printer = settings.printer_settings("unit-7")
    assert printer.cups_destination == "card-unit-7" and printer.cups_server == "cups.local:631"
    assert printer.lp_options == ("media=CR80", "sides=two-sided-long-edge")


@pytest.mark.parametrize("unit_id", ["../etc", "unit 1", "", "a/b"])
def test_unit_ids_that_cannot_name_a_printer_are_refused(unit_id):
    with pytest.raises(ValueError, match="unit_id"):
        PrintingSettings(PRINTING_SPOOL_DIR=str(Path("/tmp"))).printer_settings(unit_id)
