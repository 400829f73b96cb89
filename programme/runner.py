"""Runs a programme through the services, as the office and its mobile teams would.

Every step goes through a service's HTTP API (the same calls an operator's screen makes);
what happened afterwards is read back from the services and from the public events an outside
subscriber sees. The order is the office's: register the schools, set up the mobile units and
their blank stock, import the rosters (verified row by row), commit the visit plan from the
programme's first day, then live each visit day on a fast-forward clock — start the visit,
check in the students who came, a guardian's consent for minors, capture (some retaken, some
with an approved exception), wait for the central registry's answers, close the visit with its
counts (catch-up visits follow for absentees), print, hand over — and finally report.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import tempfile
import time
import uuid
import zlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from programme.biometrics import CapturePlan, card_details, payload
from programme.files import write_roster_csv, write_schools_csv
from programme.report import ProgrammeReport, StudentFacts, build_report
from programme.stack import SUPERVISOR, Stack
from programme.synthetic import Programme, Student
from shared.testing import EventTap

UNITS = ("TGR-1", "TGR-2", "TGR-3")
DAILY_CAPACITY = 150
SHORT_UNIT = "TGR-2"  # the unit whose blank stock runs out once
DAY_HOURS = 7  # a visit day, 08:00-15:00


class ProgrammeError(RuntimeError):
    """A step the services refused; the message says which and why."""


@dataclass
class Options:
    absent_share: float = 0.06            # absent on their visit day
    absent_again_share: float = 0.35      # absent again at the catch-up visit
    poor_capture_share: float = 0.08      # a finger below quality on the first try
    speed: float = 0.0                    # simulated seconds per real second; 0: as fast as the services go
    desk_concurrency: int = 6             # students at the desks at once, over all units
    answer_timeout_s: float = 120.0


class Progress:
    """What the runner reports as it goes (the demo draws a rich progress bar from it)."""

    def stage(self, text: str) -> None: ...
    def total(self, students: int) -> None: ...
    def advance(self, students: int = 1) -> None: ...
    def day(self, text: str) -> None: ...


@dataclass
class Outcome:
    report: ProgrammeReport
    days: list[dict[str, Any]]
    notifications: dict[str, int]
    stock: list[dict[str, Any]]
    registry: dict[str, Any]
    seconds: float
    timings: dict[str, float]


@dataclass
class _State:
    facts: dict[str, StudentFacts] = field(default_factory=dict)            # student_id -> facts
    students_of: dict[str, list[str]] = field(default_factory=dict)         # npsn -> ready student ids, in order
    student_by_id: dict[str, Student] = field(default_factory=dict)
    assigned: set[str] = field(default_factory=set)
    roster: dict[str, dict[str, int]] = field(default_factory=dict)
    restock_on: dt.date | None = None
    restocked: bool = False
    days: list[dict[str, Any]] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)


def desk_key() -> dict[str, str]:
    """A new Idempotency-Key for one desk write: the request sent again with it (after a lost
    answer, a 409 or a 503) is answered as the first time and changes nothing twice."""
    return {"Idempotency-Key": str(uuid.uuid4())}


class Runner:
    def __init__(self, stack: Stack, programme: Programme, tap: EventTap, *, seed: int,
                 options: Options | None = None, progress: Progress | None = None) -> None:
        self.stack = stack
        self.programme = programme
        self.tap = tap
        self.options = options or Options()
        self.progress = progress or Progress()
        self.seed = seed
        self.state = _State()
        self.http = httpx.AsyncClient(timeout=120, headers=stack.headers())  # an admin token
        self.timings: dict[str, float] = {}
        self.delivery_stats: dict[str, int] = {}
        self.laps: list[tuple[str, float]] = []
        self._last_lap = time.monotonic()
        self.enrollment_today = programme.start - dt.timedelta(days=1)
        self.schools = {s.npsn: s for s in programme.schools}

    # --- helpers ----------------------------------------------------------------------------------
    def url(self, service: str, path: str) -> str:
        return f"{self.stack.url(service)}{path}"

    async def call(self, method: str, service: str, path: str, *, ok: tuple[int, ...] = (200, 201),
                   **kwargs: Any) -> httpx.Response:
        for attempt in range(5):
            response = await self.http.request(method, self.url(service, path), **kwargs)
            if response.status_code in ok:
                return response
            if response.status_code in (409, 503) and "retry" in response.text.lower() and attempt < 4:
                # a concurrent change (read again and retry) or a database away for a moment
                await asyncio.sleep(float(response.headers.get("Retry-After", 0)) or 0.2 * (attempt + 1))
                continue
            raise ProgrammeError(f"{service} {method} {path.split('?')[0]}: HTTP {response.status_code} "
                                 f"{response.text[:300]}")
        raise AssertionError("unreachable")

    async def eventually(self, predicate: Callable[[], Any], what: str, timeout: float = 60.0,
                         interval: float = 0.2) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            result = await predicate()
            if result:
                return result
            if time.monotonic() > deadline:
                raise ProgrammeError(f"timed out after {timeout:.0f} s waiting for {what}")
            await asyncio.sleep(interval)

    def _lap(self, name: str) -> None:
        now = time.monotonic()
        self.laps.append((name, round(now - self._last_lap, 1)))
        self._last_lap = now

    def _timed(self, name: str, started: float) -> None:
        self.timings[name] = round(time.monotonic() - started, 1)

    # --- the programme --------------------------------------------------------------------------
    async def run(self) -> Outcome:
        begun = time.monotonic()
        try:
            await self.register_schools()
            await self.set_up_units()
            await self.import_rosters()
            plan = await self.commit_plan()
            await self.receive_first_stock(plan)
            await self.visit_days()
            await self.settle()
            return await self.outcome(time.monotonic() - begun)
        finally:
            await self.http.aclose()

    async def register_schools(self) -> None:
        t = time.monotonic()
        self.progress.stage(f"registering {len(self.programme.schools)} schools")
        with tempfile.TemporaryDirectory() as tmp:
            path = write_schools_csv(self.programme, Path(tmp) / "sekolah.csv")
            answer = (await self.call("POST", "scheduling", "/schools/import",
                                      files={"file": ("sekolah.csv", path.read_bytes(), "text/csv")})).json()
        if answer["errors"]:
            raise ProgrammeError(f"school file refused rows: {answer['errors'][:3]}")
        n = len(self.programme.schools)
        await self.eventually(lambda: _true(len({m["body"]["subject"] for m in self.tap.of_type("school.registered")})
                                            >= n), "school.registered of every school")
        self._timed("schools", t)

    async def set_up_units(self) -> None:
        self.progress.stage("setting up 3 mobile units, 150 students a day each")
        for i, unit in enumerate(UNITS, start=1):
            await self.call("PUT", "scheduling", f"/units/{unit}", json={
                "unit_id": unit, "name": f"Mobil Jemput Bola {i}", "recording_capacity": DAILY_CAPACITY,
                "printing_capacity": 200, "working_days": [0, 1, 2, 3, 4], "base": "Disdukcapil, Tigaraksa"})

    async def import_rosters(self) -> None:
        t = time.monotonic()
        await self.stack.seed_registry(sorted(self.programme.registry_known))
        self.progress.stage(f"importing the rosters: {len(self.programme.students):,} rows verified one by one")
        self.progress.total(len(self.programme.students))
        report: dict[str, dict] = {"schools": {}}
        with tempfile.TemporaryDirectory() as tmp:
            for school in self.programme.schools:  # one roster per school, as the schools send them
                path = write_roster_csv(self.programme, Path(tmp) / f"siswa-{school.npsn}.csv", npsn=school.npsn)
                answer = await self._import(path, school.students)
                unknown = sum(1 for s in answer["schools"].values() for r in s.get("invalid_rows", [])
                              for reason in r["reasons"] if reason["field"] == "NPSN")
                if unknown:  # enrollment had not heard of the school yet: the same file again
                    await asyncio.sleep(2)
                    answer = await self._import(path, 0)
                report["schools"].update(answer["schools"])
        for npsn, school in report["schools"].items():
            self.state.roster[npsn] = {k: school[k] for k in ("total", "already_recorded", "ready_to_record",
                                                               "not_yet_eligible", "invalid")}
        ready = {npsn: c["ready_to_record"] for npsn, c in self.state.roster.items()}

        async def scheduling_has_counts() -> bool:
            schools = (await self.call("GET", "scheduling", "/schools")).json()
            return all(s["ready_students"] == ready.get(s["npsn"], 0) and
                       (s["ready_source"] == "roster" or not ready.get(s["npsn"])) for s in schools)

        await self.eventually(scheduling_has_counts, "scheduling to learn every school's ready count",
                              timeout=120)
        self._timed("rosters", t)

    async def _import(self, path: Path, rows: int, attempts: int = 3) -> dict:
        """One roster file through ``POST /rosters?stream=true``; an import that failed on the
        service's side is sent again (re-importing the same file changes nothing twice)."""
        for attempt in range(1, attempts + 1):
            try:
                return await self._import_once(path, rows)
            except ProgrammeError:
                if attempt == attempts:
                    raise
                rows = 0  # progress already counted
                await asyncio.sleep(2 * attempt)
        raise AssertionError("unreachable")

    async def _import_once(self, path: Path, rows: int) -> dict:
        import json

        done = 0
        async with self.http.stream("POST", self.url("enrollment", "/rosters?stream=true"),
                                    files={"file": (path.name, path.read_bytes(), "text/csv")}) as response:
            if response.status_code != 200:
                raise ProgrammeError(f"roster import: HTTP {response.status_code} {(await response.aread())[:300]!r}")
            async for line in response.aiter_lines():
                if not line.strip():
                    continue
                item = json.loads(line)
                if "error" in item:
                    raise ProgrammeError(f"roster import {path.name}: {item['error']}")
                if "rows" in item and rows:
                    self.progress.advance(min(item["rows"], rows) - done)
                    done = min(item["rows"], rows)
                if "report" in item:
                    self.progress.advance(rows - done)
                    return item["report"]
        raise ProgrammeError("roster import: the answer ended without a report")

    async def commit_plan(self) -> dict:
        self.progress.stage(f"planning the visits from {self.programme.start:%d %B %Y}")
        answer = (await self.call("POST", "scheduling", "/plans",
                                  json={"start": self.programme.start.isoformat()})).json()
        plan = answer["plan"]
        visits = (await self.call("GET", "scheduling", "/visits?status=scheduled")).json()

        async def enrollment_knows() -> bool:
            for v in visits:
                r = await self.http.get(self.url("enrollment", f"/visits/{v['visit_id']}/students"))
                if r.status_code != 200:
                    return False
            return True

        await self.eventually(enrollment_knows, "enrollment to hear of every visit", timeout=120)
        # the ready students of each school, in roster order, from the enrollment service
        by_nisn = {s.nisn: s for s in self.programme.students}
        for npsn in {v["npsn"] for v in visits}:
            first = next(v for v in visits if v["npsn"] == npsn)
            listed = (await self.call("GET", "enrollment", f"/visits/{first['visit_id']}/students")).json()
            ready = sorted((s for s in listed if s["roster_category"] == "ready_to_record"), key=lambda s: s["nisn"])
            self.state.students_of[npsn] = [s["student_id"] for s in ready]
            for s in ready:
                self.state.facts[s["student_id"]] = StudentFacts(student_id=s["student_id"], npsn=npsn)
                self.state.student_by_id[s["student_id"]] = by_nisn[s["nisn"]]
        return {"plan": plan, "visits": visits}

    async def receive_first_stock(self, plan: dict) -> None:
        """Blank stock: enough for the programme, except one unit that runs out on its first day
        and is restocked on its next visit day."""
        visits = plan["visits"]
        demand = defaultdict(int)
        for v in visits:
            demand[v["unit_id"]] += v["expected_students"]
        for unit in UNITS:
            quantity = demand[unit] + 50
            if unit == SHORT_UNIT and demand[unit]:
                days = sorted({v["date"] for v in visits if v["unit_id"] == unit})
                first_day = sum(v["expected_students"] for v in visits if v["unit_id"] == unit and v["date"] == days[0])
                quantity = max(3, first_day // 5)
                self.state.restock_on = dt.date.fromisoformat(days[1]) if len(days) > 1 else None
            await self.call("POST", "printing", f"/stock/{unit}/receipts", json={
                "batch_no": f"BLK-{unit}-01", "quantity": quantity, "by": f"gudang-{unit.lower()}"})

    async def restock(self, day: dt.date) -> None:
        self.progress.day(f"{day:%a %d %b}: blank cards delivered to {SHORT_UNIT}, which ran out")
        demand = sum(1 for f in self.state.facts.values() if not f.recorded) + 100
        await self.call("POST", "printing", f"/stock/{SHORT_UNIT}/receipts", json={
            "batch_no": f"BLK-{SHORT_UNIT}-02", "quantity": demand, "by": f"gudang-{SHORT_UNIT.lower()}"})
        self.state.restocked = True

    # --- visit days -------------------------------------------------------------------------------
    async def visit_days(self) -> None:
        target = sum(len(ids) for ids in self.state.students_of.values())
        self.progress.stage("visit days")
        self.progress.total(target)
        while True:
            upcoming = (await self.call("GET", "scheduling", "/visits?status=scheduled")).json()
            if not upcoming:
                break
            day = min(dt.date.fromisoformat(v["date"]) for v in upcoming)
            started = time.monotonic()
            if self.stack.today.get("scheduling") != day:
                # the fast-forward clock; notifications too when it runs on it (reminders fall due)
                await self.stack.set_today(day, *(n for n in ("scheduling", "notifications")
                                                  if n == "scheduling" or n in self.stack.today))
            if self.state.restock_on is not None and not self.state.restocked and day >= self.state.restock_on:
                await self.restock(day)
            todays = [v for v in upcoming if v["date"] == day.isoformat()]
            summary = {"date": day.isoformat(), "visits": len(todays), "catch_up_visits": 0, "present": 0,
                       "absent": 0, "recorded": 0, "retaken": 0, "exceptions": 0}
            desk = asyncio.Semaphore(self.options.desk_concurrency)
            results = await asyncio.gather(*(self.visit(v, desk) for v in todays))
            self._lap(f"{day} visits")
            for r in results:
                for k in ("present", "absent", "recorded", "retaken", "exceptions", "catch_up_visits"):
                    summary[k] += r[k]
            await self.print_and_hand_over({v["npsn"] for v in todays}, day)
            self._lap(f"{day} printing and handover")
            summary["seconds"] = round(time.monotonic() - started, 1)
            self.state.days.append(summary)
            self.progress.day(f"{day:%a %d %b}: {summary['visits']} visits, {summary['recorded']} recorded, "
                              f"{summary['absent']} absent")
            if self.options.speed > 0:  # a day of DAY_HOURS lasts DAY_HOURS*3600/speed seconds at least
                await asyncio.sleep(max(0.0, DAY_HOURS * 3600 / self.options.speed - (time.monotonic() - started)))

    async def visit(self, visit: dict, desk: asyncio.Semaphore) -> dict[str, int]:
        vid, npsn = visit["visit_id"], visit["npsn"]
        catch_up = bool(visit.get("catch_up_of"))
        await self.call("POST", "scheduling", f"/visits/{vid}/start")
        if catch_up:  # the absentees of earlier visits
            due = [sid for sid in self.state.students_of.get(npsn, [])
                   if sid in self.state.assigned and not self.state.facts[sid].recorded]
        else:
            due = [sid for sid in self.state.students_of.get(npsn, []) if sid not in self.state.assigned]
            due = due[:visit["expected_students"]]
            self.state.assigned.update(due)
        # the same chances whatever order the visits run in, and in every run: visit ids are not
        # stable (each plan has a fresh id), the school, day, session and unit are
        rng = random.Random(f"{self.seed}:{npsn}:{visit['date']}:{visit['session']}:{visit['unit_id']}:{catch_up}")
        absent_share = self.options.absent_again_share if catch_up else self.options.absent_share
        counts = {"present": 0, "absent": 0, "recorded": 0, "retaken": 0, "exceptions": 0,
                  "catch_up_visits": int(catch_up)}
        present = []
        for sid in due:
            if rng.random() < absent_share:
                self.state.facts[sid].absent_visits += 1
                counts["absent"] += 1
                self.progress.advance()
            else:
                present.append((sid, CapturePlan.draw(rng, self.options.poor_capture_share),
                                random.Random(rng.random())))
        counts["present"] = len(present)

        async def one(sid: str, plan: CapturePlan, rng: random.Random) -> None:
            async with desk:
                outcome = await self.record(vid, visit["unit_id"], sid, plan, rng)
            self.progress.advance()
            if outcome is not None:
                counts["recorded"] += 1
                counts["retaken"] += outcome in ("retake", "exception")
                counts["exceptions"] += outcome == "exception"
                self.state.facts[sid].recorded_at_catch_up = catch_up

        await asyncio.gather(*(one(*p) for p in present))
        self._lap(f"{vid} desk ({len(present)} present)")
        recorded = [sid for sid, _, _ in present if self.state.facts[sid].recorded]
        answers = await self.central_answers(recorded)
        failed = [sid for sid in recorded if answers.get(sid) == "failed"]
        for sid in failed:  # captured again while the team is still there
            await self.capture(vid, sid, payload(rng), card_details(rng, visit["kecamatan"], self._address(sid)))
        if failed:
            await self.central_answers(failed, nth=2)
        self._lap(f"{vid} central answers")
        await self.call("POST", "scheduling", f"/visits/{vid}/complete",
                        json={"recorded": counts["recorded"], "absent": counts["absent"]})
        return counts

    def _address(self, sid: str) -> str:
        school = self.schools[self.state.facts[sid].npsn]
        return f"Kp. Contoh No. {zlib.crc32(sid.encode()) % 90 + 1}, {school.kecamatan}"

    async def record(self, vid: str, unit: str, sid: str, plan: CapturePlan, rng: random.Random) -> str | None:
        student = self.state.student_by_id[sid]
        facts = self.state.facts[sid]
        operator = f"op-{unit.lower()}"
        r = await self.http.post(self.url("enrollment", f"/students/{sid}/check-ins"),
                                 json={"visit_id": vid, "operator_id": operator}, headers=desk_key())
        if r.status_code != 200:
            self.state.refusals.append(f"check-in refused: {r.json().get('detail', {}).get('message', r.text)[:120]}")
            facts.present = True
            return None
        facts.present = True
        if _age(student.birth_date, self.enrollment_today) < 18:
            await self.call("POST", "enrollment", f"/students/{sid}/consents", headers=desk_key(), json={
                "guardian_name": student.guardian_name, "relationship": "orang tua", "method": "signed_form",
                "reference": f"FORM-{sid[-8:]}", "operator_id": operator,
                "given_at": dt.datetime.now(dt.UTC).isoformat()})
        details = card_details(rng, self.schools[student.npsn].kecamatan, self._address(sid))
        if plan.quality == "good":
            ok = await self.capture(vid, sid, payload(rng), details, operator)
        else:
            first = await self.capture(vid, sid, payload(rng, poor_finger=plan.finger), details, operator)
            if first:
                raise ProgrammeError("a capture below the quality threshold was accepted")
            if plan.quality == "retake":
                ok = await self.capture(vid, sid, payload(rng), details, operator)
            else:
                await self.capture(vid, sid, payload(rng, poor_finger=plan.finger), details, operator)
                ok = await self.capture(vid, sid, payload(rng, excepted=plan.finger), details, operator)
                if ok:
                    await self.call("POST", "enrollment", f"/students/{sid}/exceptions/approval",
                                    json={"supervisor_id": SUPERVISOR}, headers=desk_key())
        if not ok:
            self.state.refusals.append("capture refused")
            return None
        facts.recorded = True
        return plan.quality

    async def capture(self, vid: str, sid: str, biometrics: dict, details: dict, operator: str = "op-desk") -> bool:
        """One capture; sent again (a 409 or 503 to retry, or by a patient transport after a lost
        answer) with its Idempotency-Key, it gets its first answer instead of a refusal."""
        r = await self.call("POST", "enrollment", f"/students/{sid}/capture", ok=(200, 422), headers=desk_key(),
                            json={"visit_id": vid, "operator_id": operator, "card_details": details,
                                  "biometrics": biometrics})
        return r.status_code == 200  # 422: below quality, the desk takes it again

    def answers(self) -> dict[str, list[str]]:
        """The central registry's answers per student, in the order the events arrived (each event once)."""
        seen: set[str] = set()
        out: dict[str, list[str]] = defaultdict(list)
        for m in self.tap.received:
            key = m["routing_key"]
            if key not in ("student.print_ready", "student.enrollment_rejected") or m["body"]["id"] in seen:
                continue
            seen.add(m["body"]["id"])
            data = m["body"]["data"]
            out[data["student_id"]].append("print_ready" if key == "student.print_ready" else data["reason_category"])
        return out

    async def central_answers(self, sids: list[str], nth: int = 1) -> dict[str, str]:
        """Wait (watching the public events) for the ``nth`` answer about each student."""
        async def answered() -> bool:
            known = self.answers()
            return all(len(known.get(sid, ())) >= nth for sid in sids)

        await self.eventually(answered, "the central registry's answers", timeout=self.options.answer_timeout_s,
                              interval=0.3)
        known = self.answers()
        return {sid: known[sid][-1] for sid in sids}

    async def print_and_hand_over(self, schools: set[str], day: dt.date) -> None:
        """Wait until every card requested today is printed (or a certificate issued while the
        unit has no blanks), then hand the printed cards over at the schools visited today."""
        requested = await self._requested(schools)

        def done() -> set[str]:
            printed = {m["body"]["data"]["student_id"] for m in self.tap.of_type("card.printed")}
            certified = {m["body"]["data"]["student_id"] for m in self.tap.of_type("certificate.issued")}
            return printed | certified

        await self.eventually(lambda: _true(requested <= done()), "cards printed or certificates issued",
                              timeout=60 + 0.2 * len(requested), interval=0.3)
        for npsn in sorted(schools):
            for job in (await self.call("GET", "printing", f"/schools/{npsn}/uncollected")).json():
                await self.call("POST", "printing", f"/jobs/{job['job_id']}/handover",
                                json={"by": f"op-{job['unit_id'].lower()}", "recipient": "holder"})

    async def _requested(self, schools: set[str]) -> set[str]:
        out = set()
        answers = self.answers()
        for npsn in schools:
            for sid in self.state.students_of.get(npsn, []):
                facts = self.state.facts[sid]
                if (facts.recorded and not facts.card_requested and not facts.card_deferred
                        and answers.get(sid, [None])[-1] == "print_ready"):
                    view = (await self.call("GET", "enrollment", f"/students/{sid}")).json()
                    request = view.get("print_request") or {}
                    facts.card_requested = request.get("state") == "requested"
                    facts.card_deferred = request.get("state") == "deferred"
                    if facts.card_requested:
                        out.add(sid)
        return out

    async def settle(self) -> None:
        """After the last visit: cards printed after a restock, and every notification delivered."""
        self.progress.stage("last prints and notifications")
        if not self.state.restocked:  # the delivery of blanks came after the last visit
            await self.restock(self.programme.start if not self.state.days else
                               dt.date.fromisoformat(self.state.days[-1]["date"]) + dt.timedelta(days=1))
        await self._requested(set(self.state.students_of))
        wanted = {sid for sid, f in self.state.facts.items() if f.card_requested}

        def printed() -> set[str]:
            return {m["body"]["data"]["student_id"] for m in self.tap.of_type("card.printed")}

        await self.eventually(lambda: _true(wanted <= printed()), "the last cards", timeout=120)

        async def delivered() -> bool:
            stats = (await self.call("GET", "notifications", "/deliveries/stats")).json()
            self.delivery_stats = stats
            return not stats.get("sending") and not stats.get("scheduled")

        try:
            await self.eventually(delivered, "every notification to be delivered", timeout=90, interval=0.5)
        except ProgrammeError:
            pass  # reported: some deliveries wait for a later time (delivery_stats)

    def _certified(self) -> set[str]:
        return {m["body"]["data"]["student_id"] for m in self.tap.of_type("certificate.issued")}

    # --- what happened ----------------------------------------------------------------------------
    async def outcome(self, seconds: float) -> Outcome:
        for sid, facts in self.state.facts.items():
            if facts.recorded:
                view = (await self.call("GET", "enrollment", f"/students/{sid}")).json()
                facts.answer = view["recording_status"] if view["recording_status"] in (
                    "print_ready", "duplicate", "failed") else None
                request = view.get("print_request") or {}
                facts.card_requested = request.get("state") == "requested"
                facts.card_deferred = request.get("state") == "deferred"
        printed = _by_student(self.tap.of_type("card.printed"), lambda d: not d.get("reprint"))
        handed = _by_student(self.tap.of_type("card.handed_over"))
        certs = _by_student(self.tap.of_type("certificate.issued"))
        for sid, facts in self.state.facts.items():
            facts.printed = printed.get(sid, 0)
            facts.handed_over = bool(handed.get(sid))
            facts.certificates = certs.get(sid, 0)
        visits = (await self.call("GET", "scheduling", "/visits")).json()
        stock = (await self.call("GET", "printing", "/stock")).json()
        extra = []
        unplaced = sum(1 for sid in self.state.facts if sid not in self.state.assigned)
        if unplaced:
            extra.append(f"{unplaced} students ready to record had no place in any visit of the plan "
                         f"(counted as absent).")
        twice = [sid for sid, n in printed.items() if n > 1]
        if twice:
            extra.append(f"{len(twice)} students have more than one card.printed (not reprints).")
        report = build_report(
            schools=[{"npsn": s.npsn, "name": s.name, "kind": s.kind, "kecamatan": s.kecamatan}
                     for s in self.programme.schools],
            roster=self.state.roster, students=self.state.facts.values(), visits=visits, stock=stock,
            full_reference=len(self.programme.students) == 7218 and len(self.programme.schools) == 47,
            extra_disagreements=extra)
        return Outcome(report=report, days=self.state.days, notifications=self.notification_counts(),
                       stock=stock, registry=await self.stack.registry_stats(), seconds=round(seconds, 1),
                       timings=self.timings)

    def notification_counts(self) -> dict[str, int]:
        assert self.stack.smtp is not None and self.stack.gateway is not None
        emails = [m.headers.get("X-Jemput-Delivery", "") for m in self.stack.smtp.received()]
        texts = [m.body.get("reference", "") for m in self.stack.gateway.messages]
        return {"emails": len(emails), "sms_whatsapp": len(texts),
                "still_scheduled": self.delivery_stats.get("scheduled", 0),
                "sent_twice": (len(emails) - len(set(emails))) + (len(texts) - len(set(texts)))}


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


async def _true(value: bool) -> bool:
    return value


def _by_student(messages: list[dict], keep: Callable[[dict], bool] = lambda d: True) -> dict[str, int]:
    seen: dict[str, set[str]] = defaultdict(set)
    for m in messages:
        data = m["body"]["data"]
        if keep(data):
            seen[data["student_id"]].add(data.get("job_id") or data.get("certificate_id") or m["body"]["id"])
    return {sid: len(ids) for sid, ids in seen.items()}
