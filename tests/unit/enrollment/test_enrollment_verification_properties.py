"""Whatever a roster holds, verification never crashes, every row lands in exactly one
category, categories sum to the total, and an invalid row always says why."""

from datetime import date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from enrollment_synthetic import HOME_SCHOOL, TODAY, nik, row
from services.enrollment.domain.report import RosterReport
from services.enrollment.domain.roster import Category
from services.enrollment.domain.verification import (
    RosterDuplicates,
    RosterVerifier,
    VerificationContext,
)

FIELDS = list(row().keys())
junk = st.one_of(
    st.none(), st.text(max_size=30), st.integers(min_value=-10**17, max_value=10**17),
    st.floats(allow_nan=True, allow_infinity=True), st.dates().map(lambda d: d),
    st.datetimes(min_value=datetime(1900, 1, 1)),
    st.sampled_from(["=1+1", "@x", "-", "'", "3.60301E+15", "\ufeff", "29-02-2009", "39945"]),
)
good_row = st.builds(
    lambda n, birth, female, married: row(
        n=n, birth=birth, female=female, serial=n % 9999 + 1,
        marital_status="Kawin" if married else "Belum Kawin"),
    st.integers(min_value=1, max_value=500),
    st.dates(min_value=date(1995, 1, 1), max_value=date(2014, 12, 31)),
    st.booleans(), st.booleans(),
)


@st.composite
def damaged_row(draw):
    cells = draw(good_row)
    for field in draw(st.lists(st.sampled_from(FIELDS), max_size=4)):
        cells[field] = draw(junk)
    return cells


@settings(max_examples=150, deadline=None)
@given(st.lists(damaged_row(), min_size=1, max_size=25))
def test_categories_always_sum_and_invalid_rows_say_why(rows):
    verifier = RosterVerifier(VerificationContext(today=TODAY, known_schools={HOME_SCHOOL}))
    duplicates = RosterDuplicates()
    report = RosterReport(source="property")
    for number, cells in enumerate(rows, start=2):
        verdict = duplicates.check(verifier.verify(number, cells))
        if verdict.category is Category.INVALID:
            assert verdict.errors and verdict.student is None
            assert all(e.row == number and e.field in FIELDS and e.reason for e in verdict.errors)
        else:
            assert verdict.student is not None and not verdict.errors
            assert (verdict.category is Category.NOT_YET_ELIGIBLE) == (verdict.eligible_on is not None)
        report.add(verdict)
    assert report.total == len(rows)
    assert report.sums_to_total
    assert sum(report.count(c) for c in Category) == len(rows)


@settings(max_examples=100, deadline=None)
@given(birth=st.dates(min_value=date(1990, 1, 1), max_value=date(2014, 12, 31)),
       female=st.booleans())
def test_a_clean_row_is_never_invalid_and_eligibility_follows_age(birth, female):
    cells = row(birth=birth, female=female)
    verdict = RosterVerifier(VerificationContext(today=TODAY, known_schools={HOME_SCHOOL})
                             ).verify(2, cells)
    assert verdict.category is not Category.INVALID, verdict.issues
    assert verdict.student.nik == nik(birth, female=female)
    sixteen = date(birth.year + 16, 3, 1) if (birth.month, birth.day) == (2, 29) else \
        birth.replace(year=birth.year + 16)
    if sixteen <= TODAY:
        assert verdict.category is Category.READY_TO_RECORD
    else:
        assert verdict.category is Category.NOT_YET_ELIGIBLE and verdict.eligible_on == sixteen
