"""The two wraps of a commune key's private half, as the console makes them in the browser (WebCrypto).

- By passphrase: PBKDF2-SHA256 (``ITERATIONS``, 16-byte salt) gives an AES-256-GCM key; the PKCS#8 DER private key
  is encrypted with a 12-byte nonce. Stored as JSON ``{"kdf": "pbkdf2-sha256", "iterations", "salt", "iv",
  "ciphertext"}`` (base64url). WebCrypto has no memory-hard KDF; the passphrase is long (``MIN_PASSPHRASE``) and
  never leaves the officers' heads, and the wrap is useless without a copy of the database.
- To the province: the PKCS#8 DER sealed to the province's recovery public key (ECIES, ``RECOVERY_INFO``).

Python does the same here for the province's recovery command (a new passphrase after a lost one) and the tests.
"""

from __future__ import annotations

import json
import os
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from ..mailbox.sealing import b64url, from_b64url, open_sealed

ITERATIONS = 600_000
MIN_PASSPHRASE = 12
TIP_INFO = b"binhan commune tip v1"  # what phones seal tips with (pwa/js/seal.js)
FILE_INFO = b"binhan commune file v1"  # a tip's photo or recording (pwa/js/outbox.js queuedFiles); never opened here
RECOVERY_INFO = b"binhan commune key recovery v1"


def _aes_key(passphrase: str, salt: bytes, iterations: int) -> bytes:
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=iterations)
    return kdf.derive(passphrase.encode())


def wrap_with_passphrase(private_key: ec.EllipticCurvePrivateKey, passphrase: str) -> str:
    der = private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    salt, iv = os.urandom(16), os.urandom(12)
    ciphertext = AESGCM(_aes_key(passphrase, salt, ITERATIONS)).encrypt(iv, der, None)
    wrap = {"kdf": "pbkdf2-sha256", "iterations": ITERATIONS, "salt": b64url(salt), "iv": b64url(iv)}
    return json.dumps({**wrap, "ciphertext": b64url(ciphertext)})


def unwrap_with_passphrase(wrap: str, passphrase: str) -> ec.EllipticCurvePrivateKey:
    """The private key; ``cryptography.exceptions.InvalidTag`` for a wrong passphrase."""
    fields: dict[str, Any] = json.loads(wrap)
    key = _aes_key(passphrase, from_b64url(fields["salt"]), int(fields["iterations"]))
    der = AESGCM(key).decrypt(from_b64url(fields["iv"]), from_b64url(fields["ciphertext"]), None)
    return _load(der)


def open_recovery(recovery_wrap: str, province_key: ec.EllipticCurvePrivateKey) -> ec.EllipticCurvePrivateKey:
    return _load(open_sealed(province_key, recovery_wrap, RECOVERY_INFO))


def _load(der: bytes) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_der_private_key(der, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("not a P-256 private key")
    return key
