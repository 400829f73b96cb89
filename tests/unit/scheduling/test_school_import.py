import io

import pytest
from openpyxl import Workbook

from services.scheduling.adapters.school_file import import_schools
from services.scheduling.domain.school_import import ImportFileError

HEADER = "npsn,nama,jenjang,status,kecamatan,alamat,lintang,bujur,kontak,telepon,email,siap_rekam\n"
GOOD = "20600001,SMAN 1 Contoh,SMA,negeri,Cikupa,Jl. Contoh 1,-6.2,106.5,Tata Usaha,021-5555001,tu@sman1.sch.id,120\n"


def test_csv_with_indonesian_headers_imports_every_valid_row():
    content = (HEADER + GOOD + "20600002,SMKN 2 Contoh,SMK,Negeri,Legok,Jl. Contoh 2,,,,,,\n").encode()
    result = import_schools("sekolah.csv", content)
    assert result.errors == []
    assert [s.npsn for s in result.schools] == ["20600001", "20600002"]
    first = result.schools[0]
    assert first.coordinates.lat == -6.2 and first.contact.email == "tu@sman1.sch.id"
    assert first.ready_students == 120
    assert result.schools[1].contact is None and result.schools[1].coordinates is None


def test_bad_rows_are_reported_by_row_field_reason_and_valid_rows_kept():
    content = (
        HEADER
        + GOOD
        + "2060003,SMAN 3,SMA,negeri,Cikupa,Jl. 3,,,,,,\n"  # row 3: NPSN of 7 digits
        + "20600004,SD 4,SD,negeri,Cikupa,Jl. 4,,,,,,\n"  # row 4: kind
        + "20600005,SMAN 5,SMA,negeri,Cikupa,Jl. 5,-6.1,,,,,\n"  # row 5: half coordinates
        + "20600006,SMAN 6,SMA,negeri,Cikupa,Jl. 6,,,TU,12,bukan-email,\n"  # row 6: email
        + "20600001,SMAN 1 lagi,SMA,negeri,Cikupa,Jl. 1,,,,,,\n"  # row 7: duplicate NPSN
        + "20600008,SMAN 8,SMA,negri,,Jl. 8,,,,,,-3\n"  # row 8: status, kecamatan, ready
        + ",,,,,,,,,,,\n"  # blank line: skipped
        + "20600010,MAN 10,MAN,swasta,Mauk,Jl. 10,,,,,,15\n"
    ).encode()
    result = import_schools("sekolah.csv", content)
    assert [s.npsn for s in result.schools] == ["20600001", "20600010"]
    got = {(e.row, e.field) for e in result.errors}
    assert got == {
        (3, "npsn"), (4, "kind"), (5, "lon"), (6, "email"), (6, "office_phone"), (7, "npsn"),
        (8, "ownership"), (8, "kecamatan"), (8, "ready_students"),
    }
    reasons = {(e.row, e.field): e.reason for e in result.errors}
    assert reasons[(3, "npsn")] == "NPSN must be exactly 8 digits"
    assert reasons[(7, "npsn")] == "duplicate of row 2"
    assert reasons[(4, "kind")] == "must be one of SMA, SMK, MA, SLB"
    assert result.rows_read == 8


def test_semicolon_csv_with_bom_and_english_headers():
    content = ("\ufeffNPSN;Name;Kind;Ownership;Kecamatan;Address\n"
               "20600001;SMAN 1;sma;swasta;Cikupa;Jl. 1\n").encode()
    result = import_schools("schools.CSV", content)
    assert result.errors == [] and result.schools[0].kind == "SMA"


def test_missing_required_column_fails_the_file():
    with pytest.raises(ImportFileError, match="missing column.*kecamatan"):
        import_schools("s.csv", b"npsn,nama,jenjang,status,alamat\n20600001,A,SMA,negeri,Jl\n")


def test_unsupported_and_unreadable_files():
    with pytest.raises(ImportFileError, match=".csv or .xlsx"):
        import_schools("s.pdf", b"%PDF")
    with pytest.raises(ImportFileError, match="xlsx"):
        import_schools("s.xlsx", b"not a zip")
    with pytest.raises(ImportFileError, match="UTF-8"):
        import_schools("s.csv", b"npsn,nama\n\xff\xfe\x00")
    with pytest.raises(ImportFileError, match="empty"):
        import_schools("s.csv", b"")


def _xlsx(rows):
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_import_with_numeric_cells_and_errors():
    content = _xlsx([
        ["NPSN", "Nama Sekolah", "Bentuk Pendidikan", "Status Sekolah", "Kecamatan", "Alamat", "Siap Rekam"],
        [20600001, "SMAN 1", "SMA", "Negeri", "Cikupa", "Jl. 1", 99],
        ["123", "SMAN 2", "SMA", "Negeri", "Cikupa", "Jl. 2", None],
        [20600003, "SKhN 1", "SKh", "Negeri", "Legok", "Jl. 3", 7.5],
    ])
    result = import_schools("data.xlsx", content)
    assert [s.npsn for s in result.schools] == ["20600001"]
    assert result.schools[0].ready_students == 99
    assert {(e.row, e.field) for e in result.errors} == {(3, "npsn"), (4, "ready_students")}


def test_quoted_csv_fields_decimal_commas_and_unknown_columns():
    content = ('npsn,nama,jenjang,status,kecamatan,alamat,lintang,bujur,catatan\n'
               '20600001,"SMAN 1, Contoh",SMA,negeri,Cikupa,"Jl. Raya No. 1, RT 01/02","-6,25","106,5",abaikan\n').encode()
    result = import_schools("s.csv", content)
    assert result.errors == []
    s = result.schools[0]
    assert s.name == "SMAN 1, Contoh" and s.address == "Jl. Raya No. 1, RT 01/02"
    assert (s.coordinates.lat, s.coordinates.lon) == (-6.25, 106.5)


def test_xlsx_with_empty_sheet_fails_the_file():
    wb = Workbook()
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(ImportFileError, match="missing column|empty"):
        import_schools("kosong.xlsx", buf.getvalue())
