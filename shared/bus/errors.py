"""How a handler tells the subscriber layer what went wrong."""


class PoisonMessage(Exception):
    """The message can never be processed: it goes to the DLQ at once with ``reason``.

    ``reason`` names what is wrong (field paths, type names), never the values: it travels in a
    header that operators read, and values may be personal data.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TransientError(Exception):
    """Worth retrying (a gateway down, a timeout). Any exception other than PoisonMessage is
    treated the same way; raising this one just says so explicitly."""
