"""Applying a phone's pushed items: set-based for the whole batch, item by item only when an item fails.

The fast path (``apply``) validates every item, looks up everything the batch names with one query per table,
checks the items in push order against that (server/reports/intake.py) and writes the new rows with one
multi-row INSERT per table: a constant number of statements whatever the batch's size
(tests/sync/test_push_statements.py). Per-item answers are exactly those of applying the items one by one:
``created``, ``duplicate`` (a retry), ``rejected`` (validation, conflict, unknown household or report).

Rejections the checks find (a conflict, an unknown household) need no undo: nothing was written for them. Two
cases do, and only they send the batch down the slow path, which applies each item in its own savepoint as
before: a value the database itself refuses (the multi-row INSERT fails as a whole, so the culprit must be
found alone), and a concurrent request that stored the same ids first (a phone retrying while its first
request still runs; item by item, the lookup then finds those rows and answers ``duplicate``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from marshmallow import Schema, ValidationError
from sqlalchemy.exc import IntegrityError

from .. import queue_key
from ..announcements import operations as announcements
from ..appointments import operations as appointments
from ..errors import UNSTORABLE, ItemRejected, is_refused_value
from ..extensions import db
from ..groups.models import Device
from ..reports import intake
from ..reports import operations as reports
from ..reports.models import Report
from .schemas import BookingItemSchema, MessageItemSchema, ReceiptItemSchema, ReportItemSchema

log = logging.getLogger(__name__)

Result = dict[str, Any]
Outcome = Callable[[], Result]  # read after the batch is written: a tracking code may be drawn again there
Handler = Callable[[Device, dict[str, Any]], Outcome]


def _apply_report(device: Device, data: dict[str, Any]) -> Outcome:
    report, created = reports.receive_report(device, data)
    status = "created" if created else "duplicate"
    if created and data.get("slot_id"):
        # Issue 15: the seat is taken once the batch's reports are written (outcomes run after the flush); the
        # household learns in this same round trip whether it has it, or which free slots are nearest.
        def booked() -> Result:
            # The row the batch inserted, as the session knows it: the staged object was written by a Core INSERT
            # and is not in the session, so the appointment time set on it would never reach the database.
            stored = db.session.get_one(Report, report.id)
            appointments.book(stored, report.id, data["slot_id"], data.get("procedure_id"))
            return {"status": status, "tracking_code": report.tracking_code}

        return booked
    return lambda: {"status": status, "tracking_code": report.tracking_code}


def _apply_message(device: Device, data: dict[str, Any]) -> Outcome:
    _, created = reports.receive_message(device, data)
    result = {"status": "created" if created else "duplicate"}
    return lambda: result


def _apply_receipt(device: Device, data: dict[str, Any]) -> Outcome:
    if data["target"] == "message":
        recorded = reports.mark_reply_read(device, data["target_id"], data["read_at"], data)
    else:
        recorded = announcements.mark_read(device, data["target_id"], data["read_at"])
    result = {"status": "created" if recorded else "duplicate"}
    return lambda: result


def _apply_booking(device: Device, data: dict[str, Any]) -> Outcome:
    # After the batch's rows are written, like a report's first booking: it may name a report of this batch.
    def booked() -> Result:
        try:
            created = appointments.receive_booking(device, data)
        except ItemRejected as exc:
            return _rejected(data["id"], exc.code, exc.message, exc.fields)
        return {"status": "created" if created else "duplicate"}

    return booked


HANDLERS: dict[str, tuple[Schema, Handler]] = {
    "report": (ReportItemSchema(), _apply_report),
    "booking": (BookingItemSchema(), _apply_booking),
    "message": (MessageItemSchema(), _apply_message),
    "receipt": (ReceiptItemSchema(), _apply_receipt),
}


def _rejected(item_id: Any, code: str, message: str, fields: dict[str, Any] | None = None) -> Result:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"id": str(item_id), "status": "rejected", "error": error}


def _load(raw: Any) -> tuple[dict[str, Any], Handler] | Result:
    """The validated item and its handler, or its ``rejected`` result. An item sealed to the server's queue key
    (issue 11) is opened first, then checked exactly as one sent in clear."""
    item_id = raw.get("id") if isinstance(raw, dict) else None
    try:
        raw = queue_key.opened(raw)
    except queue_key.Unreadable as exc:
        return _rejected(item_id, "sealed_unreadable", str(exc))
    kind = raw.get("type") if isinstance(raw, dict) else None
    handler = HANDLERS.get(kind) if isinstance(kind, str) else None  # a list or an object is no type either
    if handler is None:
        return _rejected(item_id, "validation_error", "Unknown item type.", {"type": ["Unknown item type."]})
    schema, apply_one = handler
    try:
        data = schema.load(raw)
    except ValidationError as exc:
        return _rejected(item_id, "validation_error", "The item is not valid.", exc.normalized_messages())
    # What the household signed, kept beside the validated item (ADR 0005; envelopes.item_signed_by), as received:
    # its canonical bytes are built only for a household that has keys to check them against.
    data["_signed"] = (raw, raw.get("signature"))
    return data, apply_one


REFUSALS = (*UNSTORABLE, UnicodeError)  # what a value the database refuses raises (errors.is_refused_value)


def apply(device: Device, raw_items: list[Any]) -> list[Result]:
    """Store a pushed batch; one result per item, in push order. Never raises for a bad item."""
    loaded = [_load(raw) for raw in raw_items]
    try:
        return _apply_batch(device, loaded)
    except (IntegrityError, intake.BatchRaced):
        log.info("sync batch raced a concurrent request: applying its items one by one")
    except REFUSALS as exc:
        if not is_refused_value(exc):
            raise  # the database itself failed (connection lost, ...): the whole request is "retry later"
        log.info("sync batch holds a value the database refuses: applying its items one by one")
    db.session.rollback()
    return [entry if isinstance(entry, dict) else _apply_alone(device, *entry) for entry in loaded]


def _apply_batch(device: Device, loaded: list[tuple[dict[str, Any], Handler] | Result]) -> list[Result]:
    outcomes: list[Outcome] = []
    with intake.batch(device, [entry[0] for entry in loaded if isinstance(entry, tuple)]):
        for entry in loaded:
            outcomes.append(_checked(device, *entry) if isinstance(entry, tuple) else _constant(entry))
    return [outcome() for outcome in outcomes]


def _constant(result: Result) -> Outcome:
    return lambda: result


def _checked(device: Device, data: dict[str, Any], apply_one: Handler) -> Outcome:
    try:
        outcome = apply_one(device, data)
    except ItemRejected as exc:
        return _constant(_rejected(data["id"], exc.code, exc.message, exc.fields))
    return lambda: {"id": str(data["id"]), **outcome()}


def _apply_alone(device: Device, data: dict[str, Any], apply_one: Handler) -> Result:
    """The slow path: one item in its own savepoint (a batch of one), retried once after a lost race."""
    try:
        return _apply_in_savepoint(device, apply_one, data)
    except (IntegrityError, intake.BatchRaced):
        # A retry raced its original request: the other stored the same id between our lookup and our insert.
        # Looking again now finds that row and answers duplicate (or conflict).
        return _apply_in_savepoint(device, apply_one, data)


def _apply_in_savepoint(device: Device, apply_one: Handler, data: dict[str, Any]) -> Result:
    savepoint = db.session.begin_nested()
    try:
        with intake.batch(device, [data]):
            outcome = _checked(device, data, apply_one)
    except (IntegrityError, intake.BatchRaced):
        savepoint.rollback()
        raise
    except REFUSALS as exc:
        if not is_refused_value(exc):
            raise
        # Reject this item alone: failing the request would make the phone retry the same batch forever, its
        # other items stuck behind this one.
        savepoint.rollback()
        # No traceback: the statement's parameters (the tip's text) would go to the log with it.
        cause = type(getattr(exc, "orig", exc)).__name__
        log.warning("sync item refused by the database: %s (%s)", type(exc).__name__, cause)
        return _rejected(data["id"], "validation_error", "A value of this item cannot be stored.")
    savepoint.commit()
    return outcome()
