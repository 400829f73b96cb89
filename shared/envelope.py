"""CloudEvents 1.0 envelope in structured JSON mode, as DESIGN.md fixes it."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

CONTENT_TYPE = "application/cloudevents+json"
TYPE_PATTERN = re.compile(r"^jemput\.(?P<key>[a-z_]+\.[a-z_]+)\.v(?P<version>[1-9][0-9]*)$")


def event_type(routing_key: str, version: int) -> str:
    return f"jemput.{routing_key}.v{version}"


def parse_type(type_: str) -> tuple[str, int]:
    """``jemput.visit.scheduled.v1`` -> (``visit.scheduled``, 1)."""
    match = TYPE_PATTERN.match(type_)
    if match is None:
        raise ValueError(f"type {type_!r} is not jemput.<aggregate>.<event>.v<N>")
    return match["key"], int(match["version"])


class CloudEvent(BaseModel):
    """The envelope of every message on the bus. ``data`` is validated separately, per type."""

    model_config = ConfigDict(extra="allow", frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: str
    source: str = Field(pattern=r"^/jemput/[a-z][a-z_-]*$")
    type: str = Field(pattern=TYPE_PATTERN.pattern)
    time: AwareDatetime
    subject: str = Field(min_length=1)
    datacontenttype: Literal["application/json"] = "application/json"
    correlationid: str
    causationid: str | None = None
    data: dict[str, Any]

    @field_validator("id")
    @classmethod
    def _uuid(cls, value: str) -> str:
        uuid.UUID(value)
        return value

    @field_validator("time")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @property
    def routing_key(self) -> str:
        return parse_type(self.type)[0]

    @property
    def version(self) -> int:
        return parse_type(self.type)[1]

    def to_json(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    def to_document(self) -> dict[str, Any]:
        """The form kept in an outbox (JSON-safe, so it round-trips through any store)."""
        return self.model_dump(mode="json", exclude_none=True)
