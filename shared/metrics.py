"""Prometheus metrics, one registry per service runtime (so services can share a test process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class ServiceMetrics:
    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        self.consumed = Counter("jemput_events_consumed", "Events handled successfully", ["queue", "type"],
                                registry=self.registry)
        self.poison = Counter("jemput_events_poison", "Messages sent to a DLQ as poison", ["queue"],
                              registry=self.registry)
        self.retries = Counter("jemput_events_retried", "Handler failures requeued for retry", ["queue"],
                               registry=self.registry)
        self.published = Counter("jemput_events_published", "Events published from the outbox",
                                 registry=self.registry)
        self.outbox_pending = Gauge("jemput_outbox_pending", "Events waiting in outboxes",
                                    registry=self.registry)
        Gauge("jemput_service_info", "Service identity", ["service"], registry=self.registry).labels(
            service=service).set(1)
