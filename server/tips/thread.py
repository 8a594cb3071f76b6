"""A tip's mailbox as its phone uses it (ADR 0004): the tipster's follow-ups and read receipts, exactly once by id,
then what the officers did since ``since``, sealed to the tip's key (server/mailbox)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError
from sqlalchemy import select

from .. import queue_key
from ..commune_keys import operations as commune_keys
from ..commune_keys.schemas import sealed_columns
from ..database import coarse_now
from ..errors import NotFound
from ..extensions import db
from ..mailbox import operations as mailboxes
from ..mailbox import sealing
from ..mailbox.models import TipMailbox
from ..reports.models import Message, MessageAuthor, Report
from ..reports.operations import content_hash
from .keys import retrying
from .schemas import MailboxMessageItemSchema, MailboxReceiptItemSchema
from .sending import verifier

ENTRIES_PER_ANSWER = 500
_ITEM_SCHEMAS: dict[str, Schema] = {"message": MailboxMessageItemSchema(), "receipt": MailboxReceiptItemSchema()}


def open_mailbox(secret: str, since: int | None, items: list[Any]) -> dict[str, Any]:
    """``POST /api/v1/tips/mailbox``: apply the tipster's follow-ups (exactly once, by id), then the entries."""
    return retrying(lambda: _open_mailbox(secret, since, items))


def _open_mailbox(secret: str, since: int | None, items: list[Any]) -> dict[str, Any]:
    mailbox = db.session.scalar(select(TipMailbox).where(TipMailbox.verifier == verifier(sealing.from_b64url(secret))))
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
    try:
        raw = queue_key.opened(raw)  # sealed to the queue key on the phone
    except queue_key.Unreadable:
        return _rejected(raw.get("id"), "sealed_unreadable")
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
    if not commune_keys.seal_is_known(report.commune_id, item):
        return _rejected(item["id"], "unknown_commune_key")
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
            **sealed_columns(item),
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
