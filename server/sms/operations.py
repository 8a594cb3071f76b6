"""Reports by SMS (issue 17, ADR 0006): the commune's gateway, each phone's SMS key, and the inbound webhook.

The webhook is "SMS Gateway for Android"'s ``sms:received``: the gateway signs ``raw body ‖ X-Timestamp`` with
its signing key (hex HMAC-SHA256 in X-Signature) and retries any non-2xx answer at 10 s, 20 s, 40 s… for about
two days. So the answers are:

* **401** for a request the server cannot tie to a configured gateway (bad signature, no or stale timestamp):
  nothing is stored. A gateway whose key the commune mistyped keeps its messages and delivers them once the key
  is fixed; a forger or a replayer gets nothing.
* **200** for everything that came from the gateway, whatever became of it: stored, duplicate (the same envelope
  again, or the same report by another way), waiting for its other parts, or **refused** for good (not ours,
  malformed, truncated, bad MAC, unknown or revoked phone, rejected by the sync rules). A refusal is in the
  officers' log; retrying it for two days would change nothing.
* 5xx only when the server itself failed: the gateway retries, and the transaction left nothing behind.

A complete message goes through the very operation ``POST /api/v1/sync`` uses (``sync.push.apply``) with the
phone's device, so a report that came by SMS answers ``duplicate`` to the later sync of the same outbox item. An
anonymous tip goes through the tip's own storing (``tips.sending``) instead: the MAC proves an enrolled phone of
the commune sent it, and then nothing of that phone, its number or the exact time is kept.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from datetime import timedelta
from typing import Any

from flask import current_app
from marshmallow import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..audit import operations as audit
from ..communes.models import Commune
from ..database import coarse_now, utcnow
from ..errors import ApiError, NotFound
from ..extensions import db
from ..groups.models import Device
from ..officers.models import Officer
from ..sync import push
from ..tips import sending as tip_sending
from ..tips.schemas import TipSchema
from . import codec, outbox
from .models import SmsGateway, SmsInbound, SmsPart

log = logging.getLogger(__name__)

WINDOW_SECONDS = 300  # X-Timestamp must be within ±5 minutes of the server's clock
PARTS_KEPT = timedelta(days=3)  # parts are kept this long: to wait for their siblings, then to dedupe late copies


class WebhookRefused(ApiError):
    status = 401
    code = "sms_signature_invalid"
    message = "The webhook's signature or timestamp does not check out."


# --- keys ------------------------------------------------------------------------------------------------------


def _secret(label: bytes) -> bytes:
    secret = current_app.config["SECRET_KEY"]
    material = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(material, b"binhan sms " + label, hashlib.sha256).digest()


def device_key(device_id: int) -> bytes:
    """A phone's SMS key: derived from SECRET_KEY and the device's id, so no database copy holds it (ADR 0006)."""
    return hmac.new(_secret(b"device key"), f"device:{device_id}".encode(), hashlib.sha256).digest()


def _sender_hash(number: str) -> str:
    return hmac.new(_secret(b"sender"), number.encode(), hashlib.sha256).hexdigest()


def _masked(number: str) -> str:
    digits = "".join(ch for ch in number if ch.isdigit())
    return "…" + digits[-3:] if digits else ""


# --- the gateway -------------------------------------------------------------------------------------------------


def gateway(commune_id: int) -> SmsGateway | None:
    return db.session.scalar(select(SmsGateway).where(SmsGateway.commune_id == commune_id))


def set_gateway(
    commune: Commune,
    number: str,
    signing_key: str,
    officer_id: int | None = None,
    api: tuple[str, str, str] | None = None,
) -> SmsGateway:
    """Configure (or change) the commune's gateway; phones learn the number at their next sync. ``api``: the send
    API's URL, username and password (replies by SMS); None keeps what was set, empty strings clear it."""
    number, signing_key = number.strip(), signing_key.strip()
    if not number or not signing_key:
        raise ApiError("A number and a signing key are both needed.", code="validation_error", status=422)
    row = gateway(commune.id)
    if row is None:
        row = SmsGateway(commune_id=commune.id, number=number, signing_key=signing_key)
        db.session.add(row)
    else:
        row.number, row.signing_key, row.updated_at = number, signing_key, utcnow()
    if api is not None:
        row.api_url, row.api_username, row.api_password = (value.strip() or None for value in api)
    db.session.flush()
    audit.record(
        "sms_gateway_set", commune_id=commune.id, officer_id=officer_id, target_type="sms_gateway", target_id=row.id
    )
    db.session.commit()
    return row


