"""Enrollment's biometric blobs are sealed with the shared AES-GCM vault (``shared/vault.py``)."""

from shared.vault import NONCE_BYTES, SealedBlob, VaultError, parse_keys
from shared.vault import Vault as BiometricVault

__all__ = ["NONCE_BYTES", "BiometricVault", "SealedBlob", "VaultError", "parse_keys"]
