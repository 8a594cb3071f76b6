"""Applying a phone's pushed items one by one, each in its own savepoint, then pulling its changes.

A bad item is rejected with its errors while the others are kept; the whole batch commits once. A retry of
the whole request is always safe because every item is idempotent by its UUID.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import current_app
from marshmallow import Schema, ValidationError
from sqlalchemy.exc import IntegrityError

from ..announcements import operations as announcements
from ..errors import UNSTORABLE, ItemRejected, is_refused_value
from ..extensions import db
from ..feed import operations as feed
from ..groups.models import Device
from ..groups.operations import feed_audience, touch
from ..reports import operations as reports
from .schemas import MessageItemSchema, ReceiptItemSchema, ReportItemSchema

log = logging.getLogger(__name__)

Result = dict[str, Any]


def _apply_report(device: Device, data: dict[str, Any]) -> Result:
    report, created = reports.receive_report(device, data)
    return {"status": "created" if created else "duplicate", "tracking_code": report.tracking_code}


def _apply_message(device: Device, data: dict[str, Any]) -> Result:
    _, created = reports.receive_message(device, data)
    return {"status": "created" if created else "duplicate"}


def _apply_receipt(device: Device, data: dict[str, Any]) -> Result:
    if data["target"] == "message":
        recorded = reports.mark_reply_read(device, data["target_id"], data["read_at"])
    else:
        recorded = announcements.mark_read(device, data["target_id"], data["read_at"])
    return {"status": "created" if recorded else "duplicate"}


Handler = Callable[[Device, dict[str, Any]], Result]
HANDLERS: dict[str, tuple[Schema, Handler]] = {
    "report": (ReportItemSchema(), _apply_report),
    "message": (MessageItemSchema(), _apply_message),
    "receipt": (ReceiptItemSchema(), _apply_receipt),
}


def _rejected(item_id: Any, code: str, message: str, fields: dict[str, Any] | None = None) -> Result:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"id": str(item_id), "status": "rejected", "error": error}


def _apply_in_savepoint(device: Device, apply: Handler, data: dict[str, Any]) -> Result:
    savepoint = db.session.begin_nested()
    try:
        outcome = apply(device, data)
    except ItemRejected as exc:
        savepoint.rollback()
        return _rejected(data["id"], exc.code, exc.message, exc.fields)
    except IntegrityError:
        savepoint.rollback()
        raise
    except (*UNSTORABLE, UnicodeError) as exc:
        if not is_refused_value(exc):
            raise  # the database itself failed (connection lost, ...): the whole request is "retry later"
        # A value the schemas let through but the database refuses. Reject this item alone: failing the request
        # would make the phone retry the same batch forever, its other items stuck behind this one.
        savepoint.rollback()
        # No traceback: the statement's parameters (the tip's text) would go to the log with it.
        cause = type(getattr(exc, "orig", exc)).__name__
        log.warning("sync item %s refused by the database: %s (%s)", data["id"], type(exc).__name__, cause)
        return _rejected(data["id"], "validation_error", "A value of this item cannot be stored.")
    savepoint.commit()
    return {"id": str(data["id"]), **outcome}


def apply_item(device: Device, raw: Any) -> Result:
    """Validate and store one pushed item; never raises for a bad item, which gets a ``rejected`` result."""
    item_id = raw.get("id") if isinstance(raw, dict) else None
    handler = HANDLERS.get(raw["type"]) if isinstance(raw, dict) and "type" in raw else None
    if handler is None:
        return _rejected(item_id, "validation_error", "Unknown item type.", {"type": ["Unknown item type."]})
    schema, apply = handler
    try:
        data = schema.load(raw)
    except ValidationError as exc:
        return _rejected(item_id, "validation_error", "The item is not valid.", exc.normalized_messages())
    try:
        return _apply_in_savepoint(device, apply, data)
    except IntegrityError:
        # A retry raced its original request: the other stored the same id between our lookup and our insert.
        # Looking again now finds that row and answers duplicate (or conflict).
        return _apply_in_savepoint(device, apply, data)


def sync(device: Device, cursor: str | None, push: list[Any]) -> dict[str, Any]:
    """One round trip: push results, then the changes since ``cursor`` (validated before any write)."""
    feed.decode_cursor(cursor)
    results = [apply_item(device, raw) for raw in push]
    touch(device)
    page = feed.pull(feed_audience(device), cursor, current_app.config["SYNC_PAGE_SIZE"])
    db.session.commit()
    log.info("sync device=%s pushed=%d changes=%d", device.id, len(push), len(page.changes))
    return {"results": results, "changes": page.changes, "cursor": page.cursor, "more": page.more}
