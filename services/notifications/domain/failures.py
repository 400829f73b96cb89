"""Transient or permanent: what a failed send means for the next attempt."""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class FailureKind(StrEnum):
    TRANSIENT = "transient"
    """Try again later: the server is down, busy or throttling."""
    PERMANENT = "permanent"
    """Trying again cannot help: bad address, rejected content, refused credentials."""


class SendFailure(Exception):
    """Raised by a channel adapter; carries a reason fit for a record (no personal data)."""

    def __init__(self, kind: FailureKind, reason: str, code: int | None = None) -> None:
        super().__init__(f"{kind.value}: {reason}")
        self.kind = kind
        self.reason = reason
        self.code = code

    @property
    def transient(self) -> bool:
        return self.kind is FailureKind.TRANSIENT


class SendReceipt(BaseModel):
    model_config = ConfigDict(frozen=True)

    provider_id: str | None = None
    """The gateway's or SMTP server's id for the message, if it gives one."""


HTTP_TRANSIENT = frozenset({408, 409, 423, 425, 429})


def classify_http_status(status: int) -> FailureKind | None:
    """None for success; transient for 5xx, timeouts, throttling; permanent for other 4xx."""
    if 200 <= status < 300:
        return None
    if status >= 500 or status in HTTP_TRANSIENT:
        return FailureKind.TRANSIENT
    return FailureKind.PERMANENT


def classify_smtp_code(code: int) -> FailureKind:
    """RFC 5321: 4yz is a transient negative reply, 5yz permanent (a refused mailbox,
    refused credentials, STARTTLS required); anything else (e.g. -1 for a dropped
    connection) is transient."""
    if 500 <= code < 600:
        return FailureKind.PERMANENT
    return FailureKind.TRANSIENT
