"""Printing on the real database: a card request's photo and signature are stored sealed, the
card still prints from them, and the service does not start without its image keys."""

from __future__ import annotations

import os
import subprocess
import sys

from shared.testing import ROOT, EventTap, running_service

from .helpers import card_requested, printing_settings, publish


async def test_a_requests_images_are_stored_sealed_and_still_print(settings_for, rabbit_url, topology, tmp_path):
    async with (
        running_service("printing", printing_settings(settings_for, tmp_path)) as printing,
        EventTap(rabbit_url, topology.exchange_name("events")) as tap,
    ):
        event = card_requested(1)
        await publish(rabbit_url, topology.exchange_name("restricted"), event)
        await tap.wait_for("certificate.issued")  # no stock: a certificate, rendered from the job
        doc = await printing.runtime.db["print_jobs"].find_one({"_id": event.id})
        photo = doc["images"]["photo"]
        assert photo["key_id"] == "test" and len(photo["nonce"]) == 12
        raw = bytes(photo["ciphertext"]) + bytes(doc["images"]["signature"]["ciphertext"])
        assert b"\xff\xd8\xff" not in raw and b"\x89PNG" not in raw


def test_printing_does_not_start_without_image_keys(env_for, tmp_path):
    env = {**os.environ, **env_for("printing", PRINTING_SPOOL_DIR=tmp_path, PRINTING_IMAGE_KEYS="")}
    done = subprocess.run([sys.executable, "-m", "services.printing"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 3  # start-up failed (shared/startup.py)
    assert "PRINTING_IMAGE_KEYS: no encryption key configured" in done.stderr, done.stderr[-2000:]
