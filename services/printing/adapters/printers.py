"""Printer gateways. The PDF is what goes to the printer.

- `SpoolDirectoryPrinter` (default): drops each job as a PDF into a directory that a
  print server or the card printer's own software watches. Files appear atomically.
- `CupsPrinter`: submits to a CUPS/IPP queue through the `lp` command.

Any refusal raises `PrinterError`; the print desk turns it into a `failed` job that is
retried with back-off. Job titles carry the card serial only, never personal data.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from pathlib import Path
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, Field


class PrinterError(Exception):
    """The printer did not accept the job; nothing was printed."""


class PrintDocument(BaseModel):
    job_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,80}$")]
    attempt: Annotated[int, Field(ge=1)]
    title: Annotated[str, Field(max_length=120)]
    pdf: bytes = Field(repr=False)


class PrintReceipt(BaseModel):
    printer: str
    reference: str  # spool file name or CUPS request id


class Printer(Protocol):
    name: str

    async def submit(self, document: PrintDocument) -> PrintReceipt: ...

    async def has(self, job_id: str, attempt: int) -> bool | None:
        """After a crash mid-print: True if this attempt's document reached the printer, None
        when the printer cannot say (then an operator looks at the card tray)."""
        ...


class SpoolDirectoryPrinter:
    def __init__(self, directory: Path, name: str = "spool") -> None:
        self.directory, self.name = Path(directory), name

    def _path(self, job_id: str, attempt: int) -> Path:
        return self.directory / f"{job_id}-{attempt:02d}.pdf"

    async def has(self, job_id: str, attempt: int) -> bool | None:
        """The file appears atomically, so its presence proves the job was sent. Its absence
        proves nothing: whatever watches the directory may have taken it away."""
        return True if await asyncio.to_thread(self._path(job_id, attempt).is_file) else None

    def _write(self, document: PrintDocument) -> str:
        if not self.directory.is_dir():
            raise PrinterError(f"spool directory {self.directory} does not exist")
        final = self._path(document.job_id, document.attempt)
        try:
            fd, temp = tempfile.mkstemp(dir=self.directory, prefix=".incoming-", suffix=".part")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(document.pdf)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temp, final)  # readers never see a half-written PDF
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise PrinterError(f"cannot write to spool directory {self.directory}: {exc.strerror}") from exc
        return final.name

    async def submit(self, document: PrintDocument) -> PrintReceipt:
        reference = await asyncio.to_thread(self._write, document)
        return PrintReceipt(printer=self.name, reference=reference)


REQUEST_ID = re.compile(r"request id is (\S+)")


class CupsPrinter:
    """`lp [-h server] -d <destination> -t <title> [-o option]... -` with the PDF on standard input."""

    def __init__(
        self, destination: str, *, lp_command: str = "lp", options: tuple[str, ...] = (),
        timeout_s: float = 30.0, server: str | None = None, name: str | None = None,
    ) -> None:
        self.destination, self.lp_command, self.options = destination, lp_command, options
        self.timeout_s, self.server, self.name = timeout_s, server, name or f"cups:{destination}"

    def command(self, title: str) -> list[str]:
        args = [self.lp_command]
        if self.server:
            args += ["-h", self.server]
        args += ["-d", self.destination, "-t", title]
        for option in self.options:
            args += ["-o", option]
        return args + ["-"]

    async def has(self, job_id: str, attempt: int) -> bool | None:
        return None  # lp keeps no trace Jemput can match safely: an operator decides

    async def submit(self, document: PrintDocument) -> PrintReceipt:
        try:
            process = await asyncio.create_subprocess_exec(
                *self.command(document.title), stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            raise PrinterError(f"cannot run {self.lp_command!r}: {exc.strerror or exc}") from exc
        try:
            stdout, stderr = await asyncio.wait_for(process.communicate(document.pdf), self.timeout_s)
        except TimeoutError as exc:
            process.kill()
            await process.wait()
            raise PrinterError(f"lp did not answer within {self.timeout_s:g} s") from exc
        if process.returncode != 0:
            message = stderr.decode(errors="replace").strip().splitlines()
            detail = message[-1] if message else "no message"
            raise PrinterError(f"lp exited with status {process.returncode}: {detail[:200]}")
        match = REQUEST_ID.search(stdout.decode(errors="replace"))
        if match is None:
            raise PrinterError("lp accepted the job but reported no request id")
        return PrintReceipt(printer=self.name, reference=match.group(1))


class PrinterSettings(BaseModel):
    kind: Literal["spool", "cups"] = "spool"
    spool_dir: Path = Path(tempfile.gettempdir()) / "jemput-printing-spool"
    cups_destination: str | None = None
    cups_server: str | None = None  # host:port; None: lp's default (CUPS_SERVER, client.conf)
    lp_command: str = "lp"
    lp_options: tuple[str, ...] = ()
    timeout_s: Annotated[float, Field(gt=0)] = 30.0


def build_printer(settings: PrinterSettings) -> Printer:
    if settings.kind == "cups":
        if not settings.cups_destination:
            raise ValueError("printer kind 'cups' needs cups_destination (the CUPS queue name)")
        return CupsPrinter(settings.cups_destination, lp_command=settings.lp_command,
                           options=settings.lp_options, timeout_s=settings.timeout_s,
                           server=settings.cups_server)
    return SpoolDirectoryPrinter(settings.spool_dir)
