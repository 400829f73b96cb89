"""Settings of the dashboard (environment variables, as in compose)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from pydantic import Field, field_validator

from shared.settings import ServiceSettings


class DashboardSettings(ServiceSettings):
    timezone: str = Field("Asia/Jakarta", alias="DASHBOARD_TIMEZONE",
                          description="the office's time zone: days of the per-day figures")
    refresh_s: int = Field(15, alias="DASHBOARD_REFRESH_S", ge=0, le=3600,
                           description="the page reloads itself every so many seconds (0: never)")
    upcoming_limit: int = Field(25, alias="DASHBOARD_UPCOMING_LIMIT", ge=1, le=1000)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except Exception:
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as Asia/Jakarta)") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
