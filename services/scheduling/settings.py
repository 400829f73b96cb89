"""Settings of the scheduling service (environment variables, as in compose)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, field_validator

from shared.settings import ServiceSettings


class SchedulingSettings(ServiceSettings):
    catch_up_threshold: int = Field(
        10, alias="JEMPUT_CATCH_UP_THRESHOLD", ge=0,
        description="a completed visit leaving more ready students than this gets a catch-up visit")
    working_week: str = Field("0,1,2,3,4", alias="JEMPUT_WORKING_WEEK",
                              description="weekdays the programme works, Monday = 0")
    include_cuti_bersama: bool = Field(True, alias="JEMPUT_CUTI_BERSAMA")
    share_across_kecamatan: bool = Field(True, alias="JEMPUT_SHARE_ACROSS_KECAMATAN")
    replan_horizon_days: int = Field(120, alias="JEMPUT_REPLAN_HORIZON_DAYS", ge=1)
    today: dt.date | None = Field(
        None, alias="JEMPUT_TODAY", description="fixed 'today' (Asia/Jakarta) for demos and tests; unset in use")

    @field_validator("working_week")
    @classmethod
    def _weekdays(cls, value: str) -> str:
        days = {int(x) for x in value.split(",") if x.strip()}
        if not days or not days <= set(range(7)):
            raise ValueError("JEMPUT_WORKING_WEEK lists weekdays 0 (Monday) to 6 (Sunday)")
        return value

    def weekdays(self) -> frozenset[int]:
        return frozenset(int(x) for x in self.working_week.split(",") if x.strip())
