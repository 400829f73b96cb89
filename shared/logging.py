"""Structured JSON logs that never carry personal data.

Log records are rendered as one JSON object per line. Extra fields go through ``redact``: keys
known to hold personal data are dropped, and any 16-digit number (NIK, KK) or phone-like number
left in a message is masked, so a careless call cannot leak what DESIGN.md forbids.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

PERSONAL_KEYS = frozenset(
    {"nik", "kk", "name", "phone", "guardian_phone", "guardian_name", "address", "email",
     "birth_date", "photo", "signature", "fingerprints", "irises", "biometrics", "data"}
)
_SIXTEEN_DIGITS = re.compile(r"(?<!\d)(\d{4})\d{8}(\d{4})(?!\d)")
_PHONE = re.compile(r"(?<![\w])(\+62|62|0)8\d{7,11}(?!\d)")
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"color_message", "message", "asctime"}


def mask_text(text: str) -> str:
    """Mask 16-digit identifiers (keeping the region and serial, as DESIGN.md's masked NIK) and phone numbers."""
    text = _SIXTEEN_DIGITS.sub(lambda m: f"{m.group(1)}********{m.group(2)}", text)
    return _PHONE.sub("<phone>", text)


def redact(fields: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in fields.items():
        if key.lower() in PERSONAL_KEYS:
            continue
        clean[key] = mask_text(value) if isinstance(value, str) else value
    return clean


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        extra = {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": mask_text(record.getMessage()),
            **redact(extra),
        }
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__
            tb = record.exc_info[2]
            while tb is not None and tb.tb_next is not None:
                tb = tb.tb_next
            if tb is not None:  # where it failed, never the message (it may quote personal data)
                entry["where"] = f"{tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}"
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(service: str, level: str = "INFO") -> None:
    """Route every logger (ours, FastStream's, uvicorn's) through one JSON handler on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "faststream", "faststream.access.rabbit"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
