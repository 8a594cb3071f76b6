"""A tip sent alone with a one-use token, and its photos authorised by the mailbox secret (ADR 0004).

The tip is stored with no group, device, household or phone time, and with its hour only; spending the token and
storing the tip are one transaction. These endpoints log nothing about a request."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from flask import current_app
from limits import parse
from sqlalchemy import select

from .. import at_rest, tokens
from ..attachments import operations as attachments
from ..attachments import storage
from ..attachments.models import Attachment
from ..commune_keys import operations as commune_keys
from ..commune_keys.schemas import sealed_columns
from ..communes.models import Village
from ..database import coarse_now
from ..errors import ApiError, Conflict, Forbidden, NotFound, Unauthorized, Unprocessable
from ..extensions import db, limiter
from ..groups.models import Device
from ..live import operations as live
from ..mailbox import sealing
from ..mailbox.models import TipMailbox
from ..reports import intake
from ..reports.models import Report, ReportKind, ReportStatus
from ..reports.operations import content_hash
from . import blind
from .keys import is_retired, public_key, retrying
from .models import SpentTipToken, TipKey


def _sent(status: str, report: Report) -> dict[str, Any]:
    return {"status": status, "id": str(report.id), "tracking_code": report.tracking_code}


def send_tip(data: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """``POST /api/v1/tips``: check the token, then spend it and store the tip in one transaction.

    Returns the answer and its status: 201 created, or 200 duplicate for a retry of the same token and tip.
    """
    return retrying(lambda: _send_tip(data["token"], data["tip"]))


def _send_tip(token: dict[str, Any], tip: dict[str, Any]) -> tuple[dict[str, Any], int]:
    key = db.session.scalar(select(TipKey).where(TipKey.key_id == token["key_id"]))
    message = sealing.from_b64url(token["message"])
    if key is None or not blind.verify(public_key(key), message, sealing.from_b64url(token["signature"])):
        raise Forbidden("This tip token is not valid; drop it.", code="tip_token_invalid")
    digest = content_hash(tip)
    message_hash = hashlib.sha256(message).hexdigest()
    retried = _retry_answer(message_hash, tip["id"], digest)
    if retried is not None:
        return retried
    if is_retired(key):
        raise Conflict(
            "The commune changed its tip key: get new tokens at the next sync and send again.",
            code="tip_token_retired",
        )
    village = db.session.get(Village, tip["village_id"])
    if village is None or village.commune_id != key.commune_id:
        raise Unprocessable(fields={"village_id": ["Not a village of the commune this token is for."]})
    if not commune_keys.seal_is_known(village.commune_id, tip):
        raise Unprocessable(commune_keys.UNKNOWN_KEY, code="unknown_commune_key")
    taken = _taken(tip)
    if taken:
        # A retry racing its original: on PostgreSQL each statement sees the latest commits, so the original may
        # have committed between the first look and this one. Look again before calling it a conflict.
        retried = _retry_answer(message_hash, tip["id"], digest)
        if retried is not None:
            return retried
        raise Conflict(taken, code="conflict")
    report = _store(tip, village)
    db.session.add(SpentTipToken(message_hash=message_hash, key_id=key.id, report_id=report.id))
    db.session.commit()
    return _sent("created", report), 201


def _store(tip: dict[str, Any], village: Village) -> Report:
    """The tip's rows (report, declared photos, mailbox), with no group, device, household or phone time."""
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
        **sealed_columns(tip),
        urgency=tip["urgency"],
        anonymous=True,
        status=ReportStatus.NEW,
        status_reason="",
        content_hash=content_hash(tip),
        created_at=None,
        received_at=now,
        updated_at=now,
    )
    intake.set_tracking_code(report, tokens.new_tracking_code())
    db.session.add(report)
    db.session.flush()
    attachments.insert_photo_rows(
        attachments.photo_rows(
            tip["attachments"], commune_id=village.commune_id, report_id=report.id, group_id=None, at=now
        )
    )
    db.session.add(
        TipMailbox(
            verifier=tip["mailbox"]["verifier"],
            public_key=sealing.from_b64url(tip["mailbox"]["public_key"]),
            report_id=report.id,
            last_seq=0,
        )
    )
    live.note_report(report.commune_id, None)  # no id in the event: it would be stored to the second
    live.check_urgent(report)
    return report


