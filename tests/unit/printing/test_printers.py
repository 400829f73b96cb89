"""Printer adapters: the spool directory and CUPS through `lp`.

CUPS is not installed on the test machine, so `lp` is played by small executables written
by the test: the adapter runs them as real subprocesses, exactly as it would run `lp`.
"""

import os
import stat
import sys
from pathlib import Path

import pytest

from services.printing.adapters.printers import (
    CupsPrinter, PrintDocument, PrinterError, PrinterSettings, SpoolDirectoryPrinter, build_printer,
)

PDF = b"%PDF-1.4 synthetic\n%%EOF\n"


def doc(attempt: int = 1) -> PrintDocument:
    return PrintDocument(job_id="job-1", attempt=attempt, title="KTP-el B1-000001", pdf=PDF)


def script(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(f"#!{sys.executable}\n{body}")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


async def test_spool_writes_the_pdf_atomically(tmp_path):
    receipt = await SpoolDirectoryPrinter(tmp_path).submit(doc())
    assert receipt.reference == "job-1-01.pdf" and receipt.printer == "spool"
    assert (tmp_path / "job-1-01.pdf").read_bytes() == PDF
    assert [p.name for p in tmp_path.iterdir()] == ["job-1-01.pdf"]  # no temporary left behind
    await SpoolDirectoryPrinter(tmp_path).submit(doc(attempt=2))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["job-1-01.pdf", "job-1-02.pdf"]


async def test_spool_missing_directory_is_a_printer_error(tmp_path):
    with pytest.raises(PrinterError, match="does not exist"):
        await SpoolDirectoryPrinter(tmp_path / "nowhere").submit(doc())


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
async def test_spool_unwritable_directory_is_a_printer_error(tmp_path):
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(PrinterError, match="cannot write to spool directory"):
            await SpoolDirectoryPrinter(tmp_path).submit(doc())
    finally:
        tmp_path.chmod(0o700)


def test_job_id_cannot_escape_the_spool_directory():
    with pytest.raises(ValueError):
        PrintDocument(job_id="../etc/passwd", attempt=1, title="x", pdf=PDF)


async def test_cups_passes_destination_title_options_and_pdf(tmp_path):
    record = tmp_path / "record"
    lp = script(tmp_path, "lp", f"""
import sys
data = sys.stdin.buffer.read()
open({str(record)!r}, "wb").write(repr(sys.argv[1:]).encode() + b"\\n" + data)
print("request id is cardprinter-42 (1 file(s))")
""")
    printer = CupsPrinter("cardprinter", lp_command=str(lp), options=("media=CR80",))
    receipt = await printer.submit(doc())
    assert receipt.reference == "cardprinter-42" and receipt.printer == "cups:cardprinter"
    args, data = record.read_bytes().split(b"\n", 1)
    assert eval(args) == ["-d", "cardprinter", "-t", "KTP-el B1-000001", "-o", "media=CR80", "-"]
    assert data == PDF


async def test_cups_refusal_becomes_printer_error_with_lp_message(tmp_path):
    lp = script(tmp_path, "lp", """
import sys
sys.stdin.buffer.read()
print("lp: The printer or class does not exist.", file=sys.stderr)
sys.exit(1)
""")
    with pytest.raises(PrinterError, match="status 1: lp: The printer or class does not exist."):
        await CupsPrinter("nope", lp_command=str(lp)).submit(doc())


async def test_cups_missing_lp_is_a_printer_error(tmp_path):
    with pytest.raises(PrinterError, match="cannot run"):
        await CupsPrinter("p", lp_command=str(tmp_path / "no-lp")).submit(doc())


async def test_cups_hanging_lp_times_out(tmp_path):
    lp = script(tmp_path, "lp", "import time\ntime.sleep(30)\n")
    with pytest.raises(PrinterError, match="did not answer within 0.3 s"):
        await CupsPrinter("p", lp_command=str(lp), timeout_s=0.3).submit(doc())


async def test_cups_without_request_id_is_an_error(tmp_path):
    lp = script(tmp_path, "lp", "import sys\nsys.stdin.buffer.read()\nprint('ok')\n")
    with pytest.raises(PrinterError, match="no request id"):
        await CupsPrinter("p", lp_command=str(lp)).submit(doc())


def test_build_printer_from_settings(tmp_path):
    assert isinstance(build_printer(PrinterSettings(spool_dir=tmp_path)), SpoolDirectoryPrinter)
    cups = build_printer(PrinterSettings(kind="cups", cups_destination="card1", lp_options=("media=CR80",)))
    assert isinstance(cups, CupsPrinter) and cups.command("t")[:3] == ["lp", "-d", "card1"]
    with pytest.raises(ValueError, match="needs cups_destination"):
        build_printer(PrinterSettings(kind="cups"))


def test_cups_server_goes_to_lp():
    printer = CupsPrinter("card1", server="127.0.0.1:16310")
    assert printer.command("t") == ["lp", "-h", "127.0.0.1:16310", "-d", "card1", "-t", "t", "-"]
    built = build_printer(PrinterSettings(kind="cups", cups_destination="c", cups_server="h:1"))
    assert built.command("t")[1:3] == ["-h", "h:1"]
