"""Random secrets and their hashes: device tokens, enrolment codes and tracking codes.

Tokens and codes are high-entropy random values, so a plain SHA-256 is the right hash for them (a slow KDF
is for low-entropy passwords); lookups stay one indexed equality.
"""

from __future__ import annotations

import hashlib
import secrets

# Crockford's base32: no I, L, O, U, so that codes read aloud over a bad phone line survive.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def new_device_token() -> str:
    return "bat_" + secrets.token_urlsafe(32)


def _random_code(length: int) -> str:
    """One read of the system's randomness per code, not one per character (a sync batch draws 50 codes): the
    alphabet has 32 characters, so each is exactly 5 random bits, unbiased."""
    value = int.from_bytes(secrets.token_bytes((5 * length + 7) // 8), "big")
    return "".join(_ALPHABET[(value >> (5 * i)) & 31] for i in range(length))


def _grouped_code(length: int) -> str:
    """Random characters in groups of four, easier to read aloud and to type."""
    raw = _random_code(length)
    return "-".join(raw[i : i + 4] for i in range(0, length, 4))


def new_enrolment_code() -> str:
    """12 characters (60 bits) in groups of four, e.g. ``7KQ3-MX9A-2BCD``."""
    return _grouped_code(12)


def normalise_code(code: str) -> str:
    """Accept what people type: any case, spaces or dashes, O for 0 and I or L for 1."""
    return "".join(ch for ch in code.upper().translate(_CONFUSABLE) if ch.isalnum())


def new_tracking_code() -> str:
    """8 characters (40 bits), e.g. ``K7Q9-3MXA``: what a household quotes at the commune office."""
    return _grouped_code(8)


def new_household_code() -> str:
    """8 characters (40 bits), e.g. ``H7K2-Q9MX``: printed for one household; guesses are rate limited per phone."""
    return _grouped_code(8)
