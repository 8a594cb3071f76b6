"""Making a commune's key (its head, in the browser), listing its versions (its officers), and the current
public half (its phones, to seal tips to)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..audit import operations as audit
from ..errors import Conflict, Unprocessable
from ..extensions import db
from ..mailbox.sealing import b64url, from_b64url, load_public_key
from ..officers.models import Officer
from .models import CommuneKey
from .schemas import PassphraseWrapSchema


def recovery_public_key() -> str | None:
    """The province's recovery public key (base64url P-256 point): ``PROVINCE_RECOVERY_KEY``, else the demo's
    ``instance/province-recovery.pub`` (seed-demo makes it); checked."""
    value = str(current_app.config.get("PROVINCE_RECOVERY_KEY") or "").strip()
    demo = Path(current_app.instance_path) / "province-recovery.pub"
    if not value and demo.exists():
        value = demo.read_text().strip()
    if not value:
        return None
    load_public_key(from_b64url(value))  # a wrong setting fails loudly here, not in a key made later
    return value


def keys(commune_id: int) -> list[CommuneKey]:
    query = select(CommuneKey).where(CommuneKey.commune_id == commune_id).order_by(CommuneKey.version.desc())
    return list(db.session.scalars(query))


def current(commune_id: int) -> CommuneKey | None:
    return next(iter(keys(commune_id)), None)


def known_versions(commune_id: int) -> set[int]:
    return set(db.session.scalars(select(CommuneKey.version).where(CommuneKey.commune_id == commune_id)))


def create(head: Officer, data: dict[str, Any]) -> CommuneKey:
    """A new version for the head's commune: new tips are sealed to it once phones hear of it; the older
    versions stay, so tips sealed to them stay readable."""
    if recovery_public_key() is None:
        raise Unprocessable(
            "The province's recovery key is not configured (PROVINCE_RECOVERY_KEY): a lost passphrase would lose"
            " every tip sealed to this key.",
            code="recovery_key_missing",
        )
    version = (
        db.session.scalar(select(func.max(CommuneKey.version)).where(CommuneKey.commune_id == head.commune_id)) or 0
    ) + 1
    key = CommuneKey(
        commune_id=head.commune_id,
        version=version,
        public_key=data["public_key"],
        passphrase_wrap=json.dumps(PassphraseWrapSchema().dump(data["passphrase_wrap"])),
        recovery_wrap=data["recovery_wrap"],
        created_by_id=head.id,
    )
    db.session.add(key)
    audit.record(
        "commune_key.created",
        commune_id=head.commune_id,
        officer_id=head.id,
        target_type="commune_key",
        target_id=version,
        public_key=b64url(data["public_key"]),
    )
    try:
        db.session.commit()
    except IntegrityError as exc:  # another head's browser made this version a moment ago
        db.session.rollback()
        raise Conflict("Another key was just made for this commune: reload.", code="commune_key_changed") from exc
    return key


def named_versions(data: dict[str, Any]) -> set[int]:
    """The versions of the commune's key an item is sealed to: its text's and its files' (issue 11)."""
    sealed = data.get("sealed")
    files = {a["key_version"] for a in data.get("attachments", []) if a.get("key_version") is not None}
    return files | ({sealed["key_version"]} if sealed else set())


def seal_is_known(commune_id: int, data: dict[str, Any]) -> bool:
    """Whether every version of its commune's key an item is sealed to exists."""
    named = named_versions(data)
    return not named or named <= known_versions(commune_id)


UNKNOWN_KEY = "Tin được niêm phong bằng một khoá xã không có trên máy chủ."
