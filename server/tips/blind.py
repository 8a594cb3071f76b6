"""The server's half of RFC 9474 blind RSA signatures, variant RSABSSA-SHA384-PSS-Deterministic.

The phone prepares a random 32-byte message (identity preparation: the "Deterministic" variants sign the message
as it is), encodes it with EMSA-PSS (SHA-384, MGF1-SHA-384, 48-byte salt), multiplies it by ``r^e`` for a random
``r`` and sends the result. The server applies its private key to that number without learning the message
(``BlindSign``, RFC 9474 section 4.3); the phone divides ``r`` out and holds a standard RSA-PSS signature of its
message, which the server later checks with an ordinary verification (``Verify``, section 4.5) without being able
to tell which blinded value it came from.

No maintained Python library implements RFC 9474, so the two operations are written here on top of
``cryptography``: the raw private-key operation uses the key's CRT numbers, and the RFC's checks (the blinded
value is below ``n``; ``s^e == m`` after signing, which catches a fault in the CRT computation that would leak
the key) are applied. tests/tips/blinding.py holds the phone's half and tests/tips/test_blind.py checks both
against the RFC's test vector for this variant.
"""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

PUBLIC_EXPONENT = 65537
KEY_BITS = 2048
SALT_LENGTH = 48  # bytes: the hash's length, as RSABSSA-SHA384-PSS-* names it


class BlindSignError(ValueError):
    """The blinded value cannot be signed (RFC 9474: "message representative out of range", "signing failure")."""


def generate_key(bits: int = KEY_BITS) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=PUBLIC_EXPONENT, key_size=bits)


def modulus_bytes(key: rsa.RSAPublicKey | rsa.RSAPrivateKey) -> int:
    return (key.key_size + 7) // 8


def public_der(key: rsa.RSAPrivateKey | rsa.RSAPublicKey) -> bytes:
    """The public key as SubjectPublicKeyInfo DER: what WebCrypto's ``importKey('spki', …)`` reads."""
    public = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
    return public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_id(public: bytes) -> str:
    """A short public name for a key: the first 16 bytes of the SHA-256 of its SPKI, in hex."""
    return hashlib.sha256(public).hexdigest()[:32]


def blind_sign(key: rsa.RSAPrivateKey, blinded: bytes) -> bytes:
    """RFC 9474 ``BlindSign(sk, blind_msg)``: ``s = m^d mod n``, checked by ``s^e == m``; ``k`` bytes out."""
    k = modulus_bytes(key)
    if len(blinded) != k:
        raise BlindSignError(f"A blinded message is {k} bytes.")
    numbers = key.private_numbers()
    n, e = numbers.public_numbers.n, numbers.public_numbers.e
    m = int.from_bytes(blinded, "big")
    if m >= n:
        raise BlindSignError("The blinded message is not below the modulus.")
    # CRT: about three times faster than pow(m, d, n) for the same result.
    s1 = pow(m % numbers.p, numbers.dmp1, numbers.p)
    s2 = pow(m % numbers.q, numbers.dmq1, numbers.q)
    s = s2 + numbers.q * ((numbers.iqmp * (s1 - s2)) % numbers.p)
    if pow(s, e, n) != m:
        raise BlindSignError("Signing failed its own check.")
    return s.to_bytes(k, "big")


PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=SALT_LENGTH)


def verify(public: rsa.RSAPublicKey, message: bytes, signature: bytes) -> bool:
    """RFC 9474 ``Verify(pk, msg, sig)``: RSASSA-PSS-VERIFY with SHA-384, MGF1-SHA-384 and a 48-byte salt."""
    if len(signature) != modulus_bytes(public):
        return False
    try:
        public.verify(signature, message, PSS, hashes.SHA384())
    except InvalidSignature:
        return False
    return True
