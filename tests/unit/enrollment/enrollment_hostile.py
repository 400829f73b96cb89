"""The hostile roster of issue 4: every trap a hand-kept school spreadsheet sets.

`ROWS` are (cells, expected category, expected issues) in file order; the header is
row 1 and a blank line sits at row 23, so data rows are numbered as a spreadsheet shows
them. All identities are synthetic.
"""

from __future__ import annotations

from datetime import date

from enrollment_synthetic import HOME_SCHOOL, OTHER_SCHOOL, kk, nik, nisn

HEADER = ["NISN", "NIK", "No KK", "Nama Lengkap", "Tempat Lahir", "Tanggal Lahir",
          "Jenis Kelamin", "NPSN", "Kelas", "No HP Siswa", "Nama Wali", "HP Wali",
          "Status Perkawinan"]
FIELDS = ["nisn", "nik", "kk", "name", "birth_place", "birth_date", "sex", "npsn",
          "class_name", "phone", "guardian_name", "guardian_phone", "marital_status"]

RECORDED_NIK = nik(date(2008, 1, 20), serial=77)  # the central registry knows this one
ELSEWHERE_NIK = nik(date(2008, 6, 6), serial=78)  # already on OTHER_SCHOOL's roster


def _row(n: int, birth: date, *, female: bool = False, serial: int | None = None,
         **over: object) -> list[object]:
    cells: dict[str, object] = {
        "nisn": nisn(1000 + n), "nik": nik(birth, female=female, serial=serial or n),
        "kk": kk(n), "name": f"Siswa Uji {chr(64 + n % 26 + 1)}", "birth_place": "Tangerang",
        "birth_date": birth.strftime("%d-%m-%Y"), "sex": "P" if female else "L",
        "npsn": HOME_SCHOOL, "class_name": "XII IPS 2", "phone": "081200000" + f"{n:03d}",
        "guardian_name": "Wali Uji", "guardian_phone": "+62 812 1000 0" + f"{n:03d}",
        "marital_status": "Belum Kawin",
    }
    cells.update(over)
    return [cells[f] for f in FIELDS]


R, N, A, I = "ready_to_record", "not_yet_eligible", "already_recorded", "invalid"
E, W = "error", "warning"

_first = _row(2, date(2009, 5, 12))
ROWS: list[tuple[int, list[object], str, list[tuple[str, str, str]]]] = [
    (2, _first, R, []),
    (3, _row(3, date(2009, 5, 12), female=True), R, []),  # women's day + 40
    (4, _row(4, date(2009, 5, 12), birth_date="39945"), R, []),  # Excel serial
    (5, _row(5, date(2009, 5, 12), nik="360301120509005"), I,
     [(E, "nik", "must have 16 digits, has 15")]),
    (6, _row(6, date(2009, 5, 12), nik="3.60301E+15"), I,
     [(E, "nik", "was shortened by a spreadsheet to 3.60301E+15; format the column as "
                 "text and export again")]),
    (7, list(_first), I, [(E, "nik", "duplicate of row 2 (same NIK)")]),
    (8, _row(8, date(2009, 5, 3), birth_date="05-03-2009"), I,
     [(E, "birth_date", "day and month are swapped: '05-03-2009' against 03-05-2009 in "
                        "the NIK")]),
    (9, _row(9, date(2009, 5, 25), birth_date="05/25/2009"), I,
     [(E, "birth_date", "day and month are swapped: '05/25/2009' against 25-05-2009 in "
                        "the NIK")]),
    (10, _row(10, date(2008, 2, 29), female=True), R, []),  # 29 Feb, +40 -> day 69
    (11, _row(11, date(2012, 2, 29)), N, []),  # too young; eligible 29-02-2028
    (12, _row(12, date(2010, 9, 1), name="Siti Nur'aini"), N, []),  # eligible 01-09-2026
    (13, _row(13, date(2009, 1, 1), name="Nguyễn Thị Hằng", female=True), R, []),
    (14, _row(14, date(2009, 1, 2), name="محمد Rizki"), R,
     [(W, "name", "contains letters outside the Latin alphabet; check the spelling "
                  "against the family card (KK)")]),
    (15, _row(15, date(2009, 1, 3), name="=HYPERLINK(\"http://x.invalid\",\"klik\")"), I,
     [(E, "name", "looks like a spreadsheet formula, not a value")]),
    (16, _row(16, date(2009, 1, 4), guardian_phone="=1+1", name="O'Neil Ma`ruf"), R,
     [(W, "guardian_phone", "looks like a spreadsheet formula, not a value; left empty")]),
    (17, _row(17, date(2009, 1, 5), female=True, sex="L"), I,
     [(E, "sex", "L disagrees with the NIK, coded for a woman (day 45; women have day + 40)")]),
    (18, _row(18, date(2009, 1, 6), birth_date="07-01-2009"), I,
     [(E, "birth_date", "07-01-2009 disagrees with the NIK (06-01-2009)")]),
    (19, _row(19, date(2011, 4, 4), marital_status="Kawin"), R, []),  # married at 15
    (20, _row(20, date(2009, 1, 7), serial=20,
              nik=nik(date(2009, 1, 7), area="317401", serial=20)), R,
     [(W, "nik", "area code 3174 is not 3603: first registered elsewhere (a warning, "
                 "not a rejection)")]),
    (21, _row(21, date(2009, 1, 8), npsn="99999999"), I,
     [(E, "npsn", "school 99999999 is not a known school")]),
    (22, _row(22, date(2009, 1, 9), nisn="123456789"), I,
     [(E, "nisn", "must have 10 digits, has 9")]),
    # row 23 is blank
    (24, _row(24, date(2009, 1, 10), kk="3603"), I, [(E, "kk", "must have 16 digits, has 4")]),
    (25, _row(25, date(2008, 1, 20), serial=77), A, []),
    (26, _row(26, date(2008, 6, 6), serial=78), I,
     [(E, "nik", f"also on the roster of school {OTHER_SCHOOL}; the schools must settle "
                 "which one the student attends")]),
    (27, _row(27, date(2009, 2, 1), nik="'" + nik(date(2009, 2, 1), serial=27),
              class_name="XII; IPA 1", phone="", guardian_name="-"), R, []),
    (28, _row(28, date(2009, 2, 2), nisn=nisn(1002)), I,
     [(E, "nisn", "row 2 has the same NISN with another NIK")]),
    (29, _row(29, date(2009, 2, 3), birth_date="31-02-2009", sex="X"), I,
     [(E, "birth_date", "'31-02-2009' is not a calendar date"),
      (E, "sex", "'X' is not L (laki-laki) or P (perempuan)")]),
]
BLANK_ROW = 23
ELIGIBLE_ON = {11: date(2028, 2, 29), 12: date(2026, 9, 1)}


def lines_in_order() -> list[list[object]]:
    """Header, data rows and the blank line, in file order: fresh lists each call, so a
    test that edits a cell (a corrected file) cannot change the fixture for later tests."""
    out: list[list[object]] = [list(HEADER)]
    for number, cells, _, _ in ROWS:
        while len(out) + 1 < number:
            out.append([""] * len(HEADER))
        out.append(list(cells))
    return out


def expected_counts() -> dict[str, int]:
    counts = {R: 0, N: 0, A: 0, I: 0}
    for _, _, category, _ in ROWS:
        counts[category] += 1
    return counts
