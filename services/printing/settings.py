"""Settings of the printing service (environment variables, as in compose)."""

from __future__ import annotations

import re
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from shared.settings import ServiceSettings

from .adapters.printers import PrinterSettings
from .domain.office import IssuingOffice
from .domain.print_job import RetryPolicy


SAFE_UNIT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class PrintingSettings(ServiceSettings):
    printer: Literal["spool", "cups"] = Field("spool", alias="PRINTING_PRINTER")
    image_keys: str = Field("", alias="PRINTING_IMAGE_KEYS", repr=False,
                            description="key_id:base64(32 bytes),...: AES-256-GCM for the photos and "
                                        "signatures kept until handover; the service does not start without")
    image_key_id: str = Field("", alias="PRINTING_IMAGE_KEY_ID", description="the key that seals new images")
    spool_dir: Path = Field(Path(tempfile.gettempdir()) / "jemput-printing-spool", alias="PRINTING_SPOOL_DIR",
                            description="one sub-directory per mobile unit is written under it")
    cups_destination: str | None = Field(None, alias="PRINTING_CUPS_DESTINATION",
                                         description="CUPS queue; `{unit_id}` is replaced by the unit")
    cups_server: str | None = Field(None, alias="PRINTING_CUPS_SERVER", description="host:port of the CUPS server")
    lp_command: str = Field("lp", alias="PRINTING_LP_COMMAND")
    lp_options: str = Field("", alias="PRINTING_LP_OPTIONS", description="comma-separated `-o` options")
    printer_timeout_s: float = Field(30.0, alias="PRINTING_PRINTER_TIMEOUT_S", gt=0)
    stuck_grace_s: float = Field(
        60.0, alias="PRINTING_STUCK_GRACE_S", ge=0,
        description="a job printing for longer than the printer timeout and this is stuck: its process died mid-print")
    low_stock_threshold: int = Field(50, alias="PRINTING_LOW_STOCK_THRESHOLD", ge=0)
    print_retry_base_s: float = Field(30.0, alias="PRINTING_RETRY_BASE_S", gt=0)
    print_retry_cap_s: float = Field(600.0, alias="PRINTING_RETRY_CAP_S", gt=0)
    max_print_attempts: int = Field(5, alias="PRINTING_MAX_ATTEMPTS", ge=1)
    poll_s: float = Field(2.0, alias="PRINTING_POLL_S", gt=0)
    batch: int = Field(16, alias="PRINTING_BATCH", ge=1, le=500,
                       description="ready jobs of a unit taken in one pass: one stock write loads their blanks, one records them issued")
    timezone: str = Field("Asia/Jakarta", alias="PRINTING_TIMEZONE")
    province: str = Field("BANTEN", alias="PRINTING_PROVINCE")
    regency: str = Field("KABUPATEN TANGERANG", alias="PRINTING_REGENCY")
    head_name: str = Field("NAMA PEJABAT CONTOH", alias="PRINTING_HEAD_NAME")
    head_nip: str = Field("000000000000000000", alias="PRINTING_HEAD_NIP")
    office_address: str = Field("Jl. Contoh Alamat Kantor No. 1, Tigaraksa", alias="PRINTING_OFFICE_ADDRESS")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(max_attempts=self.max_print_attempts, base=timedelta(seconds=self.print_retry_base_s),
                           cap=timedelta(seconds=self.print_retry_cap_s))

    @property
    def office(self) -> IssuingOffice:
        return IssuingOffice(province=self.province, regency=self.regency, head_name=self.head_name,
                             head_nip=self.head_nip, address=self.office_address)

    def printer_settings(self, unit_id: str) -> PrinterSettings:
        if not SAFE_UNIT.fullmatch(unit_id):
            raise ValueError("unit_id: only letters, digits, '.', '_' and '-' can name a printer")
        return PrinterSettings(
            kind=self.printer,
            spool_dir=self.spool_dir / unit_id,
            cups_destination=(self.cups_destination or "").replace("{unit_id}", unit_id) or None,
            cups_server=self.cups_server,
            lp_command=self.lp_command,
            lp_options=tuple(o.strip() for o in self.lp_options.split(",") if o.strip()),
            timeout_s=self.printer_timeout_s,
        )
