"""The report and the dashboard compared total by total, each difference said plainly."""

from __future__ import annotations

from programme.crosscheck import COMPARED, differences
from programme.report import build_report

from .test_report import ROSTER, SCHOOLS, VISITS, facts


def report():
    return build_report(schools=SCHOOLS, roster=ROSTER, students=facts(), visits=VISITS)


def test_the_same_totals_agree() -> None:
    r = report()
    assert differences(r, {name: getattr(r.totals, name) for name in COMPARED}) == []


def test_each_differing_total_is_named_with_both_figures() -> None:
    r = report()
    seen = {name: getattr(r.totals, name) for name in COMPARED} | {"printed": r.totals.printed + 1}
    del seen["handed_over"]  # a dashboard that does not know a figure disagrees too
    assert differences(r, seen) == [
        f"printed: the report says {r.totals.printed}, the dashboard shows {r.totals.printed + 1}",
        f"handed over: the report says {r.totals.handed_over}, the dashboard shows None",
    ]
