"""Blind-signed tokens for an enrolled phone (RFC 9474): the phone's daily quota per key, answered request ids for
retries. The server signs blinded values it cannot relate to the tokens later spent on tips; it stores per phone
and day only a count, never a finer time."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from .. import tokens
from ..commune_keys import operations as commune_keys
from ..database import utcnow
from ..errors import ApiError, Conflict, Unprocessable
from ..extensions import db
from ..groups.models import Device
from ..mailbox import sealing
from ..reports.queries import local_zone
from . import blind
from .keys import current_key, private_key, public_key, retrying
from .models import TipKey, TipTokenIssue, TipTokenRequest


def _today() -> date:
    return utcnow().astimezone(local_zone()).date()


def _seconds_to_midnight() -> int:
    now = utcnow().astimezone(local_zone())
    midnight = datetime.combine(now.date() + timedelta(days=1), time.min, tzinfo=local_zone())
    return max(1, int((midnight - now).total_seconds()) + 1)


def _issued_today(device: Device, key: TipKey) -> int:
    issued = db.session.scalar(
        select(TipTokenIssue.issued).where(
            TipTokenIssue.device_id == device.id, TipTokenIssue.key_id == key.id, TipTokenIssue.day == _today()
        )
    )
    return int(issued or 0)


def key_for(device: Device) -> dict[str, Any]:
    """``GET /api/v1/tips/key``: the commune's current key and what this phone may still get today under it."""
    return retrying(lambda: _key_for(device))


def _key_for(device: Device) -> dict[str, Any]:
    key = current_key(device.group.commune_id)
    per_day = current_app.config["TIP_TOKENS_PER_DAY"]
    answer = {
        "key_id": key.key_id,
        "public_key": sealing.b64url(key.public_key),
        "tokens_per_day": per_day,
        "remaining": max(0, per_day - _issued_today(device, key)),
        "commune_key": _commune_key(device.group.commune_id),
    }
    db.session.commit()  # the key, if this call made it
    return answer


def _commune_key(commune_id: int) -> dict[str, Any] | None:
    """What the phone seals tips to (server/commune_keys): the current version's public half, or None."""
    key = commune_keys.current(commune_id)
    return None if key is None else {"version": key.version, "public_key": sealing.b64url(key.public_key)}


class TokensExhausted(ApiError):
    status, code = 429, "tip_tokens_exhausted"

    def __init__(self, retry_after: int) -> None:
        super().__init__("This phone has had all its tip tokens for today; more tomorrow.")
        self.headers = {"Retry-After": str(retry_after)}


def issue_tokens(device: Device, request_id: uuid.UUID, key_id: str, blinded: list[str]) -> dict[str, Any]:
    """``POST /api/v1/tips/tokens``: blind-sign up to the phone's remaining tokens of the day.

    A retry of the same ``request_id`` (the answer was lost) gets the same signatures and counts once; the same id
    with other blinded values is a ``conflict``.
    """
    return retrying(lambda: _issue_tokens(device, request_id, key_id, blinded))


def _issue_tokens(device: Device, request_id: uuid.UUID, key_id: str, blinded: list[str]) -> dict[str, Any]:
    key = current_key(device.group.commune_id)
    if key_id != key.key_id:
        db.session.commit()
        raise Conflict("The commune's tip key changed: fetch it again.", code="tip_key_changed")
    values = [sealing.from_b64url(value) for value in blinded]
    k = blind.modulus_bytes(public_key(key))
    if any(len(value) != k for value in values):
        raise Unprocessable(fields={"blinded": [f"Each blinded value is {k} bytes."]})
    request_hash = tokens.sha256_hex(str(request_id))
    blinded_hash = hashlib.sha256(b"".join(values)).hexdigest()
    per_day = current_app.config["TIP_TOKENS_PER_DAY"]
    prior = db.session.scalar(
        select(TipTokenRequest).where(
            TipTokenRequest.device_id == device.id,
            TipTokenRequest.key_id == key.id,
            TipTokenRequest.request_hash == request_hash,
        )
    )
    if prior is not None:
        if prior.blinded_hash != blinded_hash:
            raise Conflict("This request id was used for other tokens.", code="conflict")
        signatures = _sign(key, values[: prior.signed])
        remaining = max(0, per_day - _issued_today(device, key))
        db.session.commit()
        return {"key_id": key.key_id, "blind_signatures": signatures, "remaining": remaining}
    issue = db.session.scalar(
        select(TipTokenIssue)
        .where(TipTokenIssue.device_id == device.id, TipTokenIssue.key_id == key.id, TipTokenIssue.day == _today())
        .with_for_update()
    )
    if issue is None:
        issue = TipTokenIssue(device_id=device.id, key_id=key.id, day=_today(), issued=0)
        db.session.add(issue)
    remaining = per_day - issue.issued
    if remaining <= 0:
        db.session.commit()
        raise TokensExhausted(_seconds_to_midnight())
    count = min(remaining, len(values))
    signatures = _sign(key, values[:count])
    issue.issued += count
    db.session.add(
        TipTokenRequest(
            device_id=device.id, key_id=key.id, request_hash=request_hash, blinded_hash=blinded_hash, signed=count
        )
    )
    db.session.commit()
    return {"key_id": key.key_id, "blind_signatures": signatures, "remaining": remaining - count}


def _sign(key: TipKey, values: list[bytes]) -> list[str]:
    private = private_key(key)
    try:
        return [sealing.b64url(blind.blind_sign(private, value)) for value in values]
    except blind.BlindSignError as exc:
        raise Unprocessable(fields={"blinded": [str(exc)]}) from exc
