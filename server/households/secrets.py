"""Server-side secrets of household keys, kept under keys derived from SECRET_KEY (never stored in the database).

A database or backup thief gets the verifier and the wrapped share but not the key they are made with, so the
4–6 digit PIN cannot be tried against them offline; the running server is the only PIN oracle, and it counts.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

SHARE_BYTES = 32


def _derived(purpose: bytes) -> bytes:
    secret = current_app.config["SECRET_KEY"]
    material = secret.encode() if isinstance(secret, str) else secret
    return HKDF(hashes.SHA256(), 32, salt=None, info=b"binhan household " + purpose).derive(material)


def pin_verifier(pin_check: bytes) -> bytes:
    return hmac.new(_derived(b"pin verifier"), pin_check, hashlib.sha256).digest()


def pin_matches(pin_check: bytes, verifier: bytes) -> bool:
    return hmac.compare_digest(pin_verifier(pin_check), verifier)


def new_share() -> bytes:
    return os.urandom(SHARE_BYTES)


def wrap_share(share: bytes, household_id: int) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(_derived(b"share")).encrypt(nonce, share, str(household_id).encode())


def unwrap_share(wrapped: bytes, household_id: int) -> bytes:
    return AESGCM(_derived(b"share")).decrypt(wrapped[:12], wrapped[12:], str(household_id).encode())
