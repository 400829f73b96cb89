"""Synthetic biometric captures for the demo: clearly not anyone's face or fingers.

A face photo is a plain tinted JPEG of the size the desk requires, fingerprints and irises are
random bytes with a quality score, the signature a blank PNG. Some captures come out below the
quality threshold, as they do at a real desk: most are taken again and pass, a few fingers stay
unreadable (an injury) and are recorded as an exception a supervisor approves.
"""

from __future__ import annotations

import base64
import functools
import io
import random
from dataclasses import dataclass
from typing import Literal

from PIL import Image

FINGERS = ("right_thumb", "right_index", "right_middle", "right_ring", "right_little",
           "left_thumb", "left_index", "left_middle", "left_ring", "left_little")
EYES = ("right", "left")
GOOD_FINGER, GOOD_IRIS, POOR_FINGER = 82, 90, 25  # the desk's thresholds are 40 and 50

CARD_RELIGIONS = ("ISLAM", "ISLAM", "ISLAM", "ISLAM", "ISLAM", "ISLAM", "KRISTEN", "KATOLIK", "BUDDHA", "HINDU")
BLOOD = ("A", "B", "AB", "O", "-")

Quality = Literal["good", "retake", "exception"]


@dataclass(frozen=True)
class CapturePlan:
    """How one student's capture goes: first try good, or one finger too poor (then taken again:
    good the second time, or still unreadable and excepted)."""

    quality: Quality
    finger: str

    @classmethod
    def draw(cls, rng: random.Random, poor_share: float = 0.08, exception_share: float = 0.25) -> CapturePlan:
        finger = rng.choice(FINGERS)
        if rng.random() >= poor_share:
            return cls("good", finger)
        return cls("exception" if rng.random() < exception_share else "retake", finger)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@functools.lru_cache(maxsize=16)
def face_jpeg(tint: int) -> str:
    """A 480×640 portrait JPEG in one of 16 skin-like tints (base64)."""
    buffer = io.BytesIO()
    colour = (170 + tint * 4, 140 + tint * 3, 110 + tint * 2)
    Image.new("RGB", (480, 640), colour).save(buffer, "JPEG", quality=70)
    return _b64(buffer.getvalue())


@functools.lru_cache(maxsize=1)
def signature_png() -> str:
    buffer = io.BytesIO()
    image = Image.new("L", (300, 100), 255)
    for x in range(20, 280):  # a plain stroke, so the card shows something
        image.putpixel((x, 50 + (x % 17) - 8), 0)
    image.save(buffer, "PNG")
    return _b64(buffer.getvalue())


def payload(rng: random.Random, *, poor_finger: str | None = None, excepted: str | None = None) -> dict:
    """A capture payload; ``poor_finger`` below the threshold, ``excepted`` left out with an exception."""
    fingers = []
    for f in FINGERS:
        if f == excepted:
            continue
        quality = POOR_FINGER if f == poor_finger else GOOD_FINGER + rng.randint(-10, 15)
        fingers.append({"position": f, "template": _b64(rng.randbytes(48)), "quality": quality})
    exceptions = ([{"modality": f"fingerprint:{excepted}", "reason": "injury",
                    "note": "finger injured, unreadable after two attempts"}] if excepted else [])
    return {
        "face_photo": face_jpeg(rng.randrange(16)),
        "fingerprints": fingers,
        "irises": [{"eye": e, "template": _b64(rng.randbytes(48)), "quality": GOOD_IRIS + rng.randint(-5, 9)}
                   for e in EYES],
        "signature": signature_png(),
        "exceptions": exceptions,
    }


def card_details(rng: random.Random, kecamatan: str, address: str) -> dict:
    """The biodata confirmed from the family card (KK) at the desk: synthetic."""
    return {
        "address": {"street": address.upper()[:60], "rt_rw": f"{rng.randint(1, 12):03d}/{rng.randint(1, 9):03d}",
                    "kelurahan": f"DESA {kecamatan.upper()}", "kecamatan": kecamatan.upper(),
                    "kabupaten": "TANGERANG", "provinsi": "BANTEN"},
        "religion": rng.choice(CARD_RELIGIONS),
        "blood_type": rng.choice(BLOOD),
    }
