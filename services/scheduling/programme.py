"""The scheduling service's use cases: glue between the domain, the repositories and the outbox.

Every change is a single-document write with its event embedded (visits one by one); a replan
or a plan commit is therefore a sequence of such writes, each guarded by the visit's version,
so a concurrent change is detected (``ConcurrentChange``) instead of overwritten.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from shared.envelope import CloudEvent
from shared.service import Runtime

from .adapters.documents import (
    cancelled_data,
    completed_data,
    rescheduled_data,
    started_data,
)
from .adapters.lease import COLLECTION as LEASES
from .adapters.lease import Lease
from .adapters.programme_repository import NotFound, ProgrammeRepository
from .adapters.visit_repository import VisitRepository
from .domain.calendar import JAKARTA, ProgrammeCalendar, today_in_jakarta
from .domain.planner import PlannerSettings, plan_visits
from .domain.replan import ReplanResult, plan_catch_up, replan
from .domain.visit import Visit, VisitStatus
from .domain.visit_plan import Plan
from .settings import SchedulingSettings


class Programme:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.settings: SchedulingSettings = runtime.settings  # type: ignore[assignment]
        self.repo = ProgrammeRepository(runtime)
        self.visits = VisitRepository(runtime)

    def planning_lease(self) -> Lease:
        """Held while visits are placed (commit, re-plan, catch-up): one placer at a time."""
        return Lease(self.runtime.db[LEASES], "planning")

    # --- context -------------------------------------------------------------------------------
    def today(self) -> dt.date:
        return getattr(self.settings, "today", None) or today_in_jakarta()

    def planner_settings(self) -> PlannerSettings:
        return PlannerSettings(share_across_kecamatan=getattr(self.settings, "share_across_kecamatan", True))

    async def calendar(self) -> ProgrammeCalendar:
        s = self.settings
        return ProgrammeCalendar(
            working_week=s.weekdays() if hasattr(s, "weekdays") else {0, 1, 2, 3, 4},
            closures=await self.repo.all_closures(),
            include_cuti_bersama=getattr(s, "include_cuti_bersama", True),
        )

    # --- plans ---------------------------------------------------------------------------------
    async def preview(self, start: dt.date, plan_id: str | None = None) -> Plan:
        """The plan for the current schools, units and calendar; nothing is written (dry run)."""
        if start <= self.today():
            raise ValueError(f"a programme starts after today ({self.today()}), not on {start}")
        schools = await self.repo.all_schools()
        units = await self.repo.all_units()
        if not units:
            raise ValueError("register at least one mobile unit before planning")
        return plan_visits(schools, units, await self.calendar(), start,
                           settings=self.planner_settings(), plan_id=plan_id or f"P-{uuid.uuid4().hex[:10]}")

    async def commit(self, start: dt.date) -> tuple[Plan, int]:
        """Plan and commit: future scheduled visits of earlier plans are cancelled, the new
        visits written, each with its event. Returns the plan and how many visits it replaced."""
        async with self.planning_lease():
            return await self._commit(start)

    async def _commit(self, start: dt.date) -> tuple[Plan, int]:
        plan = await self.preview(start)
        replaced = 0
        for doc in await self.visits.find(status=VisitStatus.SCHEDULED.value):
            old = await self.visits.get_visit(doc["_id"])
            if old is None or old.date <= self.today():
                continue
            reason = f"replaced by plan {plan.plan_id}"
            after = old.cancel(reason)
            await self.visits.replace(old, after, cancelled_data(after, reason))
            replaced += 1
        await self.visits.insert_new([Visit.from_planned(v) for v in plan.visits])
        await self.repo.record_plan({
            "_id": plan.plan_id, "start": plan.start.isoformat(), "lower_bound_days": plan.lower_bound_days,
            "makespan_days": plan.makespan_days, "total_ready": plan.total_ready, "visits": len(plan.visits),
            "finish": plan.finish.isoformat() if plan.finish else None,
            "unplaced": [u.model_dump() for u in plan.unplaced],
            "committed_at": dt.datetime.now(dt.UTC), "replaced_visits": replaced,
        })
        return plan, replaced

    # --- re-planning ---------------------------------------------------------------------------
    async def replan(self, reason: str, cause: CloudEvent | None = None) -> ReplanResult:
        """Repair the committed visits after a change and announce every change."""
        async with self.planning_lease():
            return await self._replan(reason, cause)

    async def _replan(self, reason: str, cause: CloudEvent | None) -> ReplanResult:
        visits = await self.visits.all_visits()
        if not visits:
            return ReplanResult()
        result = replan(visits, await self.repo.all_schools(), await self.repo.all_units(), await self.calendar(),
                        today=self.today(), reason=reason, settings=self.planner_settings(),
                        horizon_days=getattr(self.settings, "replan_horizon_days", 120))
        before = {v.visit_id: v for v in visits}
        for d in result.dropped:
            await self.visits.replace(before[d.visit.visit_id], d.visit,
                                      cancelled_data(d.visit, d.visit.cancel_reason or reason), cause)
        for r in result.resized:
            await self.visits.replace(before[r.visit.visit_id], r.visit,
                                      rescheduled_data(r.visit, r.visit.date, f"{reason}: expected "
                                                       f"{r.previous_expected} -> {r.visit.expected_students}"), cause)
        for m in result.moved:
            await self.visits.replace(before[m.visit.visit_id], m.visit,
                                      rescheduled_data(m.visit, m.previous_date, m.reason), cause)
        await self.visits.insert_new(result.added, cause)
        return result

    # --- visit lifecycle -----------------------------------------------------------------------
    async def _visit(self, visit_id: str) -> Visit:
        visit = await self.visits.get_visit(visit_id)
        if visit is None:
            raise NotFound(f"visit {visit_id} not found")
        return visit

    async def start_visit(self, visit_id: str) -> Visit:
        visit = await self._visit(visit_id)
        after = visit.begin(dt.datetime.now(JAKARTA), self.today())
        await self.visits.replace(visit, after, started_data(after))
        return after

    async def complete_visit(self, visit_id: str, recorded: int, absent: int) -> tuple[Visit, list[Visit]]:
        visit = await self._visit(visit_id)
        after = visit.complete(recorded, absent, dt.datetime.now(JAKARTA))
        await self.visits.replace(visit, after, completed_data(after))
        catch_ups: list[Visit] = []
        school_doc = await self.repo.get_school(after.npsn)
        threshold = getattr(self.settings, "catch_up_threshold", 10)
        if school_doc is not None and after.needs_catch_up(threshold):
            from .adapters.documents import school_from

            async with self.planning_lease():
                catch_ups = plan_catch_up(after, school_from(school_doc), await self.visits.all_visits(),
                                          await self.repo.all_units(), await self.calendar(),
                                          threshold=threshold, settings=self.planner_settings())
                await self.visits.insert_new(catch_ups)
        return after, catch_ups

    async def cancel_visit(self, visit_id: str, reason: str) -> Visit:
        visit = await self._visit(visit_id)
        after = visit.cancel(reason)
        await self.visits.replace(visit, after, cancelled_data(after, after.cancel_reason or reason))
        return after


def plan_summary(plan: Plan) -> dict[str, Any]:
    return {
        "plan_id": plan.plan_id, "start": plan.start, "finish": plan.finish,
        "lower_bound_days": plan.lower_bound_days, "makespan_days": plan.makespan_days,
        "total_ready": plan.total_ready, "stats": plan.stats, "unplaced": plan.unplaced,
    }
