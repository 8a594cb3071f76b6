"""The commune's tip key (ADR 0004): one RSA-2048 key per commune, its private half stored encrypted under a key
derived from SECRET_KEY, retired (and a new one made) once a phone of the commune is revoked, so that the revoked
phone's unspent tokens stop working."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..database import coarse_now
from ..extensions import db
from ..groups.models import Device, HouseholdGroup
from . import blind
from .models import TipKey

T = TypeVar("T")


def retrying(operation: Callable[[], T]) -> T:
    """Run a one-transaction operation; after a lost race on a unique row (a retry racing its original, two
    phones making the commune's new key), roll back and run it once more: it then sees the other's row."""
    try:
        return operation()
    except IntegrityError:
        db.session.rollback()
        return operation()


_private_keys: dict[str, rsa.RSAPrivateKey] = {}  # key_id -> loaded key: decrypting the PEM costs a few ms
_private_lock = threading.Lock()


def _key_password() -> bytes:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"binhan tip key", info=b"v1").derive(secret)


def _revocations(commune_id: int) -> int:
    """How many phones of the commune were ever revoked: a tip key is current while this has not changed."""
    return int(
        db.session.scalar(
            select(func.count(Device.id))
            .join(HouseholdGroup, HouseholdGroup.id == Device.group_id)
            .where(HouseholdGroup.commune_id == commune_id, Device.revoked_at.is_not(None))
        )
        or 0
    )


def current_key(commune_id: int) -> TipKey:
    """The commune's current tip key, made (and the older ones retired) when a phone was revoked since the last.

    Revoking a phone thus retires the key its unspent tokens were signed under: they are refused as
    ``tip_token_retired``, and every phone of the commune fetches tokens under the new key at its next sync.
    """
    revocations = _revocations(commune_id)
    key = db.session.scalar(select(TipKey).where(TipKey.commune_id == commune_id, TipKey.revocations == revocations))
    if key is not None:
        return key
    for old in db.session.scalars(select(TipKey).where(TipKey.commune_id == commune_id, TipKey.retired_at.is_(None))):
        old.retired_at = coarse_now()
    private = blind.generate_key()
    public = blind.public_der(private)
    encrypted = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_key_password()),
    )
    key = TipKey(
        key_id=blind.key_id(public),
        commune_id=commune_id,
        public_key=public,
        private_key=encrypted,
        revocations=revocations,
        created_at=coarse_now(),
    )
    db.session.add(key)
    db.session.flush()  # a concurrent maker of the same key fails here (unique commune + revocations): retried
    return key


def is_retired(key: TipKey) -> bool:
    return key.retired_at is not None or key.revocations != _revocations(key.commune_id)


def private_key(key: TipKey) -> rsa.RSAPrivateKey:
    with _private_lock:
        loaded = _private_keys.get(key.key_id)
    if loaded is None:
        private = serialization.load_pem_private_key(key.private_key, password=_key_password())
        if not isinstance(private, rsa.RSAPrivateKey):
            raise RuntimeError("a tip key is not an RSA key")
        loaded = private
        with _private_lock:
            _private_keys[key.key_id] = loaded
    return loaded


def public_key(key: TipKey) -> rsa.RSAPublicKey:
    public = serialization.load_der_public_key(key.public_key)
    if not isinstance(public, rsa.RSAPublicKey):
        raise RuntimeError("a tip key is not an RSA key")
    return public
