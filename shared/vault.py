"""AES-GCM encryption of personal blobs at rest (enrollment's biometrics, printing's photos and
signatures). Each sealed blob keeps the id of the key that sealed it, so keys can be rotated:
new blobs use the active key, old ones still open with theirs. The associated data (``context``)
binds a blob to its record and part, so a blob copied onto another record does not open."""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel, Field

NONCE_BYTES = 12


class SealedBlob(BaseModel):
    key_id: str
    nonce: bytes = Field(min_length=NONCE_BYTES, max_length=NONCE_BYTES)
    ciphertext: bytes

    def to_document(self) -> dict[str, object]:
        return {"key_id": self.key_id, "nonce": self.nonce, "ciphertext": self.ciphertext}


class VaultError(Exception):
    pass


def parse_keys(spec: str) -> dict[str, bytes]:
    """`id1:base64key,id2:base64key` (32-byte keys: AES-256)."""
    keys: dict[str, bytes] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        key_id, _, encoded = part.partition(":")
        try:
            key = base64.b64decode(encoded, validate=True)
        except ValueError:
            raise VaultError(f"key {key_id!r} is not base64") from None
        if len(key) != 32:
            raise VaultError(f"key {key_id!r} has {len(key)} bytes, AES-256 needs 32")
        keys[key_id] = key
    if not keys:
        raise VaultError("no encryption key configured")
    return keys


class Vault:
    def __init__(self, keys: dict[str, bytes], active_key_id: str) -> None:
        if active_key_id not in keys:
            raise VaultError(f"active key {active_key_id!r} is not among the configured keys")
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self.active_key_id = active_key_id

    def seal(self, plaintext: bytes, *, context: str) -> SealedBlob:
        nonce = os.urandom(NONCE_BYTES)
        cipher = self._ciphers[self.active_key_id]
        return SealedBlob(key_id=self.active_key_id, nonce=nonce,
                          ciphertext=cipher.encrypt(nonce, plaintext, context.encode()))

    def open(self, blob: SealedBlob | dict, *, context: str) -> bytes:
        if isinstance(blob, dict):
            blob = SealedBlob.model_validate(blob)
        cipher = self._ciphers.get(blob.key_id)
        if cipher is None:
            raise VaultError(f"blob sealed with unknown key {blob.key_id!r}")
        try:
            return cipher.decrypt(blob.nonce, blob.ciphertext, context.encode())
        except InvalidTag:
            raise VaultError("blob does not open: altered, or not this record's") from None


def vault_from(spec: str, active_key_id: str = "") -> Vault:
    """A vault from settings: ``id:base64,...`` and the active key's id (default: the first)."""
    keys = parse_keys(spec)
    return Vault(keys, active_key_id or next(iter(keys)))
