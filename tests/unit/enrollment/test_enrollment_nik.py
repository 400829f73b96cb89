from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from enrollment_synthetic import TODAY, nik
from services.enrollment.domain.nik import NikError, Sex, mask_nik, parse_nik


def test_male_nik_gives_area_birth_date_and_serial():
    parsed = parse_nik("3603011205090007", reference=TODAY)
    assert parsed.area_code == "3603"
    assert parsed.district_code == "360301"
    assert parsed.birth_date == date(2009, 5, 12)
    assert parsed.sex is Sex.MALE
    assert parsed.serial == "0007"


def test_women_have_forty_added_to_the_day():
    parsed = parse_nik("3603015205090001", reference=TODAY)
    assert parsed.sex is Sex.FEMALE
    assert parsed.birth_date == date(2009, 5, 12)


def test_twenty_ninth_of_february_in_a_leap_year_is_a_birth_date():
    assert parse_nik("3603016902080001", reference=TODAY).birth_date == date(2008, 2, 29)


@pytest.mark.parametrize(
    ("digits", "reason"),
    [
        ("360301120509001", "must have 16 digits, has 15"),
        ("36030112050900011", "must have 16 digits, has 17"),
        ("36030112O5090001", "must contain digits only"),
        ("9903011205090001", "province code 99 does not exist"),
        ("3600011205090001", "area code 360001 is not a regency and district"),
        ("3603013505090001", "birth day 35 is neither 01-31 (men) nor 41-71 (women)"),
        ("3603012902090001", "birth date 29-02-09 in the NIK is not a calendar date"),
        ("3603011213090001", "birth date 12-13-09 in the NIK is not a calendar date"),
        ("3603011205090000", "serial 0000 is never issued"),
        ("3603011208260001", "birth date in the NIK is in the future"),
    ],
)
def test_unusable_niks_name_the_reason(digits, reason):
    with pytest.raises(NikError) as caught:
        parse_nik(digits, reference=TODAY)
    assert str(caught.value) == reason


def test_two_digit_year_takes_the_latest_century_not_in_the_future():
    assert parse_nik("3603011205950001", reference=TODAY).birth_date == date(1995, 5, 12)
    assert parse_nik("3603011205260001", reference=TODAY).birth_date == date(2026, 5, 12)


def test_masked_nik_keeps_area_and_serial_only():
    assert mask_nik("3603011205090007") == "3603********0007"
    assert mask_nik("123") == "***"


@given(
    birth=st.dates(min_value=date(1927, 1, 1), max_value=TODAY),
    female=st.booleans(),
    serial=st.integers(min_value=1, max_value=9999),
)
def test_any_synthetic_nik_round_trips(birth, female, serial):
    parsed = parse_nik(nik(birth, female=female, serial=serial), reference=TODAY)
    assert parsed.birth_date == birth
    assert parsed.sex is (Sex.FEMALE if female else Sex.MALE)
    assert int(parsed.serial) == serial
