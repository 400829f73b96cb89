"""Storage: the MongoDB client, the embedded outbox and its relay, idempotent effects."""

from shared.store.effects import apply_if_newer, apply_once, record_once
from shared.store.mongo import Indexes, create_indexes, make_client
from shared.store.outbox import OUTBOX, OutboxRelay, outbox_indexes, outbox_insert, outbox_push

__all__ = [
    "OUTBOX", "Indexes", "OutboxRelay", "apply_if_newer", "apply_once", "create_indexes",
    "make_client", "outbox_indexes", "outbox_insert", "outbox_push", "record_once",
]
