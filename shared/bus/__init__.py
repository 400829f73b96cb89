"""Event bus: topology, publishing with confirms, and the validating subscriber layer."""

from shared.bus.consumer import REASON_HEADER, Consumer, parse
from shared.bus.errors import PoisonMessage, TransientError
from shared.bus.publisher import EventPublisher
from shared.bus.topology import SUBSCRIPTIONS, Topology, declare

__all__ = [
    "REASON_HEADER", "SUBSCRIPTIONS", "Consumer", "EventPublisher", "PoisonMessage", "Topology",
    "TransientError", "declare", "parse",
]
