"""The programme report: per school what was planned and what became of every student.

Pure: built from the facts the runner collected (the roster verification each school's import
answered, what happened at each visit, and the public events an outside subscriber saw). Every
breakdown is a partition, so its parts sum exactly to the whole, and the report checks that
before it is shown. Where a source figure disagrees with another (the office's published split,
the counts a team reported when closing a visit, the blank stock ledger), the report says so in
plain words instead of smoothing it over.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields

from programme.synthetic import OFFICE_ALREADY_RECORDED, OFFICE_READY, ROSTER_TOTAL

# What happened to one student who was ready to record (the target): exactly one of these.
OUTCOMES = (
    "card_handed_over",        # card printed and in the student's hands
    "card_awaiting_collection",  # card printed, not yet collected
    "certificate_only",        # Surat Keterangan issued, card not printed yet
    "card_in_queue",           # card requested, not printed, no certificate (yet)
    "card_due_at_17",          # print-ready, card waits for the 17th birthday
    "duplicate",               # the central registry already had this person
    "failed",                  # the central registry refused the record; not captured again
    "awaiting_answer",         # captured, no answer from the central registry yet
    "absent",                  # never present at any visit
    "not_recorded",            # present but not recorded (refused at the desk)
)


@dataclass
class StudentFacts:
    """What the runner knows about one student who was ready to record."""

    student_id: str
    npsn: str
    present: bool = False             # present at some visit
    recorded: bool = False            # capture accepted (student.recorded or the desk's answer)
    recorded_at_catch_up: bool = False
    absent_visits: int = 0
    answer: str | None = None         # print_ready | duplicate | failed
    card_requested: bool = False
    card_deferred: bool = False       # print request due at 17
    printed: int = 0                  # distinct card.printed (non-reprint) seen
    handed_over: bool = False
    certificates: int = 0

    def outcome(self) -> str:
        if not self.present:
            return "absent"
        if not self.recorded:
            return "not_recorded"
        if self.printed:
            return "card_handed_over" if self.handed_over else "card_awaiting_collection"
        if self.certificates:
            return "certificate_only"
        if self.answer == "print_ready":
            if self.card_deferred and not self.card_requested:
                return "card_due_at_17"
            return "card_in_queue"
        if self.answer == "duplicate":
            return "duplicate"
        if self.answer == "failed":
            return "failed"
        return "awaiting_answer"


@dataclass
class SchoolRow:
    npsn: str
    name: str
    kind: str
    kecamatan: str
    roster_total: int = 0
    already_recorded: int = 0
    not_yet_eligible: int = 0
    invalid: int = 0
    target: int = 0
    visits: int = 0
    catch_up_visits: int = 0
    recorded: int = 0
    catch_up: int = 0
    printed: int = 0
    handed_over: int = 0
    certificates: int = 0
    absent: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))

    def roster_sums(self) -> bool:
        return self.already_recorded + self.target + self.not_yet_eligible + self.invalid == self.roster_total

    def outcomes_sum(self) -> bool:
        return sum(self.outcomes.values()) == self.target


COLUMNS = [  # (attribute, heading) for exports and the terminal table
    ("npsn", "NPSN"), ("name", "School"), ("kind", "Kind"), ("kecamatan", "Kecamatan"),
    ("roster_total", "Roster"), ("already_recorded", "Already recorded"), ("not_yet_eligible", "Not yet eligible"),
    ("invalid", "Invalid rows"), ("target", "Target"), ("visits", "Visits"), ("recorded", "Recorded"),
    ("printed", "Printed"), ("handed_over", "Handed over"), ("certificates", "Certificates"),
    ("absent", "Absent"), ("catch_up", "Recorded at catch-up"),
]


@dataclass
class ProgrammeReport:
    schools: list[SchoolRow]
    totals: SchoolRow
    checks: list[tuple[str, bool]]       # (statement, holds)
    disagreements: list[str]             # plain words, one per disagreement
    notes: list[str]

    @property
    def ok(self) -> bool:
        return all(holds for _, holds in self.checks)


def build_report(*, schools: Iterable[dict], roster: dict[str, dict], students: Iterable[StudentFacts],
                 visits: Iterable[dict], stock: Iterable[dict] = (), full_reference: bool = False,
                 extra_disagreements: Iterable[str] = ()) -> ProgrammeReport:
    """``schools``: npsn/name/kind/kecamatan; ``roster``: the verification counts per NPSN;
    ``students``: one StudentFacts per student ready to record; ``visits``: the visits as the
    scheduling service has them (status, catch_up_of, recorded, absent); ``stock``: each unit's
    reconciliation from printing."""
    rows = {s["npsn"]: SchoolRow(npsn=s["npsn"], name=s["name"], kind=s["kind"], kecamatan=s["kecamatan"])
            for s in schools}
    for npsn, counts in roster.items():
        row = rows.get(npsn)
        if row is None:
            continue
        row.roster_total = counts.get("total", 0)
        row.already_recorded = counts.get("already_recorded", 0)
        row.not_yet_eligible = counts.get("not_yet_eligible", 0)
        row.invalid = counts.get("invalid", 0)
        row.target = counts.get("ready_to_record", 0)
    reported: dict[str, tuple[int, int]] = {}
    for visit in visits:
        row = rows.get(visit["npsn"])
        if row is None or visit.get("status") == "cancelled":
            continue
        row.visits += 1
        row.catch_up_visits += bool(visit.get("catch_up_of"))
        if visit.get("status") == "completed":
            rec, absent = reported.get(visit["npsn"], (0, 0))
            reported[visit["npsn"]] = (rec + (visit.get("recorded") or 0), absent + (visit.get("absent") or 0))
    counted: dict[str, int] = dict.fromkeys(rows, 0)
    for s in students:
        row = rows.get(s.npsn)
        if row is None:
            continue
        counted[s.npsn] += 1
        row.outcomes[s.outcome()] += 1
        row.recorded += s.recorded
        row.catch_up += s.recorded and s.recorded_at_catch_up
        row.printed += bool(s.printed)
        row.handed_over += s.handed_over
        row.certificates += bool(s.certificates)
        row.absent += not s.present
    totals = SchoolRow(npsn="", name="Total", kind="", kecamatan="")
    for row in rows.values():
        for f in fields(SchoolRow):
            if f.type == "int" or f.type is int:
                setattr(totals, f.name, getattr(totals, f.name) + getattr(row, f.name))
        for key, value in row.outcomes.items():
            totals.outcomes[key] += value

    checks = _checks(list(rows.values()), totals, counted, students_seen=sum(counted.values()))
    disagreements = list(extra_disagreements)
    disagreements += _disagreements(list(rows.values()), reported, stock)
    notes = _office_notes(totals, full_reference)
    return ProgrammeReport(schools=list(rows.values()), totals=totals, checks=checks,
                           disagreements=disagreements, notes=notes)


def _checks(rows: list[SchoolRow], totals: SchoolRow, counted: dict[str, int], students_seen: int) -> list[tuple[str, bool]]:
    o = totals.outcomes
    return [
        (f"every school's roster: already recorded + target + not yet eligible + invalid = roster "
         f"({totals.already_recorded:,} + {totals.target:,} + {totals.not_yet_eligible:,} + {totals.invalid:,} "
         f"= {totals.roster_total:,})", all(r.roster_sums() for r in rows) and totals.roster_sums()),
        (f"every student of the target is counted once ({students_seen:,} of {totals.target:,})",
         all(counted[r.npsn] == r.target for r in rows)),
        ("every school's target = the sum of its outcomes", all(r.outcomes_sum() for r in rows)),
        (f"target = recorded + absent + not recorded ({totals.target:,} = {totals.recorded:,} + "
         f"{o['absent']:,} + {o['not_recorded']:,})",
         totals.target == totals.recorded + o["absent"] + o["not_recorded"]),
        (f"recorded = cards printed + certificates only + in queue + due at 17 + duplicates + failed + "
         f"awaiting answer ({totals.recorded:,})",
         totals.recorded == sum(o[k] for k in OUTCOMES if k not in ("absent", "not_recorded"))),
        (f"printed = handed over + awaiting collection ({totals.printed:,} = {o['card_handed_over']:,} + "
         f"{o['card_awaiting_collection']:,})",
         totals.printed == o["card_handed_over"] + o["card_awaiting_collection"]),
    ]


def _disagreements(rows: list[SchoolRow], reported: dict[str, tuple[int, int]], stock: Iterable[dict]) -> list[str]:
    out = []
    for row in rows:
        rec, _ = reported.get(row.npsn, (0, 0))
        if row.npsn in reported and rec != row.recorded:
            out.append(f"{row.name} ({row.npsn}): the teams reported {rec} recorded when closing their visits, "
                       f"the enrollment records show {row.recorded}.")
    for unit in stock:
        received, issued = unit.get("received", 0), unit.get("issued", 0)
        spoiled, remaining = unit.get("spoiled", 0), unit.get("remaining", 0)
        if received != issued + spoiled + remaining:
            out.append(f"unit {unit.get('unit_id')}: blank stock does not reconcile: received {received} ≠ issued "
                       f"{issued} + spoiled {spoiled} + remaining {remaining}.")
    return out


def _office_notes(totals: SchoolRow, full_reference: bool) -> list[str]:
    office_sum = OFFICE_ALREADY_RECORDED + OFFICE_READY
    note = (f"The office's published figures, {OFFICE_ALREADY_RECORDED:,} already recorded and {OFFICE_READY:,} "
            f"ready to record, add up to {office_sum:,}: {office_sum - ROSTER_TOTAL:,} more than the "
            f"{ROSTER_TOTAL:,} students on the rosters, so they cannot both be counts of roster students. ")
    if full_reference:
        note += (f"Verified row by row, each roster student is counted once here: {totals.already_recorded:,} "
                 f"already recorded, {totals.target:,} ready to record, {totals.not_yet_eligible:,} not yet "
                 f"eligible, {totals.invalid:,} invalid rows = {totals.roster_total:,}. The already-recorded "
                 f"figure disagrees with the office's by {OFFICE_ALREADY_RECORDED - totals.already_recorded:,}.")
    else:
        note += (f"This run is a sample of {totals.roster_total:,} roster students; the full run "
                 f"(--schools 47 --students 7218) compares its row-by-row split with those figures.")
    return [note]


def totals_table(report: ProgrammeReport) -> list[tuple[str, int]]:
    """The outcome breakdown of the target, in a fixed order (for the summary and the PDF)."""
    t = report.totals
    o = t.outcomes
    return [
        ("Roster students", t.roster_total), ("  already recorded (central registry)", t.already_recorded),
        ("  not yet eligible (under the recording age)", t.not_yet_eligible), ("  invalid rows", t.invalid),
        ("  ready to record: the target", t.target),
        ("Target", t.target), ("  absent at every visit", o["absent"]), ("  present, not recorded", o["not_recorded"]),
        ("  recorded", t.recorded),
        ("Recorded", t.recorded), ("  card handed over", o["card_handed_over"]),
        ("  card printed, awaiting collection", o["card_awaiting_collection"]),
        ("  temporary certificate, card not printed yet", o["certificate_only"]),
        ("  card requested, not printed yet", o["card_in_queue"]),
        ("  print-ready, card due at 17", o["card_due_at_17"]), ("  duplicate in the central registry", o["duplicate"]),
        ("  refused by the central registry", o["failed"]), ("  awaiting the central answer", o["awaiting_answer"]),
    ]