def store_sms_tip(device: Device, tip: dict[str, Any]) -> tuple[str, Report]:
    """An anonymous tip that came by SMS (issue 17), loaded by TipSchema: ``created`` or ``duplicate`` (the same tip
    already came by data or by another SMS; the data send later gets ``duplicate`` too). Flushed, not committed:
    the webhook's transaction also records the delivery.

    The device only proves an enrolled phone of the commune sent it (the SMS's MAC); nothing of it is stored. In
    place of a token, the phone's tips of the day are counted in the rate limiter's storage (expiring, keyed by a
    hash of the device), never in the database: ``tip_quota_exceeded`` past TIP_TOKENS_PER_DAY."""
    stored = db.session.get(Report, tip["id"])
    if stored is not None:
        if stored.anonymous and stored.group_id is None and stored.content_hash == content_hash(tip):
            return "duplicate", stored
        raise Conflict("This tip id was already used for a different tip.", code="conflict")
    village = db.session.get(Village, tip["village_id"])
    if village is None or village.commune_id != device.group.commune_id:
        raise Unprocessable(fields={"village_id": ["Not a village of this phone's commune."]})
    if not commune_keys.seal_is_known(village.commune_id, tip):
        raise Unprocessable(commune_keys.UNKNOWN_KEY, code="unknown_commune_key")
    taken = _taken(tip)
    if taken:
        raise Conflict(taken, code="conflict")
    if not _sms_quota_left(device):
        raise ApiError("This phone sent all its tips for today.", code="tip_quota_exceeded", status=429)
    return "created", _store(tip, village)


def _sms_quota_left(device: Device) -> bool:
    """Counts one SMS tip for the phone today; False once it is past the day's tips (tokens per day)."""
    if not limiter.enabled:
        return True
    per_day = current_app.config["TIP_TOKENS_PER_DAY"]
    return limiter.limiter.hit(parse(f"{per_day} per day"), "sms-tip", at_rest.fingerprint(str(device.id), "sms tip"))


def _retry_answer(message_hash: str, tip_id: uuid.UUID, digest: str) -> tuple[dict[str, Any], int] | None:
    """The answer to a retry of a tip already stored (``duplicate``, spending nothing more), else None."""
    spent = db.session.get(SpentTipToken, message_hash)
    if spent is not None:
        if spent.report_id != tip_id:
            raise Conflict("This tip token was already spent on another tip.", code="tip_token_spent")
        report = db.session.get(Report, spent.report_id)
        if report is None or report.content_hash != digest:
            raise Conflict("This tip id was already used for a different tip.", code="conflict")
        return _sent("duplicate", report), 200
    stored = db.session.get(Report, tip_id)
    if stored is None:
        return None
    # The same tip already stored (under another token's spending): a retry, answered as one; this token
    # stays unspent. Other content under this id is a conflict.
    if stored.anonymous and stored.group_id is None and stored.content_hash == digest:
        return _sent("duplicate", stored), 200
    raise Conflict("This tip id was already used for a different tip.", code="conflict")


def _taken(tip: dict[str, Any]) -> str | None:
    """Why the tip's photo ids or mailbox belong to another record, or None."""
    if attachments.taken_ids({photo["id"] for photo in tip["attachments"]}):
        return "An attachment id is already used by another record."
    verifier = tip["mailbox"]["verifier"]
    if db.session.scalar(select(TipMailbox.id).where(TipMailbox.verifier == verifier)) is not None:
        return "This mailbox is already used by another tip."
    return None


# --- photos, authorised by the mailbox secret -------------------------------------------------------------

MAILBOX_HEADER = "Tip-Mailbox"


def verifier(secret: bytes) -> str:
    return hashlib.sha256(secret).hexdigest()


def _mailbox_by_header(header: str | None) -> TipMailbox:
    if not header:
        raise Unauthorized(f"The {MAILBOX_HEADER} header is required.")
    try:
        secret = sealing.from_b64url(header.strip())
    except ValueError:
        secret = b""
    mailbox = db.session.scalar(select(TipMailbox).where(TipMailbox.verifier == verifier(secret)))
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