def commune_of(officer: Officer) -> Commune:
    commune = db.session.get(Commune, officer.commune_id) if officer.commune_id else None
    if commune is None:
        raise NotFound("This account belongs to no commune.")
    return commune


def device_config(device: Device) -> dict[str, Any]:
    """What a phone needs to send by SMS: its id, the head of a new key chain (a random epoch at every fetch, so a
    copy of the phone that fetches gets a chain unrelated to the one the phone used: codec, issue 11), and its
    commune's gateway number (None: no gateway)."""
    row = gateway(device.group.commune_id)
    epoch = secrets.randbits(32)
    return {
        "device_id": device.id,
        "epoch": epoch,
        "key": base64.urlsafe_b64encode(codec.epoch_key(device_key(device.id), epoch)).rstrip(b"=").decode(),
        "number": row.number if row else None,
    }


def refused(commune_id: int, limit: int = 200) -> list[SmsInbound]:
    """The commune's refused SMS, newest first: what officers see (no text, only the reason and the time)."""
    return list(
        db.session.scalars(
            select(SmsInbound)
            .where(SmsInbound.commune_id == commune_id, SmsInbound.outcome == "refused")
            .order_by(SmsInbound.received_at.desc(), SmsInbound.id.desc())
            .limit(limit)
        )
    )


# --- the webhook -------------------------------------------------------------------------------------------------


def _signed_by(raw: bytes, timestamp: str, signature: str, key: str) -> bool:
    expected = hmac.new(key.encode(), raw + timestamp.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature.strip().lower())


def authenticate(raw: bytes, timestamp: str | None, signature: str | None, commune_code: str | None) -> SmsGateway:
    """The gateway that signed this request now (±5 min), or 401. Every candidate's key is tried in full."""
    if not timestamp or not signature:
        raise WebhookRefused("X-Timestamp and X-Signature are required.")
    query = select(SmsGateway)
    if commune_code:
        query = query.join(Commune, Commune.id == SmsGateway.commune_id).where(Commune.code == commune_code)
    matches = [row for row in db.session.scalars(query) if _signed_by(raw, timestamp, signature, row.signing_key)]
    if len(matches) != 1:
        raise WebhookRefused()
    try:
        skew = abs(time.time() - int(timestamp))
    except ValueError as exc:
        raise WebhookRefused("X-Timestamp is not Unix seconds.") from exc
    if skew > WINDOW_SECONDS:
        raise WebhookRefused("X-Timestamp is outside the 5-minute window.", code="sms_stale")
    return matches[0]


def receive(raw: bytes, timestamp: str | None, signature: str | None, commune_code: str | None) -> dict[str, Any]:
    """Act on one signed webhook delivery; one transaction, safe to retry."""
    row = authenticate(raw, timestamp, signature, commune_code)
    try:
        event = json.loads(raw)
        envelope_id = str(event["id"])[:100]
        kind = event["event"]
        payload = event["payload"] if kind == "sms:received" else {}
        message, number = str(payload.get("message", "")), str(payload.get("phoneNumber", ""))
        if kind in outbox.STATES and not isinstance(event.get("payload"), dict):
            raise TypeError("no payload")
    except (ValueError, KeyError, TypeError, AttributeError):
        log.warning("sms webhook: a signed body that is not a gateway event")
        return {"status": "refused", "reason": "malformed"}
    if kind in outbox.STATES:  # what became of a reply the server sent by SMS (outbox.py)
        result = outbox.status_event(row.commune_id, kind, event.get("payload") or {})
        db.session.commit()
        return result
    if kind != "sms:received":
        return {"status": "ignored"}
    seen = db.session.scalar(
        select(SmsInbound).where(SmsInbound.commune_id == row.commune_id, SmsInbound.envelope_id == envelope_id)
    )
    if seen is not None:
        return {"status": "duplicate", "outcome": seen.outcome}
    try:
        result = _act(row.commune_id, envelope_id, message, number)
        db.session.commit()
    except IntegrityError:
        # The same envelope (or part) raced itself: the other request stored it; this one is a duplicate.
        db.session.rollback()
        return {"status": "duplicate"}
    log.info("sms webhook: %s%s", result["status"], f" ({result['reason']})" if "reason" in result else "")
    return result


def _record(commune_id: int, envelope_id: str, number: str, outcome: str, **fields: Any) -> None:
    db.session.add(
        SmsInbound(commune_id=commune_id, envelope_id=envelope_id, sender=_masked(number), outcome=outcome, **fields)
    )
    db.session.flush()


def _refuse(commune_id: int, envelope_id: str, number: str, reason: str, **fields: Any) -> dict[str, Any]:
    _record(commune_id, envelope_id, number, "refused", reason=reason, **fields)
    return {"status": "refused", "reason": reason}


