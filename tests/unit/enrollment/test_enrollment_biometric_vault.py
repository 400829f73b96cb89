import base64
import os

import pytest

from services.enrollment.adapters.biometric_vault import (
    BiometricVault,
    SealedBlob,
    VaultError,
    parse_keys,
)

K1, K2 = os.urandom(32), os.urandom(32)


def spec(**keys):
    return ",".join(f"{k}:{base64.b64encode(v).decode()}" for k, v in keys.items())


def test_a_sealed_blob_opens_with_its_key_and_context_only():
    vault = BiometricVault(parse_keys(spec(k1=K1)), "k1")
    blob = vault.seal(b"fingerprint template", context="student-1/fingerprint:right_thumb")
    assert blob.key_id == "k1" and b"fingerprint" not in blob.ciphertext
    assert vault.open(blob, context="student-1/fingerprint:right_thumb") == b"fingerprint template"
    with pytest.raises(VaultError, match="not this record's"):
        vault.open(blob, context="student-2/fingerprint:right_thumb")


def test_rotation_keeps_old_blobs_readable():
    old = BiometricVault(parse_keys(spec(k1=K1)), "k1").seal(b"iris", context="s/iris:left")
    rotated = BiometricVault(parse_keys(spec(k1=K1, k2=K2)), "k2")
    assert rotated.seal(b"x", context="c").key_id == "k2"
    assert rotated.open(old.to_document(), context="s/iris:left") == b"iris"


def test_tampering_and_unknown_keys_are_detected():
    vault = BiometricVault(parse_keys(spec(k1=K1)), "k1")
    blob = vault.seal(b"photo", context="c")
    tampered = SealedBlob(key_id="k1", nonce=blob.nonce,
                          ciphertext=bytes([blob.ciphertext[0] ^ 1]) + blob.ciphertext[1:])
    with pytest.raises(VaultError):
        vault.open(tampered, context="c")
    with pytest.raises(VaultError, match="unknown key 'k9'"):
        vault.open(blob.model_copy(update={"key_id": "k9"}), context="c")


def test_nonces_are_not_reused():
    vault = BiometricVault(parse_keys(spec(k1=K1)), "k1")
    assert vault.seal(b"a", context="c").nonce != vault.seal(b"a", context="c").nonce


@pytest.mark.parametrize(("value", "reason"), [
    ("", "no encryption key configured"),
    ("k1:not-base64!", "not base64"),
    ("k1:" + base64.b64encode(b"short").decode(), "has 5 bytes, AES-256 needs 32"),
])
def test_bad_key_settings_are_refused(value, reason):
    with pytest.raises(VaultError, match=reason):
        parse_keys(value)


def test_the_active_key_must_be_configured():
    with pytest.raises(VaultError, match="active key 'k2'"):
        BiometricVault(parse_keys(spec(k1=K1)), "k2")
