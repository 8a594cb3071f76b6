"""Secrets the server must read back, kept in the database only encrypted (AES-GCM under a key derived from
SECRET_KEY, which is never stored there): a database dump or backup alone does not give them away.

Used for an SMS gateway's webhook signing key and its send API's password (issue 17). Like the household PIN
secrets (server/households/secrets.py), they are lost with SECRET_KEY: rotate it only with a re-entry of them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

VERSION = "v1:"


def _key(purpose: str) -> bytes:
    secret = current_app.config["SECRET_KEY"]
    material = secret.encode() if isinstance(secret, str) else secret
    return HKDF(hashes.SHA256(), 32, salt=None, info=b"binhan at rest " + purpose.encode()).derive(material)


def seal(value: str, purpose: str) -> str:
    """``value`` encrypted for ``purpose`` (a label: a value sealed for one purpose does not open for another)."""
    nonce = os.urandom(12)
    sealed = nonce + AESGCM(_key(purpose)).encrypt(nonce, value.encode(), purpose.encode())
    return VERSION + base64.urlsafe_b64encode(sealed).decode()


def open_sealed(sealed: str, purpose: str) -> str:
    """The value :func:`seal` sealed; ``cryptography.exceptions.InvalidTag`` if SECRET_KEY or the purpose differ."""
    if not sealed.startswith(VERSION):
        raise ValueError("not a sealed value")
    raw = base64.urlsafe_b64decode(sealed[len(VERSION) :])
    return AESGCM(_key(purpose)).decrypt(raw[:12], raw[12:], purpose.encode()).decode()


def fingerprint(value: str, purpose: str) -> str:
    """A keyed hash of ``value`` (HMAC-SHA256 under a key derived from SECRET_KEY): a name for a thing that a copy
    of where it is kept cannot turn back into the thing (e.g. a phone's count of SMS tips in the rate limiter)."""
    return hmac.new(_key(purpose), value.encode(), hashlib.sha256).hexdigest()
