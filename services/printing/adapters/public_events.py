"""Domain events of printing -> the public catalogue (shared/events/models.py).

Public events carry the pseudonymous student id and the card serial, never the NIK, the
name or the address; a printer's error text is cut to the catalogue's 200 characters.
"""

from __future__ import annotations

from collections.abc import Iterable

from shared.envelope import CloudEvent
from shared.events import models as ev
from shared.events import new_event

from ..domain import print_job as pj
from ..domain.stock import BlankStock, StockLow

SERVICE = "printing"


def job_events(job: pj.PrintJob, events: Iterable[pj.JobEvent], correlation_id: str | None) -> list[CloudEvent]:
    """Envelopes for a job's events; caused by the card request, in its conversation."""
    out = []
    for event in events:
        data = _job_data(job, event)
        out.append(new_event(SERVICE, data, subject=job.job_id, causationid=job.job_id,
                             correlationid=correlation_id))
    return out


def _job_data(job: pj.PrintJob, event: pj.JobEvent):
    common = {"job_id": job.job_id, "student_id": job.student_id, "npsn": job.npsn, "version": job.version}
    match event:
        case pj.CardPrinted():
            return ev.CardPrinted(**common, request_id=job.request_id, unit_id=job.unit_id, visit_id=job.visit_id,
                                  card_serial=event.card_serial, reprint=event.reprint, printed_at=event.printed_at)
        case pj.CardPrintFailed():
            reason = event.reason if event.outcome is pj.AttemptOutcome.FAILED else f"spoiled: {event.reason}"
            return ev.CardPrintFailed(**common, request_id=job.request_id, unit_id=job.unit_id,
                                      reason=reason[:200] or "unknown", attempt=event.attempt,
                                      will_retry=event.will_retry)
        case pj.CardHandedOver():
            return ev.CardHandedOver(**common, card_serial=event.card_serial, handed_over_at=event.handed_over_at,
                                     handed_over_by=event.handed_over_by)
        case pj.CertificateIssued():
            return ev.CertificateIssued(student_id=job.student_id, npsn=job.npsn, version=job.version,
                                        certificate_id=event.number, request_id=job.request_id,
                                        unit_id=job.unit_id, issued_at=event.issued_at,
                                        valid_until=event.valid_until)
    raise TypeError(f"no public event for {type(event).__name__}")


def stock_events(stock: BlankStock, events: Iterable[StockLow]) -> list[CloudEvent]:
    return [
        new_event(SERVICE, ev.StockLow(unit_id=e.unit_id, remaining=e.remaining, threshold=e.threshold, at=e.at,
                                       version=max(stock.version, 1)), subject=stock.unit_id)
        for e in events
    ]
