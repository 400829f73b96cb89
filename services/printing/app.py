"""The printing service: print jobs from card requests, blank stock, certificates, handover."""

from __future__ import annotations

import logging

from services.printing.adapters import intake_repository, job_repository, stock_repository
from services.printing.adapters.intake_repository import IntakeLog
from services.printing.adapters.job_repository import JobRepository
from services.printing.adapters.printers import build_printer
from services.printing.adapters.stock_repository import StockRepository
from services.printing.api import build_api
from services.printing.handlers import consumer
from services.printing.settings import PrintingSettings
from services.printing.station import PrintStation
from shared.audit import INDEXES as AUDIT_INDEXES
from shared.service import Runtime, ServiceDefinition, build_app
from shared.startup import StartupRefused
from shared.vault import VaultError, vault_from

log = logging.getLogger("jemput.printing")


def printer_for(settings: PrintingSettings, unit_id: str):
    """The unit's printer: its own sub-directory of the spool, or its CUPS queue."""
    printer = settings.printer_settings(unit_id)
    if printer.kind == "spool" and settings.spool_dir.is_dir():
        printer.spool_dir.mkdir(exist_ok=True)  # a spool root gone missing stays an error
    return build_printer(printer)


async def open_station(rt: Runtime) -> None:
    settings = rt.settings
    if not isinstance(settings, PrintingSettings):  # built with the base class: read ours from the env
        settings = PrintingSettings(**settings.model_dump(by_alias=True))
    try:
        vault = vault_from(settings.image_keys, settings.image_key_id)
    except VaultError as error:
        raise StartupRefused(f"PRINTING_IMAGE_KEYS: {error} "
                             "(photos and signatures are sealed at rest; docs/security.md)") from None
    station = PrintStation(
        JobRepository(rt.db, vault),
        StockRepository(rt.db, settings.low_stock_threshold),
        settings,
        printer_for=lambda unit_id: printer_for(settings, unit_id),
        relay=rt.relay,
    )
    if settings.printer == "spool":
        try:  # the default works out of the box; a spool that cannot be made is a printer error later
            settings.spool_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            log.error("cannot create the spool directory", extra={"path": str(settings.spool_dir),
                                                                   "reason": error.strerror})
    rt.state["station"] = station
    rt.state["intake"] = IntakeLog(rt.db)


async def print_loop(rt: Runtime) -> None:
    """Prints ready jobs; woken by new requests and receipts, else every PRINTING_POLL_S."""
    await rt.state["station"].loop()


definition = ServiceDefinition(
    name="printing",
    consumer=consumer,
    outbox_collections=[job_repository.COLLECTION, stock_repository.COLLECTION],
    indexes={**job_repository.INDEXES, **stock_repository.INDEXES, **intake_repository.INDEXES,
             **AUDIT_INDEXES},
    api=build_api,
    on_start=[open_station],
    background=[print_loop],
    settings_class=PrintingSettings,
    description="Prints KTP-el cards the same day, tracks blank stock, issues temporary certificates.",
)


def create_app(settings: PrintingSettings | None = None):
    return build_app(definition, settings)
