"""Surat Keterangan (temporary certificate) as an A4 PDF, in Bahasa Indonesia."""

from __future__ import annotations

from io import BytesIO

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from ..domain.certificate import TemporaryCertificate
from ..domain.office import IssuingOffice
from .pdf_options import binary_streams

MONTHS_ID = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 25 * mm


def tanggal(day) -> str:
    """`29 November 2026`: dates written out as in Indonesian letters."""
    return f"{day.day} {MONTHS_ID[day.month - 1]} {day.year}"


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if stringWidth(candidate, font, size) <= width or not line:
            line = candidate
        else:
            lines.append(line)
            line = word
    return lines + ([line] if line else [])


def render_certificate_pdf(
    certificate: TemporaryCertificate, office: IssuingOffice, photo: bytes | None = None
) -> bytes:
    """One A4 page; the photo (JPEG) is optional."""
    with binary_streams():
        return _render(certificate, office, photo)


def _render(certificate: TemporaryCertificate, office: IssuingOffice, photo: bytes | None) -> bytes:
    out = BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=True, pageCompression=1)
    canvas.setTitle(f"Surat Keterangan {certificate.number}")
    canvas.setAuthor("Jemput printing")
    centre = PAGE_WIDTH / 2
    y = PAGE_HEIGHT - MARGIN

    canvas.setFont("Helvetica-Bold", 13)
    canvas.drawCentredString(centre, y, f"PEMERINTAH {office.regency}")
    y -= 16
    canvas.setFont("Helvetica-Bold", 14)
    canvas.drawCentredString(centre, y, office.office_name)
    y -= 14
    canvas.setFont("Helvetica", 9)
    canvas.drawCentredString(centre, y, office.address)
    y -= 8
    canvas.setLineWidth(1.5)
    canvas.line(MARGIN, y, PAGE_WIDTH - MARGIN, y)

    y -= 32
    canvas.setFont("Helvetica-Bold", 13)
    canvas.drawCentredString(centre, y, "SURAT KETERANGAN")
    title_width = stringWidth("SURAT KETERANGAN", "Helvetica-Bold", 13)
    canvas.setLineWidth(0.8)
    canvas.line(centre - title_width / 2, y - 2, centre + title_width / 2, y - 2)
    y -= 15
    canvas.setFont("Helvetica", 10)
    canvas.drawCentredString(centre, y, f"Nomor: {certificate.number}")

    text_width = PAGE_WIDTH - 2 * MARGIN
    y -= 30
    canvas.setFont("Helvetica", 11)
    canvas.drawString(MARGIN, y, "Yang bertanda tangan di bawah ini menerangkan bahwa:")

    f = certificate.fields
    rows = (
        ("NIK", f.nik),
        ("Nama", f.name),
        ("Tempat/Tgl Lahir", f.birth),
        ("Jenis Kelamin", f.sex.value),
        ("Golongan Darah", f.blood_type.value),
        ("Alamat", f.street),
        ("RT/RW", f.rt_rw),
        ("Kel/Desa", f.kelurahan_desa),
        ("Kecamatan", f.kecamatan),
        ("Agama", f.religion),
        ("Status Perkawinan", f.marital_status),
        ("Pekerjaan", f.occupation),
        ("Kewarganegaraan", f.citizenship),
    )
    y -= 22
    table_top = y
    for label, value in rows:
        canvas.drawString(MARGIN + 10, y, label)
        canvas.drawString(MARGIN + 120, y, ":")
        canvas.drawString(MARGIN + 128, y, value)
        y -= 16
    if photo is not None:
        photo_w, photo_h = 30 * mm, 40 * mm
        canvas.drawImage(ImageReader(BytesIO(photo)), PAGE_WIDTH - MARGIN - photo_w,
                         table_top - photo_h + 10, photo_w, photo_h)

    body = (
        "telah melakukan perekaman data Kartu Tanda Penduduk Elektronik (KTP-el) dan data "
        "kependudukannya telah tercatat dalam database kependudukan. KTP-el yang bersangkutan "
        "belum dapat dicetak karena blangko KTP-el belum tersedia dan akan dicetak setelah "
        "blangko tersedia."
    )
    validity = (
        "Surat keterangan ini berlaku sebagai pengganti KTP-el untuk segala keperluan sampai "
        f"dengan tanggal {tanggal(certificate.valid_until)} (enam bulan sejak diterbitkan)."
    )
    y -= 10
    for paragraph in (body, validity, "Demikian surat keterangan ini dibuat untuk dipergunakan sebagaimana mestinya."):
        for line in _wrap(paragraph, "Helvetica", 11, text_width):
            canvas.drawString(MARGIN, y, line)
            y -= 15
        y -= 8

    y -= 12
    sign_x = PAGE_WIDTH - MARGIN - 80 * mm
    canvas.drawString(sign_x, y, f"Dikeluarkan di : {office.place_of_issue}")
    y -= 15
    canvas.drawString(sign_x, y, f"Pada tanggal : {tanggal(certificate.issued_on)}")
    y -= 22
    for line in _wrap(office.head_title, "Helvetica-Bold", 10, 80 * mm):
        canvas.setFont("Helvetica-Bold", 10)
        canvas.drawString(sign_x, y, line)
        y -= 13
    y -= 55
    canvas.setFont("Helvetica-Bold", 11)
    canvas.drawString(sign_x, y, office.head_name)
    y -= 14
    canvas.setFont("Helvetica", 10)
    canvas.drawString(sign_x, y, f"NIP. {office.head_nip}")

    canvas.setFont("Helvetica", 8)
    canvas.drawString(MARGIN, MARGIN / 2,
                      f"Berlaku {tanggal(certificate.issued_on)} s.d. {tanggal(certificate.valid_until)}")
    canvas.showPage()
    canvas.save()
    return out.getvalue()
