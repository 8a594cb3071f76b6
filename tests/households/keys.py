"""The phone's half of ADR 0005 in Python, for tests: the PIN check value and a claim request."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def pin_check(pin: str, salt: bytes = b"household-salt16") -> bytes:
    """What the phone sends for a PIN (ADR 0005), with few PBKDF2 rounds to keep the test fast."""
    stretched = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, 1000)
    return HKDF(hashes.SHA256(), 32, salt=None, info=b"binhan pin check").derive(stretched)


def public_point() -> str:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    return b64(key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))


def claim_body(code: str, pin: str, request_id: str | None = None) -> dict[str, Any]:
    return {
        "code": code,
        "request_id": request_id or str(uuid.uuid4()),
        "box_public_key": public_point(),
        "sign_public_key": public_point(),
        "pin_check": b64(pin_check(pin)),
    }


def point_of(key: ec.EllipticCurvePrivateKey) -> str:
    return b64(key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))


class HouseholdKeys:
    """A household's two key pairs as the phone keeps them (box: what is sealed to it; sign: what it sends)."""

    def __init__(self) -> None:
        self.box = ec.generate_private_key(ec.SECP256R1())
        self.sign_key = ec.generate_private_key(ec.SECP256R1())

    def claim_body(self, code: str, pin: str) -> dict[str, Any]:
        body = claim_body(code, pin)
        return {**body, "box_public_key": point_of(self.box), "sign_public_key": point_of(self.sign_key)}

    def sign(self, item: dict[str, Any]) -> dict[str, Any]:
        """``item`` with its ``signature``: ECDSA P-256/SHA-256, r‖s, over the key-sorted compact JSON (ADR 0005)."""
        unsigned = {key: value for key, value in item.items() if key != "signature"}
        message = json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        r, s = utils.decode_dss_signature(self.sign_key.sign(message, ec.ECDSA(hashes.SHA256())))
        return {**item, "signature": b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))}
