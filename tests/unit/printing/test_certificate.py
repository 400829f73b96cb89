"""Surat Keterangan: six months' validity, stable number, A4 PDF with the holder's data."""

from datetime import date
from io import BytesIO

import pytest
from pypdf import PdfReader

from services.printing.domain.certificate import TemporaryCertificate, add_months, certificate_number
from services.printing.domain.office import IssuingOffice
from services.printing.rendering.certificate_pdf import render_certificate_pdf, tanggal
from services.printing.synthetic import synthetic_fields, synthetic_photo


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (date(2026, 11, 29), date(2027, 5, 29)),
        (date(2026, 8, 31), date(2027, 2, 28)),
        (date(2027, 8, 31), date(2028, 2, 29)),
        (date(2026, 1, 15), date(2026, 7, 15)),
        (date(2026, 7, 1), date(2027, 1, 1)),
    ],
)
def test_add_six_months(start, expected):
    assert add_months(start, 6) == expected


def _certificate(issued_on=date(2026, 11, 29), request_id="req-1"):
    return TemporaryCertificate.issue(
        letter_code="470", job_id="job-1", request_id=request_id, student_id="stu-1", unit_id="unit-1",
        npsn="20600001", fields=synthetic_fields(1), issued_on=issued_on,
    )


def test_certificate_valid_six_months_and_numbered_from_the_request():
    cert = _certificate()
    assert cert.valid_until == date(2027, 5, 29)
    assert cert.number == _certificate().number  # same request -> same certificate
    assert cert.number != _certificate(request_id="req-2").number
    assert cert.number.startswith("470/SK-KTP/UNIT1/2026/")
    assert certificate_number("470", "!!", "r", date(2026, 1, 1)).startswith("470/SK-KTP/UNIT/")


def test_certificate_pdf_is_a4_with_fields_and_validity():
    cert = _certificate()
    reader = PdfReader(BytesIO(render_certificate_pdf(cert, IssuingOffice(), synthetic_photo(1))))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert float(page.mediabox.width) * 25.4 / 72 == pytest.approx(210, abs=0.05)
    assert float(page.mediabox.height) * 25.4 / 72 == pytest.approx(297, abs=0.05)
    text = page.extract_text()
    f = cert.fields
    for value in ("SURAT KETERANGAN", f"Nomor: {cert.number}", f.nik, f.name, f.birth, f.sex.value,
                  f.street, f.rt_rw, f.kelurahan_desa, f.kecamatan, f.religion, f.marital_status,
                  f.occupation, f.citizenship, "29 Mei 2027", "enam bulan", "29 November 2026",
                  "KAB. TANGERANG", "NIP. 000000000000000000"):
        assert value in text, value
    assert len(list(page.images)) == 1


def test_certificate_without_photo():
    page = PdfReader(BytesIO(render_certificate_pdf(_certificate(), IssuingOffice()))).pages[0]
    assert list(page.images) == []
    assert "SURAT KETERANGAN" in page.extract_text()


def test_tanggal_in_bahasa_indonesia():
    assert tanggal(date(2026, 8, 17)) == "17 Agustus 2026"
