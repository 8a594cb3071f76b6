"""The server's queue key (issue 11): what a phone queues in a household's name is sealed to it at writing time.

A copy of the shared phone holds the device key, which opens everything the outbox keeps under it; so a queued
named report, follow-up or receipt is kept sealed to this P-256 key instead (ECIES as in mailbox/sealing.py, HKDF
info ``binhan queue v1``), and only the server opens it, at the edge of ``/sync``, before the item is validated as
any other. The phone learns the public half from the rules (``queue_key``), which enrolment already fetches.

The private key is derived from SECRET_KEY, never stored: a dump or backup of the database opens nothing. Keys
derived from ``SECRET_KEY_FALLBACKS`` (Flask's rotation list) still open what was sealed before a rotation, so a
phone that queued offline across it loses nothing; ``key_id`` says which key sealed an item.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import zlib
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app

from .mailbox import sealing

INFO = b"binhan queue v1"
FILE_INFO = b"binhan queue file v1"  # a named report's photo or recording, queued sealed (pwa/js/outbox.js)
GZIP = b"\x1f\x8b"  # the phone gzips an item before sealing it (a JSON text never starts so)
MAX_ITEM_BYTES = 4 * 1024 * 1024  # twice a whole sync request: what no item unpacks beyond
# The order of P-256's group: a derived scalar is reduced into [1, n - 1].
_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


class Unreadable(ValueError):
    """A sealed item no key of this server opens, or whose content is not the item it says it is."""


@lru_cache(maxsize=8)
def key_for(secret: bytes) -> tuple[str, ec.EllipticCurvePrivateKey, str]:
    """``(key_id, private key, public key)`` derived from one secret (the server's, or a test's live server's)."""
    digest = hmac.new(secret, b"binhan queue key v1", hashlib.sha256).digest()
    private = ec.derive_private_key(int.from_bytes(digest, "big") % (_ORDER - 1) + 1, ec.SECP256R1())
    point = sealing.public_point(private)
    return sealing.b64url(hashlib.sha256(point).digest()[:6]), private, sealing.b64url(point)


def _material(secret: str | bytes) -> bytes:
    return secret.encode() if isinstance(secret, str) else secret


def _keys() -> list[tuple[str, ec.EllipticCurvePrivateKey, str]]:
    config = current_app.config
    secrets = [config["SECRET_KEY"], *(config.get("SECRET_KEY_FALLBACKS") or ())]
    return [key_for(_material(secret)) for secret in secrets]


def key_ids() -> set[str]:
    """The ids of the keys that open what phones sealed: the current one's, and those of SECRET_KEY_FALLBACKS."""
    return {key_id for key_id, _, _ in _keys()}


def _private(key_id: Any) -> ec.EllipticCurvePrivateKey | None:
    """The private half of this server's key ``key_id`` (current or a fallback), or None."""
    return next((key for kid, key, _ in _keys() if kid == key_id), None)


def open_file(key_id: str, data: bytes) -> bytes:
    """A photo's or recording's bytes that a phone sealed to key ``key_id``; Unreadable if they do not open."""
    private = _private(key_id)
    if private is None:
        raise Unreadable("No key of this server sealed this file (was SECRET_KEY changed without a fallback?).")
    try:
        return sealing.open_raw(private, data, FILE_INFO)
    except (ValueError, InvalidTag) as exc:
        raise Unreadable("The sealed file does not open.") from exc


def public() -> dict[str, str]:
    """What the rules publish: ``{key_id, public_key}`` (base64url, uncompressed point)."""
    key_id, _, point = _keys()[0]
    return {"key_id": key_id, "public_key": point}


def unseal(private: ec.EllipticCurvePrivateKey, sealed: str) -> Any:
    """The JSON value sealed to ``private``'s public half, gzipped first (as the phone does) or not."""
    data = sealing.open_sealed(private, sealed, INFO)
    if data.startswith(GZIP):
        inflater = zlib.decompressobj(wbits=31)
        data = inflater.decompress(data, MAX_ITEM_BYTES)
        if inflater.unconsumed_tail or not inflater.eof:
            raise ValueError("a sealed item larger than any item, or cut short")
    return json.loads(data)


def is_sealed(raw: Any) -> bool:
    """Whether ``raw`` is an item sealed to this key, ``{id, key_id, sealed}``: an item in clear has a ``type``, and
    its own ``sealed`` (a tip's text sealed to the commune) is an object."""
    return isinstance(raw, dict) and "key_id" in raw and isinstance(raw.get("sealed"), str) and "type" not in raw


def opened(raw: Any) -> Any:
    """``raw`` itself, or the item sealed inside it: what every edge that takes a queued item checks after."""
    return open_item(raw) if is_sealed(raw) else raw


def open_item(raw: dict[str, Any]) -> dict[str, Any]:
    """The item inside ``{"id", "key_id", "sealed"}``; Unreadable if no key opens it or it names another id."""
    sealed, key_id = raw.get("sealed"), raw.get("key_id")
    private = _private(key_id)
    if private is None or not isinstance(sealed, str):
        raise Unreadable("No key of this server sealed this item (was SECRET_KEY changed without a fallback?).")
    try:
        item = unseal(private, sealed)
    except (ValueError, InvalidTag, RecursionError, zlib.error) as exc:  # anyone may seal to a public key: bombs too
        raise Unreadable("The sealed item does not open.") from exc
    if not isinstance(item, dict) or item.get("id") != raw.get("id"):
        raise Unreadable("The sealed item is not the item it is sent as.")
    return item
