"""The programme report: every breakdown a partition, disagreements said plainly."""

from __future__ import annotations

from programme.report import OUTCOMES, StudentFacts, build_report, totals_table

SCHOOLS = [{"npsn": "69900000", "name": "SMAN 1 Contoh", "kind": "SMA", "kecamatan": "Balaraja"},
           {"npsn": "69900001", "name": "SMKN 1 Contoh", "kind": "SMK", "kecamatan": "Cikupa"}]
ROSTER = {"69900000": {"total": 10, "already_recorded": 3, "ready_to_record": 6, "not_yet_eligible": 1, "invalid": 0},
          "69900001": {"total": 5, "already_recorded": 1, "ready_to_record": 3, "not_yet_eligible": 0, "invalid": 1}}


def facts() -> list[StudentFacts]:
    a, b = "69900000", "69900001"
    return [
        StudentFacts("s1", a, present=True, recorded=True, answer="print_ready", card_requested=True, printed=1,
                     handed_over=True),
        StudentFacts("s2", a, present=True, recorded=True, answer="print_ready", card_requested=True, printed=1,
                     certificates=1),  # certificate first, card after the restock, not yet collected
        StudentFacts("s3", a, present=True, recorded=True, answer="print_ready", card_requested=True, certificates=1),
        StudentFacts("s4", a, present=True, recorded=True, answer="print_ready", card_deferred=True,
                     recorded_at_catch_up=True, absent_visits=1),
        StudentFacts("s5", a, absent_visits=2),
        StudentFacts("s6", a, present=True),  # refused at the desk
        StudentFacts("s7", b, present=True, recorded=True, answer="duplicate"),
        StudentFacts("s8", b, present=True, recorded=True, answer="failed"),
        StudentFacts("s9", b, present=True, recorded=True),
    ]


VISITS = [{"npsn": "69900000", "status": "completed", "recorded": 4, "absent": 1},
          {"npsn": "69900000", "status": "cancelled"},
          {"npsn": "69900001", "status": "completed", "recorded": 3, "absent": 0}]


def test_each_student_lands_in_exactly_one_outcome_and_every_check_holds() -> None:
    report = build_report(schools=SCHOOLS, roster=ROSTER, students=facts(), visits=VISITS)
    assert report.ok, [c for c in report.checks if not c[1]]
    t = report.totals
    assert (t.roster_total, t.target, t.recorded, t.printed, t.handed_over, t.certificates, t.absent, t.catch_up) == (
        15, 9, 7, 2, 1, 2, 1, 1)
    assert t.outcomes == {**dict.fromkeys(OUTCOMES, 0), "card_handed_over": 1, "card_awaiting_collection": 1,
                          "certificate_only": 1, "card_due_at_17": 1, "absent": 1, "not_recorded": 1,
                          "duplicate": 1, "failed": 1, "awaiting_answer": 1}
    first = report.schools[0]
    assert (first.visits, first.target, first.recorded) == (1, 6, 4)
    assert report.disagreements == []
    labels = dict(totals_table(report))
    assert labels["Target"] == 9 and labels["Recorded"] == 7


def test_a_student_missing_from_the_facts_breaks_the_check() -> None:
    report = build_report(schools=SCHOOLS, roster=ROSTER, students=facts()[1:], visits=VISITS)
    assert not report.ok
    failed = [statement for statement, holds in report.checks if not holds]
    assert any("counted once (8 of 9)" in s for s in failed)


def test_disagreeing_sources_are_said_plainly() -> None:
    visits = [{"npsn": "69900000", "status": "completed", "recorded": 5, "absent": 0}]
    stock = [{"unit_id": "TGR-1", "received": 10, "issued": 4, "spoiled": 1, "remaining": 4}]
    report = build_report(schools=SCHOOLS, roster=ROSTER, students=facts(), visits=visits, stock=stock,
                          extra_disagreements=["one more"])
    text = " ".join(report.disagreements)
    assert "reported 5 recorded" in text and "show 4" in text
    assert "TGR-1" in text and "received 10" in text
    assert "one more" in report.disagreements


def test_the_office_figures_are_called_out() -> None:
    sample = build_report(schools=SCHOOLS, roster=ROSTER, students=facts(), visits=VISITS)
    assert "7,385" in sample.notes[0] and "167 more than the 7,218" in sample.notes[0]
    assert "sample of 15" in sample.notes[0]
    full = build_report(schools=SCHOOLS, roster=ROSTER, students=facts(), visits=VISITS, full_reference=True)
    assert "4 already recorded" in full.notes[0] and "disagrees with the office's by 4,028" in full.notes[0]
