from datetime import date, datetime

import pytest

from services.enrollment.domain import cells
from services.enrollment.domain.cells import FieldError, MaritalStatus
from services.enrollment.domain.nik import Sex


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3603011205090007", "3603011205090007"),
        ("'3603011205090007", "3603011205090007"),
        (" 3603 0112 0509 0007 ", "3603011205090007"),
        ("3603011205090007.0", "3603011205090007"),
        (3603011205090007, "3603011205090007"),
        (3603011205090007.0, "3603011205090007"),
    ],
)
def test_identifier_digits_survive_spreadsheet_habits(value, expected):
    assert cells.identifier_digits(value, length=16) == expected


@pytest.mark.parametrize(
    ("value", "length", "reason"),
    [
        (None, 16, "is missing"),
        ("", 16, "is missing"),
        ("3.60301E+15", 16, "was shortened by a spreadsheet to 3.60301E+15; "
                            "format the column as text and export again"),
        ("=3603011205090007", 16, "looks like a spreadsheet formula, not a value"),
        ("36030112050900O7", 16, "must contain digits only, got '36030112050900O7'"),
        (81234567, 10, "must have 10 digits, has 8; a spreadsheet may have dropped "
                       "leading zeros, format the column as text"),
        ("81234567", 10, "must have 10 digits, has 8"),
        (12.5, 8, "is a fraction, not a number"),
    ],
)
def test_identifier_errors_name_the_damage(value, length, reason):
    with pytest.raises(FieldError) as caught:
        cells.identifier_digits(value, length=length)
    assert str(caught.value) == reason


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12-05-2009", date(2009, 5, 12)),
        ("12/05/2009", date(2009, 5, 12)),
        ("12.05.2009", date(2009, 5, 12)),
        ("2009-05-12", date(2009, 5, 12)),
        ("12052009", date(2009, 5, 12)),
        ("12 Mei 2009", date(2009, 5, 12)),
        ("12 Agustus 2009", date(2009, 8, 12)),
        ("12 march 2009", date(2009, 3, 12)),
        (datetime(2009, 5, 12, 0, 0), date(2009, 5, 12)),
        (date(2009, 5, 12), date(2009, 5, 12)),
        (39945, date(2009, 5, 12)),
        ("39945", date(2009, 5, 12)),
        (39945.0, date(2009, 5, 12)),
        ("29-02-2008", date(2008, 2, 29)),
    ],
)
def test_birth_dates_in_the_forms_rosters_use(value, expected):
    assert cells.parse_birth_date(value).value == expected


def test_excel_serial_is_marked_as_such():
    parsed = cells.parse_birth_date("39945")
    assert parsed.from_excel_serial


def test_a_date_that_only_works_month_first_is_kept_for_the_nik_to_decide():
    parsed = cells.parse_birth_date("05/25/2009")
    assert parsed.value is None
    assert parsed.month_first == date(2009, 5, 25)


def test_an_ambiguous_date_keeps_both_readings():
    parsed = cells.parse_birth_date("05/12/2009")
    assert parsed.value == date(2009, 12, 5)
    assert parsed.month_first == date(2009, 5, 12)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "is missing"),
        ("31-02-2009", "'31-02-2009' is not a calendar date"),
        ("29-02-2009", "'29-02-2009' is not a calendar date"),
        ("12-05-09", "'12-05-09' needs a 4-digit year (DD-MM-YYYY)"),
        ("12 Foo 2009", "unknown month 'Foo' in '12 Foo 2009'"),
        ("kemarin", "'kemarin' is not a date (expected DD-MM-YYYY)"),
        ("=TODAY()", "looks like a spreadsheet formula, not a value"),
        (12, "number 12 is not a date or an Excel date serial"),
        ("2009-13-01", "'2009-13-01' is not a calendar date"),
    ],
)
def test_unreadable_dates_say_why(value, reason):
    with pytest.raises(FieldError) as caught:
        cells.parse_birth_date(value)
    assert str(caught.value) == reason


@pytest.mark.parametrize(
    ("text", "formula"),
    [
        ("=HYPERLINK(\"http://x\")", True),
        ("@SUM(A1)", True),
        ("+A1", True),
        ("-2+3*cmd", True),
        ("+62 812 0000 0001", False),
        ("-", False),
        ("Ma'ruf", False),
        ("", False),
    ],
)
def test_formula_detection(text, formula):
    assert cells.looks_like_formula(text) is formula


