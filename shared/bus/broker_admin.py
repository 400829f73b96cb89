"""An existing broker's management HTTP API (the plugin ``rabbitmq_management``): how
``jemput broker setup`` applies the definitions document, and how tests clean up after it."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx


class BrokerAdminError(RuntimeError):
    """The management API refused or could not be reached; the message says which and why."""


class BrokerAdmin:
    def __init__(self, url: str, user: str, password: str, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.AsyncClient(base_url=self.url, auth=(user, password), timeout=timeout)

    async def __aenter__(self) -> BrokerAdmin:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._http.aclose()

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise BrokerAdminError(f"management API at {self.url}: unreachable ({type(error).__name__}); "
                                   "is the rabbitmq_management plugin enabled?") from None
        if response.status_code in (401, 403):
            raise BrokerAdminError(f"management API at {self.url}: {response.status_code}, the admin user "
                                   "was refused (it needs the 'administrator' tag)")
        return response

    async def apply(self, document: dict[str, Any]) -> None:
        """Import users, vhost, permissions, exchanges, queues and bindings (idempotent)."""
        response = await self._call("POST", "/api/definitions", json=document)
        if response.status_code not in (200, 201, 204):
            raise BrokerAdminError(f"management API refused the definitions: {response.status_code} "
                                   f"{_reason(response)}")

    async def remove(self, vhost: str, users: list[str]) -> None:
        """Delete a vhost (with everything in it) and users; missing ones are fine."""
        for path in (f"/api/vhosts/{quote(vhost, safe='')}", *(f"/api/users/{quote(u, safe='')}" for u in users)):
            response = await self._call("DELETE", path)
            if response.status_code not in (200, 204, 404):
                raise BrokerAdminError(f"DELETE {path}: {response.status_code} {_reason(response)}")

    async def topic_permissions(self, user: str) -> list[dict[str, Any]]:
        response = await self._call("GET", f"/api/users/{quote(user, safe='')}/topic-permissions")
        response.raise_for_status()
        return response.json()


def _reason(response: httpx.Response) -> str:
    try:
        return str(response.json().get("reason", ""))[:300]
    except ValueError:
        return response.text[:300]
