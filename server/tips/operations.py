"""Anonymous tips sent alone (ADR 0004): the commune's tip key, tokens for enrolled phones, spending a token on a
tip, the tip's photos and its mailbox.

What the server learns: that some enrolled phone of the commune got tokens today (the count, per phone, day and
key), and later that some token of the commune was spent on a tip of one of its villages. Nothing connects the
two (RFC 9474 blind signatures); the tip is stored with no group, device, household or phone time, and with its
hour only. These endpoints log nothing about a request.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from marshmallow import Schema, ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import tokens
from ..attachments import operations as attachments
from ..attachments import storage
from ..attachments.models import Attachment
from ..communes.models import Village
from ..database import coarse_now, utcnow
from ..errors import ApiError, Conflict, Forbidden, NotFound, Unauthorized, Unprocessable
from ..extensions import db
from ..groups.models import Device, HouseholdGroup
from ..mailbox import operations as mailboxes
from ..mailbox import sealing
from ..mailbox.models import TipMailbox
from ..reports import intake
from ..reports.models import Message, MessageAuthor, Report, ReportKind, ReportStatus
from ..reports.operations import content_hash
from ..reports.queries import local_zone
from . import blind
from .models import SpentTipToken, TipKey, TipTokenIssue, TipTokenRequest
from .schemas import MailboxMessageItemSchema, MailboxReceiptItemSchema

T = TypeVar("T")


def _retrying(operation: Callable[[], T]) -> T:
    """Run a one-transaction operation; after a lost race on a unique row (a retry racing its original, two
    phones making the commune's new key), roll back and run it once more: it then sees the other's row."""
    try:
        return operation()
    except IntegrityError:
        db.session.rollback()
        return operation()


# --- the commune's key ---------------------------------------------------------------------------------------

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


def _private_key(key: TipKey) -> rsa.RSAPrivateKey:
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


def _public_key(key: TipKey) -> rsa.RSAPublicKey:
    public = serialization.load_der_public_key(key.public_key)
    if not isinstance(public, rsa.RSAPublicKey):
        raise RuntimeError("a tip key is not an RSA key")
    return public


# --- tokens for an enrolled phone ------------------------------------------------------------------------


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
    return _retrying(lambda: _key_for(device))


def _key_for(device: Device) -> dict[str, Any]:
    key = current_key(device.group.commune_id)
    per_day = current_app.config["TIP_TOKENS_PER_DAY"]
    answer = {
        "key_id": key.key_id,
        "public_key": sealing.b64url(key.public_key),
        "tokens_per_day": per_day,
        "remaining": max(0, per_day - _issued_today(device, key)),
    }
    db.session.commit()  # the key, if this call made it
    return answer


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
    return _retrying(lambda: _issue_tokens(device, request_id, key_id, blinded))


def _issue_tokens(device: Device, request_id: uuid.UUID, key_id: str, blinded: list[str]) -> dict[str, Any]:
    key = current_key(device.group.commune_id)
    if key_id != key.key_id:
        db.session.commit()
        raise Conflict("The commune's tip key changed: fetch it again.", code="tip_key_changed")
    values = [sealing.from_b64url(value) for value in blinded]
    k = blind.modulus_bytes(_public_key(key))
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
    private = _private_key(key)
    try:
        return [sealing.b64url(blind.blind_sign(private, value)) for value in values]
    except blind.BlindSignError as exc:
        raise Unprocessable(fields={"blinded": [str(exc)]}) from exc


# --- a tip, sent alone -----------------------------------------------------------------------------------


def _sent(status: str, report: Report) -> dict[str, Any]:
    return {"status": status, "id": str(report.id), "tracking_code": report.tracking_code}


def send_tip(data: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """``POST /api/v1/tips``: check the token, then spend it and store the tip in one transaction.

    Returns the answer and its status: 201 created, or 200 duplicate for a retry of the same token and tip.
    """
    return _retrying(lambda: _send_tip(data["token"], data["tip"]))


def _send_tip(token: dict[str, Any], tip: dict[str, Any]) -> tuple[dict[str, Any], int]:
    key = db.session.scalar(select(TipKey).where(TipKey.key_id == token["key_id"]))
    message = sealing.from_b64url(token["message"])
    if key is None or not blind.verify(_public_key(key), message, sealing.from_b64url(token["signature"])):
        raise Forbidden("This tip token is not valid; drop it.", code="tip_token_invalid")
    digest = content_hash(tip)
    message_hash = hashlib.sha256(message).hexdigest()
    spent = db.session.get(SpentTipToken, message_hash)
    if spent is not None:
        if spent.report_id != tip["id"]:
            raise Conflict("This tip token was already spent on another tip.", code="tip_token_spent")
        report = db.session.get(Report, spent.report_id)
        if report is None or report.content_hash != digest:
            raise Conflict("This tip id was already used for a different tip.", code="conflict")
        return _sent("duplicate", report), 200
    if is_retired(key):
        raise Conflict(
            "The commune changed its tip key: get new tokens at the next sync and send again.",
            code="tip_token_retired",
        )
    village = db.session.get(Village, tip["village_id"])
    if village is None or village.commune_id != key.commune_id:
        raise Unprocessable(fields={"village_id": ["Not a village of the commune this token is for."]})
    if db.session.get(Report, tip["id"]) is not None:
        raise Conflict("This tip id was already used for a different tip.", code="conflict")
    photos = tip["attachments"]
    if attachments.taken_ids({photo["id"] for photo in photos}):
        raise Conflict("An attachment id is already used by another record.", code="conflict")
    verifier = tip["mailbox"]["verifier"]
    if db.session.scalar(select(TipMailbox.id).where(TipMailbox.verifier == verifier)) is not None:
        raise Conflict("This mailbox is already used by another tip.", code="conflict")
    now = coarse_now()
    report = Report(
        id=tip["id"],
        commune_id=village.commune_id,
        village_id=village.id,
        group_id=None,
        household_id=None,
        device_id=None,
        kind=ReportKind.TIP,
        category=tip["category"],
        body=tip["body"],
        location=tip["location"],
        urgency=tip["urgency"],
        anonymous=True,
        status=ReportStatus.NEW,
        status_reason="",
        content_hash=digest,
        created_at=None,
        received_at=now,
        updated_at=now,
    )
    intake.set_tracking_code(report, tokens.new_tracking_code())
    db.session.add(report)
    db.session.flush()
    attachments.insert_photo_rows(
        attachments.photo_rows(photos, commune_id=village.commune_id, report_id=report.id, group_id=None, at=now)
    )
    db.session.add(
        TipMailbox(
            verifier=verifier,
            public_key=sealing.from_b64url(tip["mailbox"]["public_key"]),
            report_id=report.id,
            last_seq=0,
        )
    )
    db.session.add(SpentTipToken(message_hash=message_hash, key_id=key.id, report_id=report.id))
    db.session.commit()
    return _sent("created", report), 201


# --- photos, authorised by the mailbox secret -------------------------------------------------------------

MAILBOX_HEADER = "Tip-Mailbox"


def _verifier(secret: bytes) -> str:
    return hashlib.sha256(secret).hexdigest()


def _mailbox_by_header(header: str | None) -> TipMailbox:
    if not header:
        raise Unauthorized(f"The {MAILBOX_HEADER} header is required.")
    try:
        secret = sealing.from_b64url(header.strip())
    except ValueError:
        secret = b""
    mailbox = db.session.scalar(select(TipMailbox).where(TipMailbox.verifier == _verifier(secret)))
    if len(secret) != 32 or mailbox is None:
        raise NotFound("No such attachment for this tip.")
    return mailbox


def tip_attachment(header: str | None, attachment_id: uuid.UUID, *, lock: bool = False) -> Attachment:
    """A photo the tip of this mailbox declared; anything else is 404, whether it exists or not."""
    mailbox = _mailbox_by_header(header)
    query = select(Attachment).where(Attachment.id == attachment_id)
    if lock:
        query = query.with_for_update()
    attachment = db.session.scalar(query)
    if attachment is None or attachment.report_id != mailbox.report_id:
        raise NotFound("No such attachment for this tip.")
    return attachment


def upload_status(header: str | None, attachment_id: uuid.UUID) -> dict[str, Any]:
    return attachments.status(tip_attachment(header, attachment_id))


def receive_chunk(header: str | None, attachment_id: uuid.UUID, offset: int, data: bytes) -> dict[str, Any]:
    answer = attachments.receive_into(tip_attachment(header, attachment_id, lock=True), offset, data)
    if answer["complete"]:
        _coarse_file_times(attachment_id)
    return answer


def _coarse_file_times(attachment_id: uuid.UUID) -> None:
    """The stored photo's file times to the hour, as its row's: a backup of the files keeps them."""
    storage.blur_time(attachment_id, coarse_now())


# --- the mailbox -----------------------------------------------------------------------------------------

ENTRIES_PER_ANSWER = 500
_ITEM_SCHEMAS: dict[str, Schema] = {"message": MailboxMessageItemSchema(), "receipt": MailboxReceiptItemSchema()}


def open_mailbox(secret: str, since: int | None, items: list[Any]) -> dict[str, Any]:
    """``POST /api/v1/tips/mailbox``: apply the tipster's follow-ups (exactly once, by id), then the entries."""
    return _retrying(lambda: _open_mailbox(secret, since, items))


def _open_mailbox(secret: str, since: int | None, items: list[Any]) -> dict[str, Any]:
    mailbox = db.session.scalar(select(TipMailbox).where(TipMailbox.verifier == _verifier(sealing.from_b64url(secret))))
    if mailbox is None:
        raise NotFound("No mailbox has this secret.", code="mailbox_not_found")
    report = db.session.get(Report, mailbox.report_id)
    if report is None:
        raise NotFound("No mailbox has this secret.", code="mailbox_not_found")
    results = [_apply_item(report, raw) for raw in items]
    db.session.flush()
    found = mailboxes.entries(mailbox, since, ENTRIES_PER_ANSWER)
    answer = {
        "tracking_code": report.tracking_code,
        "results": results,
        "entries": [{"seq": entry.seq, "sealed": entry.sealed} for entry in found],
        "since": found[-1].seq if found else (since or 0),
    }
    db.session.commit()
    return answer


def _rejected(item_id: Any, code: str) -> dict[str, Any]:
    return {"id": str(item_id) if item_id is not None else "", "status": "rejected", "code": code}


def _apply_item(report: Report, raw: Any) -> dict[str, Any]:
    kind = raw.get("type") if isinstance(raw, dict) else None
    item_id = (raw.get("id") or raw.get("target_id")) if isinstance(raw, dict) else None
    schema = _ITEM_SCHEMAS.get(kind) if isinstance(kind, str) else None
    if schema is None:
        return _rejected(item_id, "validation_error")
    try:
        item = schema.load(raw)
    except ValidationError:
        return _rejected(item_id, "validation_error")
    if item["type"] == "message":
        return _follow_up(report, item)
    return _receipt(report, item)


def _follow_up(report: Report, item: dict[str, Any]) -> dict[str, Any]:
    digest = content_hash(item)
    existing = db.session.get(Message, item["id"])
    if existing is not None:
        if existing.report_id != report.id or existing.content_hash != digest:
            return _rejected(item["id"], "conflict")
        return {"id": str(item["id"]), "status": "duplicate"}
    now = coarse_now()
    db.session.add(
        Message(
            id=item["id"],
            report_id=report.id,
            author=MessageAuthor.HOUSEHOLD,
            officer_id=None,
            internal=False,
            body=item["body"],
            content_hash=digest,
            created_at=now,
            received_at=now,
        )
    )
    db.session.flush()
    report.updated_at = max(report.updated_at, now)
    return {"id": str(item["id"]), "status": "created"}


def _receipt(report: Report, item: dict[str, Any]) -> dict[str, Any]:
    result_id = str(item.get("id") or item["target_id"])
    message = db.session.get(Message, item["target_id"])
    if (
        message is None
        or message.report_id != report.id
        or message.author is not MessageAuthor.OFFICER
        or message.internal
    ):
        return _rejected(result_id, "unknown_message")
    if message.read_at is not None:
        return {"id": result_id, "status": "duplicate"}
    message.read_at = coarse_now()
    return {"id": result_id, "status": "created"}
