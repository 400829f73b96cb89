import codecs

import pytest
from openpyxl import Workbook

from services.enrollment.adapters.roster_reader import RosterFile
from services.enrollment.domain.roster import RosterFormatError

HEADER = "nisn,nik,nama,tanggal_lahir,jk,npsn"


def lines_of(path):
    with RosterFile(path) as roster:
        return [(line.number, line.cells) for line in roster.lines()], roster


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
@pytest.mark.parametrize("bom", [b"", codecs.BOM_UTF8])
def test_csv_delimiter_and_bom_are_sniffed(tmp_path, delimiter, bom):
    path = tmp_path / "r.csv"
    body = "\n".join([HEADER.replace(",", delimiter),
                      delimiter.join(["0000000001", "3603011205090001", "Ma'ruf",
                                      "12-05-2009", "L", "20612345"])])
    path.write_bytes(bom + body.encode())
    lines, roster = lines_of(path)
    assert roster.delimiter == delimiter
    assert lines == [(2, {"nisn": "0000000001", "nik": "3603011205090001", "name": "Ma'ruf",
                          "birth_date": "12-05-2009", "sex": "L", "npsn": "20612345"})]


def test_quoted_cells_may_hold_delimiters_and_line_breaks(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(HEADER + ',kelas\n1,2,"Budi, S.",4,L,6,"XII\nIPA"\n7,8,Ani,9,P,10,X\n')
    lines, _ = lines_of(path)
    assert [n for n, _ in lines] == [2, 3]
    assert lines[0][1]["name"] == "Budi, S." and lines[0][1]["class_name"] == "XII\nIPA"


def test_short_rows_leave_missing_cells_empty_and_blank_lines_keep_numbering(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(HEADER + "\n1,2\n,,,,,\n\n5,6,7,8,9,10\n")
    lines, _ = lines_of(path)
    assert [n for n, _ in lines] == [2, 5]
    assert lines[0][1]["npsn"] is None


def test_bytes_that_are_not_utf8_reach_the_row_as_replacement_characters(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(HEADER.encode() + b"\n1,2,Sit\xed,4,P,6\n")
    lines, _ = lines_of(path)
    assert lines[0][1]["name"] == "Sit\ufffd"


def test_missing_required_columns_are_named(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("nisn;nama;kelas\n1;2;3\n")
    with pytest.raises(RosterFormatError, match=r"required columns missing: nik, birth_date, "
                                                r"sex, npsn \(header read: nisn, nama, kelas\)"):
        lines_of(path)


def test_a_column_given_twice_is_refused(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(HEADER + ",NIK\n")
    with pytest.raises(RosterFormatError, match="columns 2 and 7 both hold nik"):
        lines_of(path)


def test_an_empty_file_has_no_header(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(b"")
    with pytest.raises(RosterFormatError, match="no header row"):
        lines_of(path)


def test_xlsx_is_read_from_the_first_sheet_with_typed_cells(tmp_path):
    path = tmp_path / "r.xlsx"
    book = Workbook()
    sheet = book.active
    sheet.append(["DAFTAR PESERTA DIDIK (synthetic)"])  # a title above the header
    sheet.append(["NISN", "NIK", "Nama", "Tgl Lahir", "JK", "NPSN"])
    sheet.append([1, 3603011205090001, "Ani", 39945, "P", 20612345])
    sheet.append([None] * 6)
    sheet.append(["2", "=A2+1", "Budi", "x", "L", "20612345"])
    book.save(path)
    lines, roster = lines_of(path)
    assert roster.kind == "xlsx"
    assert lines == [
        (3, {"nisn": 1, "nik": 3603011205090001, "name": "Ani", "birth_date": 39945,
             "sex": "P", "npsn": 20612345}),
        (5, {"nisn": "2", "nik": "=A2+1", "name": "Budi", "birth_date": "x", "sex": "L",
             "npsn": "20612345"}),
    ]


def test_a_broken_xlsx_is_a_format_error(tmp_path):
    path = tmp_path / "r.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(RosterFormatError, match="not a readable XLSX workbook"):
        lines_of(path)


def test_old_xls_is_refused_with_advice(tmp_path):
    path = tmp_path / "r.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(RosterFormatError, match="save as .xlsx or CSV UTF-8"):
        RosterFile(path)


def test_the_header_must_come_within_the_first_rows(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("title\n" * 10 + HEADER + "\n")
    with pytest.raises(RosterFormatError, match="required columns missing"):
        lines_of(path)
