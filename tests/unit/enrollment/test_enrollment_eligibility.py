from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.enrollment.domain.eligibility import AgePolicy, age_on, anniversary


def test_age_turns_on_the_birthday():
    birth = date(2009, 5, 12)
    assert age_on(birth, date(2025, 5, 11)) == 15
    assert age_on(birth, date(2025, 5, 12)) == 16


def test_born_on_29_february_turns_sixteen_on_1_march_in_a_common_year():
    birth = date(2008, 2, 29)
    assert anniversary(birth, 16) == date(2024, 2, 29)  # 2024 is a leap year
    assert anniversary(birth, 17) == date(2025, 3, 1)
    assert age_on(birth, date(2025, 2, 28)) == 16
    assert age_on(birth, date(2025, 3, 1)) == 17


def test_recording_and_printing_ages_are_separate_settings():
    policy = AgePolicy(recording_age=16, printing_age=17)
    birth = date(2009, 8, 1)
    on = date(2026, 1, 10)  # 16 years old
    assert policy.may_record(birth, on, ever_married=False)
    assert not policy.may_print(birth, on, ever_married=False)
    assert policy.printable_from(birth, ever_married=False) == date(2026, 8, 1)
    stricter = AgePolicy(recording_age=17, printing_age=17)
    assert not stricter.may_record(birth, on, ever_married=False)
    assert stricter.recordable_from(birth, ever_married=False) == date(2026, 8, 1)


def test_married_students_are_eligible_whatever_their_age():
    policy = AgePolicy()
    birth = date(2011, 3, 3)
    on = date(2026, 1, 1)
    assert policy.may_record(birth, on, ever_married=True)
    assert policy.may_print(birth, on, ever_married=True)
    assert policy.recordable_from(birth, ever_married=True) is None
    assert policy.printable_from(birth, ever_married=True) is None


def test_guardian_consent_is_needed_below_eighteen():
    policy = AgePolicy()
    birth = date(2008, 7, 15)
    assert policy.needs_guardian_consent(birth, date(2026, 7, 14))
    assert not policy.needs_guardian_consent(birth, date(2026, 7, 15))


def test_recording_age_above_printing_age_is_refused():
    with pytest.raises(ValueError, match="recording age"):
        AgePolicy(recording_age=18, printing_age=17)


@given(birth=st.dates(min_value=date(1950, 1, 1), max_value=date(2030, 12, 31)),
       years=st.integers(min_value=0, max_value=60))
def test_age_on_the_anniversary_is_exactly_that_age(birth, years):
    day = anniversary(birth, years)
    assert age_on(birth, day) == years
    assert age_on(birth, day - timedelta(days=1)) == years - 1
