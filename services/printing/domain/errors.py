"""Domain errors: each says what was refused and why, in words an operator can act on."""


class PrintingError(Exception):
    """Base class for refusals of the printing domain."""


class InvalidTransition(PrintingError):
    """A print job was asked to do something its status does not allow."""


class OutOfStock(PrintingError):
    """No blank (blangko) is left at the unit."""


class StockError(PrintingError):
    """A stock movement that would break the ledger (unknown serial, duplicate batch, ...)."""
