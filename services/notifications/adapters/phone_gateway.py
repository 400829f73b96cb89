"""SMS and WhatsApp through an HTTP gateway (httpx, one pooled AsyncClient).

The request is a JSON POST to a configurable URL with a configurable auth
header. The delivery id travels as `reference` and as the `Idempotency-Key`
header, so a gateway that honours it never sends a retried message twice.
"""

import json
import re

import httpx
from pydantic import BaseModel, Field, SecretStr

from ..domain.failures import FailureKind, SendFailure, SendReceipt, classify_http_status
from ..domain.language import Channel


class GatewaySettings(BaseModel):
    url: str = "http://localhost:8090/messages"
    auth_header: str = "Authorization"
    auth_value: SecretStr | None = None
    """E.g. 'Bearer <token>'; never logged."""
    sender_id: str = "DUKCAPIL"
    timeout: float = Field(default=10.0, gt=0)
    max_connections: int = Field(default=64, ge=1)


class OutgoingText(BaseModel):
    channel: Channel
    to: str
    text: str
    reference: str
    segments: int | None = None


_ERROR_CODE = re.compile(r"^[a-z][a-z0-9_.-]{0,40}$")


def _reason(response: httpx.Response) -> str:
    """Status and, if the gateway gives one, its error code — never the echoed body."""
    code = None
    try:
        payload = response.json()
        if isinstance(payload, dict) and isinstance(payload.get("error"), str) and _ERROR_CODE.match(payload["error"]):
            code = payload["error"]
    except ValueError:
        pass
    return f"gateway HTTP {response.status_code}" + (f" {code}" if code else "")


class HttpPhoneGateway:
    def __init__(self, settings: GatewaySettings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        headers = {"Content-Type": "application/json"}
        if settings.auth_value is not None:
            headers[settings.auth_header] = settings.auth_value.get_secret_value()
        limits = httpx.Limits(max_connections=settings.max_connections, max_keepalive_connections=settings.max_connections)
        self._client = httpx.AsyncClient(
            headers=headers, timeout=settings.timeout, limits=limits, transport=transport
        )
        self._url = httpx.URL(settings.url)  # parsed once, not per message

    def body(self, text: OutgoingText) -> dict:
        if not text.channel.is_phone:
            raise ValueError("the phone gateway sends sms and whatsapp only")
        return {
            "channel": text.channel.value,
            "from": self.settings.sender_id,
            "to": text.to,
            "text": text.text,
            "reference": text.reference,
            "segments": text.segments,
        }

    async def send(self, text: OutgoingText) -> SendReceipt:
        try:
            response = await self._client.post(
                self._url, content=json.dumps(self.body(text), separators=(",", ":")).encode(), headers={"Idempotency-Key": text.reference}
            )
        except httpx.TimeoutException as exc:
            raise SendFailure(FailureKind.TRANSIENT, f"gateway timeout ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise SendFailure(FailureKind.TRANSIENT, f"gateway unreachable ({type(exc).__name__})") from exc
        kind = classify_http_status(response.status_code)
        if kind is not None:
            raise SendFailure(kind, _reason(response), response.status_code)
        provider_id = None
        try:
            payload = response.json()
            if isinstance(payload, dict):
                provider_id = payload.get("id") or payload.get("message_id")
        except ValueError:
            pass
        return SendReceipt(provider_id=str(provider_id) if provider_id is not None else None)

    async def close(self) -> None:
        await self._client.aclose()