@pytest.mark.parametrize(
    ("value", "sex"),
    [("L", Sex.MALE), ("laki-laki", Sex.MALE), ("Pria", Sex.MALE), ("P", Sex.FEMALE),
     ("PEREMPUAN", Sex.FEMALE), ("wanita", Sex.FEMALE), ("F", Sex.FEMALE)],
)
def test_sex_spellings(value, sex):
    assert cells.parse_sex(value) is sex


def test_unknown_sex_is_refused():
    with pytest.raises(FieldError, match=r"'X' is not L \(laki-laki\) or P \(perempuan\)"):
        cells.parse_sex("X")


@pytest.mark.parametrize(
    ("value", "status"),
    [(None, MaritalStatus.BELUM_KAWIN), ("-", MaritalStatus.BELUM_KAWIN),
     ("Belum Kawin", MaritalStatus.BELUM_KAWIN), ("KAWIN", MaritalStatus.KAWIN),
     ("menikah", MaritalStatus.KAWIN), ("Cerai Hidup", MaritalStatus.CERAI_HIDUP),
     ("cerai mati", MaritalStatus.CERAI_MATI)],
)
def test_marital_status_spellings(value, status):
    assert cells.parse_marital_status(value) is status


def test_previously_married_counts_as_married():
    assert MaritalStatus.CERAI_HIDUP.ever_married
    assert MaritalStatus.CERAI_MATI.ever_married
    assert not MaritalStatus.BELUM_KAWIN.ever_married


def test_unknown_marital_status_is_refused():
    with pytest.raises(FieldError, match="'pacaran' is not one of"):
        cells.parse_marital_status("pacaran")


@pytest.mark.parametrize(
    ("value", "name", "non_latin"),
    [
        ("  Siti   Nur'aini ", "Siti Nur'aini", False),
        ("Muh. Ma`ruf", "Muh. Ma'ruf", False),
        ("I Gusti Ngurah Ayu-Putri", "I Gusti Ngurah Ayu-Putri", False),
        ("Nguyễn Thị Hằng", "Nguyễn Thị Hằng", False),
        ("Ñañez O\u2019Brien", "Ñañez O\u2019Brien", False),
        ("محمد Rizki", "محمد Rizki", True),
        ("Ζωή", "Ζωή", True),
    ],
)
def test_names_keep_apostrophes_and_letters_of_any_alphabet(value, name, non_latin):
    assert cells.parse_name(value) == (name, non_latin)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "is missing"),
        ("Budi 2", "contains digits"),
        ("Budi #Santoso", "contains characters not used in names: #"),
        ("=cmd|' /C calc'!A0", "looks like a spreadsheet formula, not a value"),
        ("'-.", "has no letters"),
        ("A" * 101, "is 101 characters long, at most 100"),
    ],
)
def test_names_that_cannot_be_names(value, reason):
    with pytest.raises(FieldError) as caught:
        cells.parse_name(value)
    assert str(caught.value) == reason


@pytest.mark.parametrize(
    ("value", "e164"),
    [("0812-0000-0001", "+6281200000001"), ("+62 812 0000 0001", "+6281200000001"),
     ("628120000001", "+628120000001"), (8120000001, "+628120000001"),
     ("(0812) 0000 0001", "+6281200000001"), (None, None), ("-", None)],
)
def test_phone_numbers_become_e164(value, e164):
    assert cells.parse_phone(value) == e164


@pytest.mark.parametrize(
    ("value", "reason"),
    [("021-5550001", "'021-5550001' is not a mobile number (08...)"),
     ("+1 555 0100", "'+1 555 0100' is not an Indonesian number (+62)"),
     ("0812", "'0812' has 4 digits, a mobile number has 10 to 13"),
     ("08ab", "'08ab' is not a phone number"),
     ("=1+1", "looks like a spreadsheet formula, not a value")],
)
def test_bad_phone_numbers(value, reason):
    with pytest.raises(FieldError) as caught:
        cells.parse_phone(value)
    assert str(caught.value) == reason


def test_clean_text_normalises_unicode_and_spaces():
    assert cells.clean_text("Ngu\u0079\u0065\u0302\u0303n\u00a0 A") == "Nguyễn A"
    assert cells.clean_text("   ") is None
    assert cells.clean_text(12.0) == "12"
