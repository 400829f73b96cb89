"""`card.requested` -> the domain's card request: field mapping, and refusals that name the field."""

import base64
import datetime as dt

import pytest

from services.printing.domain.office import IssuingOffice
from services.printing.handlers import card_request
from services.printing.synthetic import synthetic_fields, synthetic_photo, synthetic_signature
from shared.bus.errors import PoisonMessage
from shared.events import models as ev
from shared.events import new_event

OFFICE = IssuingOffice()


def _event(**changes):
    f = synthetic_fields(3)
    card = dict(nik=f.nik, name=f.name, birth_place=f.birth_place, birth_date=f.birth_date, sex=f.sex.value,
                blood_type="AB", address=ev.CardAddress(street=f.street, rt_rw="003/011", kelurahan="DESA CONTOH",
                                                        kecamatan="KECAMATAN CONTOH"),
                religion="ISLAM", marital_status="BELUM KAWIN")
    card.update(changes.pop("card", {}))
    data = dict(request_id="REQ-9", student_id="S-9", npsn="20600001", visit_id=None, unit_id="unit-2",
                card=ev.CardFields(**card), issue_place="KAB. TANGERANG",
                photo_jpeg_b64=base64.b64encode(synthetic_photo(3)).decode(),
                signature_png_b64=base64.b64encode(synthetic_signature(3)).decode(), version=1)
    data.update(changes)
    event = new_event("enrollment", ev.CardRequested(**data), subject="S-9",
                      time=dt.datetime(2026, 11, 29, 2, 0, tzinfo=dt.UTC))
    return event, ev.CardRequested.model_validate(event.data)


def test_fields_are_mapped():
    event, data = _event()
    request = card_request(event, data, OFFICE)
    assert (request.event_id, request.request_id, request.unit_id, request.visit_id) == (event.id, "REQ-9", "unit-2", None)
    assert request.requested_at == event.time
    assert (request.fields.rt, request.fields.rw, request.fields.blood_type.value) == ("003", "011", "AB")
    assert request.fields.kelurahan_desa == "DESA CONTOH" and request.place_of_issue == "KAB. TANGERANG"
    assert request.images.photo == synthetic_photo(3) and request.images.signature == synthetic_signature(3)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"photo_jpeg_b64": "not base64!"}, "data.photo_jpeg_b64: not base64"),
        ({"photo_jpeg_b64": base64.b64encode(synthetic_signature(1)).decode()}, "data.photo: value_error"),
        ({"photo_jpeg_b64": base64.b64encode(b"\xff\xd8\xff\xe0 truncated").decode()},
         "data.photo_jpeg_b64: the image cannot be decoded"),
        ({"signature_png_b64": base64.b64encode(b"GIF89a").decode()}, "data.signature: value_error"),
        ({"card": {"name": "SISWA \u0416"}}, "data.card.name: value_error"),
        ({"card": {"name": "W" * 60}}, "data.card.name: 60 characters do not fit on the card"),
        ({"unit_id": "../unit 1"}, "data.unit_id: only letters, digits"),
    ],
)
def test_unprintable_requests_are_poison_naming_the_field(changes, reason):
    event, data = _event(**changes)
    with pytest.raises(PoisonMessage) as info:
        card_request(event, data, OFFICE)
    assert reason in info.value.reason
    assert "SISWA" not in info.value.reason  # the reason never carries the value


def test_tiny_photo_is_refused():
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (8, 8)).save(out, format="JPEG")
    event, data = _event(photo_jpeg_b64=base64.b64encode(out.getvalue()).decode())
    with pytest.raises(PoisonMessage, match=r"too small \(8x8 pixels\)"):
        card_request(event, data, OFFICE)
