"""ECIES to a P-256 public key, as ADR 0004 fixes it for mailbox entries (WebCrypto can open it on the phone).

An ephemeral P-256 key pair per entry; ECDH with the tip's public key; HKDF-SHA256 of the shared secret with an
empty salt and the info ``binhan mailbox v1`` gives a 32-byte AES-256-GCM key; a random 12-byte nonce; no
associated data. The sealed entry is ``ephemeral public key (65 bytes, uncompressed) ‖ nonce (12) ‖ ciphertext
and tag``, in unpadded base64url. Only the holder of the tip's private key can open it; the server keeps
nothing that can.
"""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

INFO = b"binhan mailbox v1"
POINT_BYTES = 65
NONCE_BYTES = 12


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def from_b64url(text: str) -> bytes:
    """Unpadded or padded base64url; anything else raises ValueError."""
    if not isinstance(text, str) or any(c not in _B64URL for c in text.rstrip("=")):
        raise ValueError("not base64url")
    stripped = text.rstrip("=")
    return base64.urlsafe_b64decode(stripped + "=" * (-len(stripped) % 4))


_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def load_public_key(point: bytes) -> ec.EllipticCurvePublicKey:
    """An uncompressed P-256 point (0x04 ‖ x ‖ y) on the curve; ValueError otherwise."""
    if len(point) != POINT_BYTES or point[0] != 4:
        raise ValueError("not an uncompressed P-256 point")
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)


def _key(shared: bytes, info: bytes = INFO) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"", info=info).derive(shared)


def seal(point: bytes, plaintext: bytes, info: bytes = INFO) -> str:
    """Seal to the P-256 ``point``; ``info`` separates uses (a tip's mailbox, a household's feed: ADR 0005)."""
    recipient = load_public_key(point)
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    key = _key(ephemeral.exchange(ec.ECDH(), recipient), info)
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext, None)
    eph = ephemeral.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64url(eph + nonce + sealed)


def open_sealed(private_key: ec.EllipticCurvePrivateKey, sealed: str, info: bytes = INFO) -> bytes:
    """Open what ``seal`` made for ``private_key``'s public half (the province's recovery tool and the tests: the
    server holds no private key that opens anything households or tipsters sealed)."""
    return open_raw(private_key, from_b64url(sealed), info)


def open_raw(private_key: ec.EllipticCurvePrivateKey, data: bytes, info: bytes = INFO) -> bytes:
    """``open_sealed`` of the bytes themselves (a file sealed on the phone travels as bytes, not base64url)."""
    ephemeral = load_public_key(data[:POINT_BYTES])
    key = _key(private_key.exchange(ec.ECDH(), ephemeral), info)
    nonce = data[POINT_BYTES : POINT_BYTES + NONCE_BYTES]
    return AESGCM(key).decrypt(nonce, data[POINT_BYTES + NONCE_BYTES :], None)


def public_point(private_key: ec.EllipticCurvePrivateKey) -> bytes:
    """The uncompressed point of ``private_key``'s public half (how keys travel: 65 bytes)."""
    public = private_key.public_key()
    return public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
