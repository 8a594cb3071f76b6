"""What is sealed to a household and what it signs (ADR 0005): the device token alone reads nothing of a
household's replies and statuses, and cannot post in another household's name.

Both use the household's keys as the server holds them: its box key (feed entries sealed like mailbox entries,
with their own HKDF info) and its sign keys (current, or retired in the last ``RETIRED_SIGNATURES_DAYS``: what
was queued before a PIN reset still sends). A household with no keys yet (not claimed) is served and heard as
before, until it claims with its household code.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils
from sqlalchemy import or_, select

from ..database import utcnow
from ..extensions import db
from ..mailbox.sealing import from_b64url, load_public_key, seal
from .models import HouseholdKey

HOUSEHOLD_INFO = b"binhan household v1"
RETIRED_SIGNATURES_DAYS = 30


def sealed_payload(household_id: int | None, payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` as a feed entry for one household: sealed to its box key, or as is if it has none yet."""
    if household_id is None:
        return payload
    point = db.session.scalar(
        select(HouseholdKey.box_public_key).where(
            HouseholdKey.household_id == household_id, HouseholdKey.retired_at.is_(None)
        )
    )
    if point is None:
        return payload
    plaintext = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return {"household_id": household_id, "sealed": seal(point, plaintext, HOUSEHOLD_INFO)}


def signing_keys(household_ids: Iterable[int]) -> dict[int, list[bytes]]:
    """The sign keys that may sign for each household (one query for a whole push batch)."""
    ids = set(household_ids)
    if not ids:
        return {}
    since = utcnow() - timedelta(days=RETIRED_SIGNATURES_DAYS)
    rows = db.session.execute(
        select(HouseholdKey.household_id, HouseholdKey.sign_public_key).where(
            HouseholdKey.household_id.in_(ids),
            or_(HouseholdKey.retired_at.is_(None), HouseholdKey.retired_at > since),
        )
    )
    keys: dict[int, list[bytes]] = {}
    for household_id, point in rows:
        keys.setdefault(household_id, []).append(point)
    return keys


def canonical(raw: dict[str, Any]) -> bytes | None:
    """The bytes a household signs: the item without ``signature``, keys sorted, no whitespace, UTF-8 (what
    ``JSON.stringify`` of a key-sorted copy gives on the phone); None if it cannot be encoded."""
    unsigned = {key: value for key, value in raw.items() if key != "signature"}
    try:
        return json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    except (TypeError, ValueError, UnicodeEncodeError):
        return None


def item_signed_by(keys: list[bytes], signed: tuple[Any, Any] | None) -> bool:
    """Whether a pushed item, kept as received with its signature (server/sync/push.py), is signed under one of
    ``keys``. Its canonical bytes are built here, for a household that has keys: most items have none to check."""
    raw, signature = signed or (None, None)
    return isinstance(raw, dict) and signed_by(keys, canonical(raw), signature)


def signed_by(keys: list[bytes], message: bytes | None, signature: Any) -> bool:
    """Whether ``signature`` (base64url r‖s, 64 bytes) over ``message`` verifies under one of ``keys``."""
    if message is None or not isinstance(signature, str):
        return False
    try:
        raw = from_b64url(signature)
    except ValueError:
        return False
    if len(raw) != 64:
        return False
    der = utils.encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    for point in keys:
        try:
            load_public_key(point).verify(der, message, ec.ECDSA(hashes.SHA256()))
            return True
        except (InvalidSignature, ValueError):
            continue
    return False
