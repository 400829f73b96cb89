"""Photos and signatures kept in a print job are sealed at rest (AES-GCM, key id kept, bound to
the job and part); rotated keys still open old blobs; images written in clear before still read."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from bson import Binary

from services.printing.adapters.job_repository import from_document, to_document
from services.printing.domain.print_job import PrintJob
from services.printing.synthetic import synthetic_request
from shared.vault import VaultError, vault_from

OLD = "k1:" + base64.b64encode(b"1" * 32).decode()
NEW = "k2:" + base64.b64encode(b"2" * 32).decode()
T0 = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)


def job(n: int = 1) -> PrintJob:
    return PrintJob.from_request(synthetic_request(n), T0)


def stored(n: int = 1, keys: str = OLD) -> tuple[PrintJob, dict]:
    j = job(n)
    return j, {**to_document(j, vault_from(keys)), "_id": j.job_id}


def test_images_are_sealed_and_open_again():
    j, doc = stored()
    assert j.images is not None
    photo = doc["images"]["photo"]
    assert photo["key_id"] == "k1" and len(photo["nonce"]) == 12
    assert j.images.photo not in bytes(photo["ciphertext"]) and b"\xff\xd8\xff" not in bytes(photo["ciphertext"])
    assert b"\x89PNG" not in bytes(doc["images"]["signature"]["ciphertext"])
    back = from_document(doc, vault_from(OLD))
    assert back.images == j.images


def test_rotation_keeps_old_images_readable_and_seals_new_ones_with_the_new_key():
    _, doc = stored(keys=OLD)
    rotated = vault_from(f"{NEW},{OLD}", "k2")
    assert from_document(doc, rotated).images is not None
    j2 = job(2)
    assert to_document(j2, rotated)["images"]["photo"]["key_id"] == "k2"
    with pytest.raises(VaultError, match="unknown key 'k1'"):
        from_document(doc, vault_from(NEW))


def test_an_image_moved_to_another_job_does_not_open():
    _, one = stored(1)
    _, two = stored(2)
    two["images"]["photo"] = one["images"]["photo"]
    with pytest.raises(VaultError, match="does not open"):
        from_document(two, vault_from(OLD))


def test_images_written_in_clear_before_sealing_still_read():
    j, doc = stored()
    assert j.images is not None
    doc["images"] = {"photo": Binary(j.images.photo), "signature": Binary(j.images.signature)}
    assert from_document(doc, vault_from(OLD)).images == j.images


def test_a_summary_without_images_needs_no_key():
    _, doc = stored()
    del doc["images"]
    assert from_document(doc).images is None
