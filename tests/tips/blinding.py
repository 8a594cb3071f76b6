"""The phone's half of RFC 9474 (RSABSSA-SHA384-PSS-Deterministic), for tests: ``blind`` and ``finalize``.

What pwa/js/tips.js does with BigInt arithmetic, written plainly: EMSA-PSS-ENCODE (RFC 8017 section 9.1.1) of
the message with SHA-384, MGF1-SHA-384 and a 48-byte salt, then ``z = m * r^e mod n``. ``finalize`` divides ``r``
out and checks the result with an ordinary RSA-PSS verification, as the phone does before keeping a token.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import rsa

from server.tips import blind as server_blind

HASH_LEN = 48
SALT_LEN = server_blind.SALT_LENGTH


def mgf1(seed: bytes, length: int) -> bytes:
    out = b""
    counter = 0
    while len(out) < length:
        out += hashlib.sha384(seed + counter.to_bytes(4, "big")).digest()
        counter += 1
    return out[:length]


def emsa_pss_encode(message: bytes, em_bits: int, salt: bytes) -> bytes:
    m_hash = hashlib.sha384(message).digest()
    em_len = (em_bits + 7) // 8
    assert em_len >= HASH_LEN + len(salt) + 2, "encoding error"
    h = hashlib.sha384(b"\x00" * 8 + m_hash + salt).digest()
    db = b"\x00" * (em_len - len(salt) - HASH_LEN - 2) + b"\x01" + salt
    masked = bytearray(a ^ b for a, b in zip(db, mgf1(h, em_len - HASH_LEN - 1), strict=True))
    masked[0] &= 0xFF >> (8 * em_len - em_bits)
    return bytes(masked) + h + b"\xbc"


@dataclass(frozen=True)
class Blinded:
    blinded: bytes  # what goes to the server
    inv: int  # r^-1 mod n: what the phone keeps to unblind
    encoded: bytes


def blind(public: rsa.RSAPublicKey, message: bytes, *, salt: bytes | None = None, r: int | None = None) -> Blinded:
    """RFC 9474 ``Blind(pk, msg)``; ``salt`` and ``r`` are drawn at random unless a test vector gives them."""
    numbers = public.public_numbers()
    n, e = numbers.n, numbers.e
    k = (public.key_size + 7) // 8
    encoded = emsa_pss_encode(message, public.key_size - 1, secrets.token_bytes(SALT_LEN) if salt is None else salt)
    m = int.from_bytes(encoded, "big")
    assert math.gcd(m, n) == 1, "invalid input"
    while r is None:
        candidate = secrets.randbelow(n)
        if candidate > 1 and math.gcd(candidate, n) == 1:
            r = candidate
    z = (m * pow(r, e, n)) % n
    return Blinded(z.to_bytes(k, "big"), pow(r, -1, n), encoded)


def finalize(public: rsa.RSAPublicKey, message: bytes, blind_sig: bytes, inv: int) -> bytes:
    """RFC 9474 ``Finalize``: ``s = z * inv mod n``, refused unless it verifies as RSA-PSS."""
    n = public.public_numbers().n
    k = (public.key_size + 7) // 8
    assert len(blind_sig) == k, "unexpected input size"
    signature = ((int.from_bytes(blind_sig, "big") * inv) % n).to_bytes(k, "big")
    if not server_blind.verify(public, message, signature):
        raise ValueError("the server's blind signature does not verify")
    return signature
