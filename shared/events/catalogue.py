"""The event catalogue: routing key -> producer, exchange and data model per type version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

from shared.envelope import event_type, parse_type
from shared.events import models as m

Exchange = Literal["events", "restricted"]


@dataclass(frozen=True)
class EventSpec:
    routing_key: str
    version: int
    model: type[BaseModel]
    producer: str
    exchange: Exchange = "events"
    summary: str = ""

    @property
    def type(self) -> str:
        return event_type(self.routing_key, self.version)


class UnknownEventType(LookupError):
    """A type (or a version of it) that this catalogue does not know."""


_SPECS = [
    EventSpec("school.registered", 1, m.SchoolRegistered, "scheduling", summary="A school joined the programme."),
    EventSpec("school.updated", 1, m.SchoolUpdated, "scheduling", summary="A school's details changed."),
    EventSpec("visit.scheduled", 1, m.VisitScheduled, "scheduling", summary="A mobile unit will visit a school."),
    EventSpec("visit.rescheduled", 1, m.VisitRescheduled, "scheduling", summary="A planned visit moved to another day."),
    EventSpec("visit.cancelled", 1, m.VisitCancelled, "scheduling", summary="A planned visit was dropped."),
    EventSpec("visit.started", 1, m.VisitStarted, "scheduling", summary="A unit began recording at a school."),
    EventSpec("visit.completed", 1, m.VisitCompleted, "scheduling", summary="A visit ended with its counts."),
    EventSpec("roster.verified", 1, m.RosterVerified, "enrollment", summary="A school's roster was verified (counts only)."),
    EventSpec("student.recorded", 1, m.StudentRecorded, "enrollment", summary="A student's biometrics were captured."),
    EventSpec("student.print_ready", 1, m.StudentPrintReady, "enrollment", summary="The central registry cleared a record for printing."),
    EventSpec("student.enrollment_rejected", 1, m.StudentEnrollmentRejected, "enrollment", summary="The central registry rejected a record."),
    EventSpec("card.requested", 1, m.CardRequested, "enrollment", "restricted", "Print data for one card (personal data)."),
    EventSpec("student.contact_updated", 1, m.StudentContactUpdated, "enrollment", "restricted", "A student's and guardian's contact details (personal data)."),
    EventSpec("card.printed", 1, m.CardPrinted, "printing", summary="A KTP-el was printed."),
    EventSpec("card.print_failed", 1, m.CardPrintFailed, "printing", summary="A print attempt failed."),
    EventSpec("card.handed_over", 1, m.CardHandedOver, "printing", summary="A card was handed to its student."),
    EventSpec("stock.low", 1, m.StockLow, "printing", summary="A unit's blank card stock fell below its threshold."),
    EventSpec("certificate.issued", 1, m.CertificateIssued, "printing", summary="A temporary certificate was issued instead of a card."),
    EventSpec("notification.sent", 1, m.NotificationSent, "notifications", summary="A message reached its channel."),
    EventSpec("notification.failed", 1, m.NotificationFailed, "notifications", summary="A message could not be delivered."),
]

CATALOGUE: dict[str, EventSpec] = {spec.type: spec for spec in _SPECS}
ROUTING_KEYS: tuple[str, ...] = tuple(dict.fromkeys(spec.routing_key for spec in _SPECS))


def spec_for_type(type_: str) -> EventSpec:
    try:
        return CATALOGUE[type_]
    except KeyError:
        parse_type(type_)  # a malformed type says so; a well-formed unknown one is unknown
        raise UnknownEventType(f"unknown event type {type_!r}") from None


def current(routing_key: str) -> EventSpec:
    """The newest version of an event, the one producers publish."""
    versions = [s for s in _SPECS if s.routing_key == routing_key]
    if not versions:
        raise UnknownEventType(f"unknown routing key {routing_key!r}")
    return max(versions, key=lambda s: s.version)


def produced_by(service: str) -> list[EventSpec]:
    return [s for s in _SPECS if s.producer == service]
