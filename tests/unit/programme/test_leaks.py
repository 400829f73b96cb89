"""The leak scanner finds every kind of personal data it looks for and nothing in clean output."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid

from programme.leaks import LeakScanner

SCANNER = LeakScanner(names=["Budi Santoso", "Siti Rahayu", "Ani"], phones=["+6289990000012"])


def kinds(text: str) -> list[str]:
    return [leak.kind for leak in SCANNER.text("log", text)]


def test_each_kind_of_personal_data_is_found():
    assert kinds("nik=3603011205090001 done") == ["16-digit number"]
    assert kinds('{"phone": "+62 812-3456-7890"}') == ["phone number"]
    assert kinds("call 081234567890") == ["phone number"]
    assert "fixture phone number" in kinds("to 89990000012")  # the fixture's number, however written
    assert kinds("recorded BUDI SANTOSO at unit-1") == ["name"]
    assert kinds("guardian siti rahayu") == ["name"]
    jpeg = base64.b64encode(b"\xff\xd8\xff\xe0" + bytes(300)).decode()
    assert kinds(f"photo {jpeg[:40]}") == ["image (base64)"]
    assert "image (base64)" in kinds(jpeg) and any(k.startswith("base64 run") for k in kinds(jpeg))
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(10)).decode()
    assert kinds(png) == ["image (base64)"]
    assert [leak.kind for leak in SCANNER.bytes("spool", b"x\xff\xd8\xff\xe0 y")] == ["image bytes"]


def test_findings_show_the_value_masked():
    [leak] = SCANNER.text("enrollment.log", "nik 3603011205090001")
    assert "3603011205090001" not in str(leak) and leak.masked == "36************01"
    assert str(leak).startswith("enrollment.log: 16-digit number")


def test_clean_output_has_no_findings():
    lines = [
        {"ts": "2026-11-29T01:02:03.456789+00:00", "level": "INFO", "msg": "card printed",
         "nik_masked": "3603********0001", "event_id": str(uuid.uuid4()), "student_id": "S-7f3a9c01",
         "digest": "sha256:" + hashlib.sha256(b"x").hexdigest(), "card_serial": "B1-000001",
         "npsn": "20600001", "elapsed_ms": 1234.5678, "school": "SMA 1 Kabupaten Tangerang (contoh)",
         "count": 1234567890123, "phone": "+62**********12"},
    ]
    text = "\n".join(json.dumps(line) for line in lines) + "\nGET /students/S-1 200 in 12 ms\n"
    assert SCANNER.text("log", text) == []
    assert kinds("Ani") == []  # a single given name alone is not matched (too common a word)


def test_an_id_that_reads_like_a_phone_number_is_not_one_but_a_phone_beside_it_is() -> None:
    scanner = LeakScanner(names=[])
    looks_like_a_phone = '{"delivery_id": "3f2a1b4c-0812-4567-8901-5d6e7f8a9b0c"}'  # 0812-4567-8901 inside
    assert scanner.text("event", looks_like_a_phone) == []
    leaks = scanner.text("event", looks_like_a_phone + " call 0812-4567-8901")
    assert [leak.kind for leak in leaks] == ["phone number"]
