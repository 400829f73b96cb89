"""Optimistic concurrency for aggregates stored one per document."""


class ConcurrentUpdate(Exception):
    """The document changed between read and write; read again and retry."""


class NotFound(LookupError):
    """No such aggregate."""


MAX_CONFLICT_RETRIES = 8