def _act(commune_id: int, envelope_id: str, message: str, number: str) -> dict[str, Any]:
    try:
        part = codec.parse_part(message)
    except codec.Malformed as exc:
        return _refuse(commune_id, envelope_id, number, exc.reason)
    db.session.execute(delete(SmsPart).where(SmsPart.received_at < utcnow() - PARTS_KEPT))
    parts = [part]
    if part.total > 1:
        sender = _sender_hash(number)
        db.session.add(
            SmsPart(
                commune_id=commune_id,
                sender_hash=sender,
                message_key=part.key,
                part_index=part.index,
                body=message.strip(),
            )
        )
        db.session.flush()  # a second copy of the same part fails here: the caller answers duplicate
        waiting = db.session.scalars(
            select(SmsPart).where(
                SmsPart.commune_id == commune_id, SmsPart.sender_hash == sender, SmsPart.message_key == part.key
            )
        ).all()
        if len(waiting) < part.total:
            _record(commune_id, envelope_id, "", "partial")  # no number: the message may be an anonymous tip
            return {"status": "waiting", "parts": len(waiting), "of": part.total}
        # The parts stay (PARTS_KEPT): a late copy of one of them then fails the unique key and is a duplicate.
        parts = [codec.parse_part(p.body) for p in waiting]
    return _complete(commune_id, envelope_id, number, parts)


def _forget_parts(commune_id: int, number: str, part: codec.Part) -> None:
    """An anonymous tip's parts go at once: kept, they would tie the sender's number to the message."""
    db.session.execute(
        delete(SmsPart).where(
            SmsPart.commune_id == commune_id,
            SmsPart.sender_hash == _sender_hash(number),
            SmsPart.message_key == part.key,
        )
    )


def _complete(commune_id: int, envelope_id: str, number: str, parts: list[codec.Part]) -> dict[str, Any]:
    try:
        envelope = codec.assemble(parts)
    except codec.Malformed as exc:
        return _refuse(commune_id, envelope_id, number, exc.reason)
    device = db.session.get(Device, envelope.device_id)
    ids = {"device_id": device.id if device else None, "report_id": envelope.item_id}
    if device is None or device.group.commune_id != commune_id:
        return _refuse(commune_id, envelope_id, number, "unknown_device", report_id=envelope.item_id)
    try:
        key = codec.message_key(device_key(device.id), envelope)
    except codec.Malformed as exc:
        return _refuse(commune_id, envelope_id, number, exc.reason, **ids)
    if not codec.verified(envelope, key):
        return _refuse(commune_id, envelope_id, number, "bad_mac", **ids)
    if device.revoked_at is not None:
        return _refuse(commune_id, envelope_id, number, "revoked_device", **ids)
    try:
        item = codec.open_item(envelope, key)
    except codec.Malformed as exc:
        return _refuse(commune_id, envelope_id, number, exc.reason, **ids)
    if codec.is_tip(item):
        _forget_parts(commune_id, number, parts[0])
        return _tip(commune_id, envelope_id, device, item)
    (result,) = push.apply(device, [item])  # the sync's own operation: same checks, same idempotency
    if result["status"] == "rejected":
        return _refuse(commune_id, envelope_id, number, str(result["error"]["code"])[:40], **ids)
    outcome = "stored" if result["status"] == "created" else "duplicate"
    _record(commune_id, envelope_id, number, outcome, **ids)
    outbox.remember(commune_id, envelope.item_id, number)  # replies and statuses go back to that number too
    return {"status": outcome, "tracking_code": result.get("tracking_code")}


def _tip(commune_id: int, envelope_id: str, device: Device, item: dict[str, Any]) -> dict[str, Any]:
    """An anonymous tip by SMS: stored as ``POST /api/v1/tips`` stores one. Its delivery is logged with no number,
    phone, report or time finer than the hour, and no reply goes back by SMS: answers wait in its mailbox."""
    at = coarse_now()
    reason: str | None = None
    try:
        stored, _ = tip_sending.store_sms_tip(device, TipSchema().load(item))
        outcome = "stored" if stored == "created" else "duplicate"
    except ValidationError:
        outcome, reason = "refused", "validation_error"
    except ApiError as exc:
        outcome, reason = "refused", exc.code[:40]
    db.session.add(
        SmsInbound(commune_id=commune_id, envelope_id=envelope_id, outcome=outcome, reason=reason, received_at=at)
    )
    db.session.flush()
    return {"status": outcome, **({"reason": reason} if reason else {})}
