"""Secrets of integrations encrypted at rest (provider tokens, later webhook secrets).

Fernet (AES-128-CBC + HMAC-SHA256) with a key from BIZKIT_ENCRYPTION_KEY, else derived
from SECRET_KEY with HKDF, so an installation works without one more variable; setting
BIZKIT_ENCRYPTION_KEY lets SECRET_KEY rotate without losing the stored secrets.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


def _fernet() -> Fernet:
    configured = current_app.config.get("BIZKIT_ENCRYPTION_KEY")
    if configured:
        return Fernet(configured.encode())
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"bizkit-secrets", info=b"fernet").derive(
        current_app.config["SECRET_KEY"].encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(value: str) -> bytes:
    return _fernet().encrypt(value.encode())


def decrypt(token: bytes | None) -> str | None:
    """The clear text, or None when there is none or the key changed."""
    if not token:
        return None
    try:
        return _fernet().decrypt(bytes(token)).decode()
    except InvalidToken:
        return None
