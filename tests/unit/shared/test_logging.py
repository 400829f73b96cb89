"""Logs are JSON and never carry personal data, however careless the call."""

from __future__ import annotations

import json
import logging

from shared.logging import JsonFormatter, mask_text


def render(msg: str, *args, exc: BaseException | None = None, **extra) -> dict:
    record = logging.LogRecord("jemput.test", logging.WARNING, __file__, 1, msg, args,
                               (type(exc), exc, exc.__traceback__) if exc else None)
    for key, value in extra.items():
        setattr(record, key, value)
    return json.loads(JsonFormatter("enrollment").format(record))


def test_a_log_line_is_one_json_object_with_service_and_level() -> None:
    entry = render("roster imported", rows=120)
    assert entry["service"] == "enrollment" and entry["level"] == "warning"
    assert entry["msg"] == "roster imported" and entry["rows"] == 120


def test_personal_fields_are_dropped() -> None:
    entry = render("student", nik="3603015012070001", name="Siti Contoh", phone="081234567890", student_id="S-1")
    assert "nik" not in entry and "name" not in entry and "phone" not in entry
    assert entry["student_id"] == "S-1"


def test_numbers_in_messages_are_masked() -> None:
    entry = render("lookup %s for %s", "3603015012070001", "+6281234567890")
    assert "3603015012070001" not in entry["msg"] and "3603********0001" in entry["msg"]
    assert "81234567890" not in entry["msg"]
    assert mask_text("kk 3603010101010001 ok") == "kk 3603********0001 ok"


def test_exceptions_are_logged_by_class_and_place_never_their_message() -> None:
    try:
        raise ValueError("NIK 3603015012070001 belongs to Siti Contoh")
    except ValueError as error:
        entry = render("failed", exc=error)
    assert entry["error"] == "ValueError"
    assert "Siti" not in json.dumps(entry) and "3603015012070001" not in json.dumps(entry)
    assert entry["where"].startswith("test_logging.py:")
