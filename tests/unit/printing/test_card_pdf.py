"""The KTP-el PDF: two pages at exact ID-1 size, every card field readable back."""

from io import BytesIO

import pytest
from pydantic import ValidationError
from pypdf import PdfReader

from services.printing.domain.card import Card, CardFields, CardImages
from services.printing.rendering.card_layout import TooLong
from services.printing.rendering.card_pdf import render_card_pdf
from services.printing.synthetic import synthetic_card, synthetic_fields, synthetic_photo, synthetic_signature

POINTS_PER_MM = 72 / 25.4


def _pages(pdf: bytes):
    return PdfReader(BytesIO(pdf)).pages


def test_two_pages_at_exact_id1_size():
    pages = _pages(render_card_pdf(synthetic_card(1)))
    assert len(pages) == 2
    for page in pages:
        width_mm = float(page.mediabox.width) / POINTS_PER_MM
        height_mm = float(page.mediabox.height) / POINTS_PER_MM
        assert width_mm == pytest.approx(85.60, abs=0.005)
        assert height_mm == pytest.approx(53.98, abs=0.005)


def test_front_carries_every_card_field():
    card = synthetic_card(7, serial="B2026-07-000123")
    front = _pages(render_card_pdf(card))[0].extract_text()
    f = card.fields
    for label in ("NIK", "Nama", "Tempat/Tgl Lahir", "Jenis Kelamin", "Gol. Darah", "Alamat", "RT/RW",
                  "Kel/Desa", "Kecamatan", "Agama", "Status Perkawinan", "Pekerjaan", "Kewarganegaraan",
                  "Berlaku Hingga"):
        assert label in front, label
    for value in (f.nik, f.name, f"{f.birth_place}, {f.birth_date:%d-%m-%Y}", f.sex.value, f.street,
                  f"{f.rt}/{f.rw}", f.kelurahan_desa, f.kecamatan, f.religion, f.marital_status,
                  f.occupation, f.citizenship, "SEUMUR HIDUP", "PROVINSI BANTEN", "KABUPATEN TANGERANG",
                  "KAB. TANGERANG", "29-11-2026"):
        assert value in front, value


def test_back_carries_serial_and_issuer():
    back = _pages(render_card_pdf(synthetic_card(3, serial="B2026-07-000123")))[1].extract_text()
    assert "No. Seri Kartu: B2026-07-000123" in back
    assert "KARTU TANDA PENDUDUK ELEKTRONIK" in back
    assert "Disdukcapil KABUPATEN TANGERANG" in back


def _xobjects(page):
    return [obj.get_object() for obj in page["/Resources"]["/XObject"].values()]


def test_photo_and_signature_are_embedded_and_jpeg_passes_through():
    card = synthetic_card(2)
    front = _pages(render_card_pdf(card))[0]
    xobjects = _xobjects(front)
    assert len(xobjects) == 2
    photo = [x for x in xobjects if "/DCTDecode" in str(x["/Filter"])]
    assert [x._data for x in photo] == [card.images.photo]  # the JPEG goes in unchanged


def test_card_without_signature_renders_photo_only():
    card = synthetic_card(2, images=CardImages(photo=synthetic_photo(2)))
    assert len(list(_pages(render_card_pdf(card))[0].images)) == 1


def test_metadata_carries_no_personal_data():
    card = synthetic_card(5, serial="S-1")
    reader = PdfReader(BytesIO(render_card_pdf(card)))
    metadata = " ".join(str(v) for v in (reader.metadata or {}).values())
    assert card.fields.nik not in metadata and card.fields.name not in metadata
    assert "S-1" in metadata


def test_rendering_is_deterministic():
    assert render_card_pdf(synthetic_card(4)) == render_card_pdf(synthetic_card(4))


def _with(card: Card, **changes) -> Card:
    fields = CardFields(**(card.fields.model_dump() | changes))
    return Card(fields=fields, images=card.images, issue=card.issue)


def test_long_street_goes_on_two_lines_and_stays_whole():
    street = "JL. CONTOH PANJANG SEKALI NOMOR DUA RATUS LIMA PULUH BLOK C"
    text = _pages(render_card_pdf(_with(synthetic_card(1), street=street)))[0].extract_text()
    lines = text.splitlines()
    assert street not in lines  # wrapped ...
    assert street in " ".join(text.split())  # ... but whole, in order
    assert "SEUMUR HIDUP" in text  # the rows below moved down, none fell off


def test_longish_values_shrink_to_fit():
    name = "SISWA CONTOH DENGAN NAMA PANJANG"
    assert name in _pages(render_card_pdf(_with(synthetic_card(1), name=name)))[0].extract_text()


def test_long_name_goes_on_two_lines():
    name = "SISWA CONTOH DENGAN NAMA YANG CUKUP PANJANG SEKALI"
    text = _pages(render_card_pdf(_with(synthetic_card(1), name=name)))[0].extract_text()
    assert name not in text.splitlines()
    assert name in " ".join(text.split())


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("nik", "36030112345", "16 digits"),
        ("nik", "36030112345678AB", "16 digits"),
        ("name", "SISWA \u0416", "cannot be printed"),
        ("rt", "12a", "pattern"),
        ("name", "   ", "blank"),
    ],
)
def test_bad_field_names_field_and_reason(field, value, message):
    data = synthetic_fields(1).model_dump() | {field: value}
    with pytest.raises(ValidationError) as info:
        CardFields(**data)
    error = info.value.errors()[0]
    assert error["loc"] == (field,)
    assert message in str(info.value)


def test_photo_must_be_jpeg_and_signature_an_image():
    with pytest.raises(ValidationError, match="photo must be a JPEG"):
        CardImages(photo=synthetic_signature(1))
    with pytest.raises(ValidationError, match="signature must be a PNG or JPEG"):
        CardImages(photo=synthetic_photo(1), signature=b"not an image")


def test_fields_normalised_upper_case_and_rt_rw_padded():
    data = synthetic_fields(1).model_dump() | {"name": "  siswa   contoh  ", "rt": "3", "rw": "12"}
    fields = CardFields(**data)
    assert fields.name == "SISWA CONTOH"
    assert fields.rt_rw == "003/012"


def test_name_too_long_for_the_card_is_refused_naming_field_not_value():
    with pytest.raises(TooLong) as info:
        render_card_pdf(_with(synthetic_card(1), name="W" * 60))
    assert str(info.value) == "name: 60 characters do not fit on the card"
