"""Clearly synthetic card data for demos, tests and the benchmark. No real person is described:
names are `SISWA CONTOH <n>`, addresses are `JL. CONTOH`, photos are drawn with Pillow."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from io import BytesIO

from PIL import Image, ImageDraw

from .domain.card import BloodType, Card, CardFields, CardImages, CardIssue, Sex
from .domain.print_job import CardRequest


def synthetic_photo(seed: int = 0, size: tuple[int, int] = (240, 320)) -> bytes:
    """A passport-style placeholder: red background, a grey silhouette, as JPEG."""
    width, height = size
    image = Image.new("RGB", size, (200 - seed % 40, 30, 40))
    draw = ImageDraw.Draw(image)
    shade = 150 + seed % 60
    draw.ellipse((width * 0.3, height * 0.15, width * 0.7, height * 0.55), fill=(shade, shade, shade))
    draw.ellipse((width * 0.12, height * 0.58, width * 0.88, height * 1.2), fill=(shade - 40,) * 3)
    out = BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def synthetic_signature(seed: int = 0, size: tuple[int, int] = (240, 100)) -> bytes:
    """A scribble on a transparent background, as PNG."""
    width, height = size
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    points = [(10 + i * (width - 20) / 12, height / 2 + ((i * 37 + seed * 11) % 50) - 25) for i in range(13)]
    draw.line(points, fill=(10, 10, 60, 255), width=4)
    out = BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def synthetic_fields(n: int = 1, *, female: bool | None = None) -> CardFields:
    female = n % 2 == 0 if female is None else female
    birth = date(2009, 1, 1) + timedelta(days=(n * 37) % 365)
    day = birth.day + (40 if female else 0)
    nik = f"360301{day:02d}{birth:%m%y}{9000 + n % 1000:04d}"
    return CardFields(
        nik=nik,
        name=f"SISWA CONTOH {n}",
        birth_place="KOTA CONTOH",
        birth_date=birth,
        sex=Sex.FEMALE if female else Sex.MALE,
        blood_type=list(BloodType)[n % len(BloodType)],
        street=f"JL. CONTOH NO. {n % 200 + 1}",
        rt=str(n % 12 + 1),
        rw=str(n % 7 + 1),
        kelurahan_desa="DESA CONTOH",
        kecamatan="KECAMATAN CONTOH",
        religion="ISLAM",
        marital_status="BELUM KAWIN",
        occupation="PELAJAR/MAHASISWA",
    )


def synthetic_images(n: int = 1) -> CardImages:
    return CardImages(photo=synthetic_photo(n), signature=synthetic_signature(n))


def synthetic_card(n: int = 1, *, serial: str | None = None, images: CardImages | None = None) -> Card:
    return Card(
        fields=synthetic_fields(n),
        images=images or synthetic_images(n),
        issue=CardIssue(
            province="BANTEN", regency="KABUPATEN TANGERANG", place_of_issue="KAB. TANGERANG",
            date_of_issue=date(2026, 11, 29), card_serial=serial or f"B2026-01-{n:06d}",
        ),
    )


def synthetic_request(
    n: int = 1, *, unit_id: str = "unit-1", visit_id: str = "visit-1", npsn: str = "20600001",
    requested_at: datetime | None = None, images: CardImages | None = None,
) -> CardRequest:
    at = requested_at or datetime(2026, 11, 29, 1, 0, tzinfo=timezone.utc) + timedelta(seconds=n)
    return CardRequest(
        event_id=f"00000000-0000-4000-8000-{n:012d}", request_id=f"REQ-{n:06d}", requested_at=at, student_id=f"stu-{n:06d}",
        unit_id=unit_id, visit_id=visit_id, npsn=npsn,
        fields=synthetic_fields(n), images=images or synthetic_images(n),
    )
