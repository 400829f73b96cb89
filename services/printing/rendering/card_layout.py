"""Geometry of the KTP-el, front and back, in PDF points on an ID-1 card (ISO/IEC 7810).

Both the PDF renderer and the PNG preview draw this layout, so what an operator
previews is what goes to the printer. Coordinates have their origin bottom-left.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

from ..domain.card import Card

CARD_WIDTH_MM = 85.60
CARD_HEIGHT_MM = 53.98
WIDTH = CARD_WIDTH_MM * mm
HEIGHT = CARD_HEIGHT_MM * mm

REGULAR = "Helvetica"
BOLD = "Helvetica-Bold"
MIN_FONT_SIZE = 3.6

BACKGROUND = (0.80, 0.90, 0.97)
BAND = (0.70, 0.84, 0.95)
INK = (0.05, 0.05, 0.10)

Align = Literal["left", "centre"]


@dataclass(frozen=True, slots=True)
class Text:
    x: float
    y: float
    text: str
    font: str
    size: float
    align: Align = "left"


@dataclass(frozen=True, slots=True)
class Box:
    x: float
    y: float
    width: float
    height: float


PHOTO = Box(x=WIDTH - 66, y=HEIGHT - 100, width=54, height=72)
SIGNATURE = Box(x=WIDTH - 66, y=10, width=54, height=22)

LABEL_X, COLON_X, VALUE_X = 8.0, 58.0, 61.0
VALUE_RIGHT = PHOTO.x - 4
FIRST_ROW_Y, ROW_STEP = HEIGHT - 43, 6.7
LABEL_SIZE, VALUE_SIZE = 5.0, 5.2


@lru_cache(maxsize=4096)
def _width(text: str, font: str, size: float) -> float:
    return stringWidth(text, font, size)


class TooLong(ValueError):
    """A value does not fit on the card even at the smallest legible size."""


def fitted_size(text: str, font: str, size: float, max_width: float, what: str = "text") -> float:
    """The largest size <= `size` at which `text` fits; TooLong below the legible minimum.

    The message names the field and the length, never the value (it may be personal data).
    """
    width = _width(text, font, size)
    if width <= max_width:
        return size
    fitted = size * max_width / width
    if fitted < MIN_FONT_SIZE:
        raise TooLong(f"{what}: {len(text)} characters do not fit on the card")
    return fitted


def _split_in_two(text: str) -> tuple[str, str]:
    """Break at the space nearest the middle."""
    middle = len(text) // 2
    spaces = [i for i, ch in enumerate(text) if ch == " "]
    if not spaces:
        return text, ""
    cut = min(spaces, key=lambda i: abs(i - middle))
    return text[:cut], text[cut + 1 :]


def _row(rows: list[Text], y: float, label: str, value: str, what: str, *, indent: float = 0.0,
         right: float = VALUE_RIGHT) -> None:
    rows.append(Text(LABEL_X + indent, y, label, REGULAR, LABEL_SIZE))
    rows.append(Text(COLON_X, y, ":", REGULAR, LABEL_SIZE))
    rows.append(Text(VALUE_X, y, value, REGULAR, fitted_size(value, REGULAR, VALUE_SIZE, right - VALUE_X, what)))


WRAP_BELOW = 4.4  # a name or street that would print smaller than this goes on two lines


def _wrapping_row(rows: list[Text], y: float, label: str, value: str, what: str) -> float:
    """A row whose value may take two lines; returns the baseline of its last line."""
    width = VALUE_RIGHT - VALUE_X
    if _width(value, REGULAR, VALUE_SIZE) * WRAP_BELOW / VALUE_SIZE <= width:
        _row(rows, y, label, value, what)
        return y
    first, second = _split_in_two(value)
    _row(rows, y, label, first, what)
    if second:
        y -= ROW_STEP * 0.85
        rows.append(Text(VALUE_X, y, second, REGULAR, fitted_size(second, REGULAR, VALUE_SIZE, width, what)))
    return y


def front_texts(card: Card) -> list[Text]:
    f, issue = card.fields, card.issue
    texts = [
        Text(WIDTH / 2, HEIGHT - 11, f"PROVINSI {issue.province}", BOLD,
             fitted_size(f"PROVINSI {issue.province}", BOLD, 7.2, WIDTH - 16, "province"), "centre"),
        Text(WIDTH / 2, HEIGHT - 19.5, issue.regency, BOLD,
             fitted_size(issue.regency, BOLD, 7.2, WIDTH - 16, "regency"), "centre"),
        Text(LABEL_X, HEIGHT - 33, "NIK", BOLD, 8.5),
        Text(COLON_X - 26, HEIGHT - 33, ":", BOLD, 8.5),
        Text(COLON_X - 22, HEIGHT - 33, f.nik, BOLD, 9.5),
    ]
    y = _wrapping_row(texts, FIRST_ROW_Y, "Nama", f.name, "name")
    y -= ROW_STEP
    _row(texts, y, "Tempat/Tgl Lahir", f.birth, "birth_place")
    y -= ROW_STEP
    _row(texts, y, "Jenis Kelamin", f.sex.value, "sex", right=VALUE_X + 38)
    texts.append(Text(VALUE_X + 42, y, "Gol. Darah", REGULAR, LABEL_SIZE))
    texts.append(Text(VALUE_X + 68, y, ":", REGULAR, LABEL_SIZE))
    texts.append(Text(VALUE_X + 71, y, f.blood_type.value, REGULAR, VALUE_SIZE))
    y -= ROW_STEP
    y = _wrapping_row(texts, y, "Alamat", f.street, "street")
    for label, value, what, indent in (
        ("RT/RW", f.rt_rw, "rt_rw", 5), ("Kel/Desa", f.kelurahan_desa, "kelurahan_desa", 5),
        ("Kecamatan", f.kecamatan, "kecamatan", 5), ("Agama", f.religion, "religion", 0),
        ("Status Perkawinan", f.marital_status, "marital_status", 0),
        ("Pekerjaan", f.occupation, "occupation", 0), ("Kewarganegaraan", f.citizenship, "citizenship", 0),
        ("Berlaku Hingga", f.validity, "validity", 0),
    ):
        y -= ROW_STEP
        _row(texts, y, label, value, what, indent=indent)
    centre = PHOTO.x + PHOTO.width / 2
    texts.append(Text(centre, PHOTO.y - 8, issue.place_of_issue, REGULAR,
                      fitted_size(issue.place_of_issue, REGULAR, 5.0, PHOTO.width + 8, "place_of_issue"), "centre"))
    texts.append(Text(centre, PHOTO.y - 14, f"{issue.date_of_issue:%d-%m-%Y}", REGULAR, 5.0, "centre"))
    return texts


BACK_NOTICE = (
    "Kartu ini milik Pemerintah Republik Indonesia.",
    "Apabila menemukan kartu ini, harap dikembalikan kepada",
    "Dinas Kependudukan dan Pencatatan Sipil terdekat.",
)
BARCODE = Box(x=(WIDTH - 150) / 2, y=HEIGHT - 88, width=150, height=22)


def back_texts(card: Card) -> list[Text]:
    issue = card.issue
    texts = [
        Text(WIDTH / 2, HEIGHT - 14, "REPUBLIK INDONESIA", BOLD, 8.0, "centre"),
        Text(WIDTH / 2, HEIGHT - 24, "KARTU TANDA PENDUDUK ELEKTRONIK", BOLD, 6.5, "centre"),
        Text(WIDTH / 2, HEIGHT - 38, f"No. Seri Kartu: {issue.card_serial}", REGULAR,
             fitted_size(f"No. Seri Kartu: {issue.card_serial}", REGULAR, 6.0, WIDTH - 16, "card_serial"), "centre"),
    ]
    for index, line in enumerate(BACK_NOTICE):
        texts.append(Text(WIDTH / 2, 40 - index * 6.5, line, REGULAR, 5.0, "centre"))
    issuer = f"Diterbitkan oleh Disdukcapil {issue.regency}"
    texts.append(Text(WIDTH / 2, 12, issuer, REGULAR, fitted_size(issuer, REGULAR, 5.0, WIDTH - 16, "regency"), "centre"))
    return texts
