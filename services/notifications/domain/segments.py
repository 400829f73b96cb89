"""SMS segment counting (3GPP TS 23.038).

A message that fits the GSM 7-bit default alphabet (plus its extension table,
whose characters cost two septets) takes 160 septets in one SMS, or 153 per
segment when it has to be concatenated (the user-data header takes 7). Anything
else goes as UCS-2: 70 UTF-16 code units in one SMS, 67 per segment. An escape
pair or a surrogate pair is never split across two segments, so the count is
computed by packing, not by division.
"""

from enum import StrEnum

from pydantic import BaseModel

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

SINGLE_GSM7 = 160
MULTI_GSM7 = 153
SINGLE_UCS2 = 70
MULTI_UCS2 = 67


class Encoding(StrEnum):
    GSM7 = "gsm7"
    UCS2 = "ucs2"


class SegmentInfo(BaseModel, frozen=True):
    encoding: Encoding
    units: int
    """Septets (GSM-7) or UTF-16 code units (UCS-2) in the whole text."""
    segments: int


def encoding_of(text: str) -> Encoding:
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        return Encoding.GSM7
    return Encoding.UCS2


def _unit_costs(text: str, encoding: Encoding) -> list[int]:
    if encoding is Encoding.GSM7:
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def _pack(costs: list[int], per_segment: int) -> int:
    segments, used = 1, 0
    for cost in costs:
        if used + cost > per_segment:
            segments += 1
            used = 0
        used += cost
    return segments


def count_segments(text: str) -> SegmentInfo:
    """How many SMS segments `text` takes, and in which encoding."""
    encoding = encoding_of(text)
    costs = _unit_costs(text, encoding)
    units = sum(costs)
    single, multi = (
        (SINGLE_GSM7, MULTI_GSM7) if encoding is Encoding.GSM7 else (SINGLE_UCS2, MULTI_UCS2)
    )
    segments = 1 if units <= single else _pack(costs, multi)
    return SegmentInfo(encoding=encoding, units=units, segments=segments)
