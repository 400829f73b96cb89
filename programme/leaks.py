"""Scanning what a run leaves behind — service logs, public events, dead-lettered messages — for
personal data that must never be there: 16-digit numbers (NIK, KK), Indonesian phone numbers,
the names of the programme's students and guardians, and image data (JPEG/PNG bytes or their
base64, or any long base64 run). A finding names where and what kind, and shows the value masked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SIXTEEN_DIGITS = re.compile(r"(?<![0-9A-Za-z])\d{16}(?![0-9A-Za-z])")
# mobile numbers as written in Indonesia: +62 8.., 62 8.., 08.. (separators allowed)
PHONE = re.compile(r"(?<![0-9A-Za-z])(?:\+62|62|0)[\s-]?8\d{1,3}(?:[\s-]?\d{3,4}){2,3}(?![0-9A-Za-z])")
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
IMAGE_BASE64 = re.compile(r"/9j/[A-Za-z0-9+/]{16}|iVBORw0KGgo")  # JPEG and PNG, base64-encoded
LONG_BASE64 = re.compile(r"[A-Za-z0-9+/]{200,}={0,2}")
IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")
WORD = re.compile(r"[^\W\d_]+")  # letters only: "Budi_Santoso" and "budi-santoso" are two words each


@dataclass(frozen=True)
class Leak:
    source: str
    kind: str
    masked: str  # the value, masked: enough to find it, not enough to use it

    def __str__(self) -> str:
        return f"{self.source}: {self.kind} {self.masked}"


def mask(value: str) -> str:
    value = value.strip()
    return value[:2] + "*" * max(0, len(value) - 4) + value[-2:] if len(value) > 4 else "****"


class LeakScanner:
    def __init__(self, names: Iterable[str], phones: Iterable[str] = ()) -> None:
        # a name of two words at least, matched case-insensitively as a run of whole words
        self._names = {tuple(WORD.findall(n.casefold())) for n in names}
        self._names = {n for n in self._names if len(n) >= 2}
        self._lengths = sorted({len(n) for n in self._names})
        self._phones = {re.sub(r"\D", "", p)[-9:] for p in phones if len(re.sub(r"\D", "", p)) >= 9}

    def text(self, source: str, text: str) -> list[Leak]:
        # ids are no phone numbers: a UUID such as ...-0812-4567-8901-... reads like one
        numbers = UUID.sub(" ", text)
        found = [Leak(source, "16-digit number", mask(m.group())) for m in SIXTEEN_DIGITS.finditer(numbers)]
        found += [Leak(source, "phone number", mask(m.group())) for m in PHONE.finditer(numbers)]
        if self._phones:
            for run in re.finditer(r"\d{9,}", numbers):
                if run.group()[-9:] in self._phones:
                    found.append(Leak(source, "fixture phone number", mask(run.group())))
        if self._names:
            words = WORD.findall(text.casefold())
            found += [Leak(source, "name", mask(" ".join(words[i:i + n])))
                      for n in self._lengths for i in range(len(words) - n + 1)
                      if tuple(words[i:i + n]) in self._names]
        found += [Leak(source, "image (base64)", m.group()[:6] + "…") for m in IMAGE_BASE64.finditer(text)]
        found += [Leak(source, f"base64 run of {len(m.group())} characters", m.group()[:6] + "…")
                  for m in LONG_BASE64.finditer(text)]
        return found

    def bytes(self, source: str, data: bytes) -> list[Leak]:
        found = [Leak(source, "image bytes", magic[:2].hex()) for magic in IMAGE_MAGIC if magic in data]
        return found + self.text(source, data.decode("utf-8", errors="replace"))

    def files(self, root: Path, pattern: str = "*.log") -> list[Leak]:
        return [leak for path in sorted(root.rglob(pattern))
                for leak in self.bytes(str(path.relative_to(root)), path.read_bytes())]

    def messages(self, source: str, bodies: Iterable[Any]) -> list[Leak]:
        out = []
        for i, body in enumerate(bodies):
            if isinstance(body, bytes):
                out += self.bytes(f"{source}[{i}]", body)
            else:
                out += self.text(f"{source}[{i}]", json.dumps(body, ensure_ascii=False, default=str))
        return out
