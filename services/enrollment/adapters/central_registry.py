"""Gateway to the central population system (de-duplication, print-readiness, lookups).

HTTP with retries and exponential back-off (with jitter) while the central system is
down or overloaded; a 4xx answer is final. Submissions carry an id the central side uses
to answer a resubmission with the same answer, so retrying never records twice.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from datetime import date
from typing import Literal

import httpx
from pydantic import BaseModel, Field, ValidationError

Outcome = Literal["print_ready", "duplicate", "failed"]
LOOKUP_BATCH = 1000


class Submission(BaseModel):
    """What the central system receives: identity, and a digest of the biometrics (the
    biometrics themselves travel on the central system's own secure channel)."""

    submission_id: str = Field(min_length=1)
    nik: str = Field(pattern=r"^\d{16}$")
    name: str
    birth_date: date
    sex: Literal["L", "P"]
    npsn: str = Field(pattern=r"^\d{8}$")
    biometrics_digest: str = Field(min_length=8)


class RegistryAnswer(BaseModel):
    submission_id: str
    outcome: Outcome
    reason: str | None = None


class RegistryUnavailable(Exception):
    """The central system did not answer after every attempt; try again later."""


class RegistryRejected(Exception):
    """The central system refused the request itself (4xx): retrying will not help."""


class CentralRegistryGateway:
    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float = 10.0,
        attempts: int = 5,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 30.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.attempts = attempts
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self._client = client or httpx.AsyncClient(base_url=self.base_url, timeout=timeout_s)
        self._owns_client = client is None

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> CentralRegistryGateway:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def backoff(self, attempt: int) -> float:
        """Delay before attempt `attempt + 1`: exponential, capped, with full jitter."""
        ceiling = min(self.backoff_max_s, self.backoff_base_s * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)

    async def _post(self, path: str, body: dict) -> dict:
        last: str = ""
        for attempt in range(1, self.attempts + 1):
            try:
                response = await self._client.post(path, json=body)
            except httpx.TransportError as error:
                last = f"{type(error).__name__}"
            else:
                if response.status_code < 400:
                    return response.json()
                if response.status_code == 429 or response.status_code >= 500:
                    last = f"HTTP {response.status_code}"
                else:
                    # the body may echo the submitted personal data: never kept
                    raise RegistryRejected(f"{path}: HTTP {response.status_code}")
            if attempt < self.attempts:
                await asyncio.sleep(self.backoff(attempt))
        raise RegistryUnavailable(f"{path}: no answer after {self.attempts} attempts ({last})")

    async def submit(self, submission: Submission) -> RegistryAnswer:
        body = await self._post("/v1/enrollments", submission.model_dump(mode="json"))
        try:
            answer = RegistryAnswer.model_validate(body)
        except ValidationError as error:
            raise RegistryRejected(f"unreadable answer: {error.error_count()} errors") from None
        if answer.submission_id != submission.submission_id:
            raise RegistryRejected("answer for another submission")
        return answer

    async def recorded(self, niks: Sequence[str]) -> set[str]:
        """Which NIKs already have a KTP-el record (the roster's 'already recorded')."""
        found: set[str] = set()
        for start in range(0, len(niks), LOOKUP_BATCH):
            chunk = list(niks[start:start + LOOKUP_BATCH])
            body = await self._post("/v1/lookup", {"niks": chunk})
            found.update(n for n in body.get("recorded", []) if n in set(chunk))
        return found
