"""Noting what happened inside a transaction, writing it at commit, and telling every worker after the commit.

Features call ``note_*`` while they work (a sync batch, a tip, an officer's reply); nothing is written then. Just
before the commit, the notes become one ``live_event`` row per commune (one INSERT whatever the batch's size) and
the urgent reports' ``urgent_alert`` rows; after the commit, the events go to every worker's open streams
(``notifier.publish``) and the handlers registered by upper features run (pushes: ``server/alerts``). A rollback
drops the notes. Layers: this module is below every feature; upper ones hand it callbacks, never the reverse.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import delete, event, select
from sqlalchemy.orm import Session

from ..database import hour_floor, insert_new, table_of, utcnow
from ..extensions import db
from . import notifier
from .models import AlertSettings, LiveEvent, UrgentAlert

log = logging.getLogger(__name__)

_KEY = "binhan_live_notes"


@dataclass
class Notes:
    """What one transaction will announce."""

    events: dict[int, dict[str, Any]] = field(default_factory=dict)  # commune id -> payload
    alerts: list[Any] = field(default_factory=list)  # urgent reports
    replied_groups: set[int] = field(default_factory=set)
    written: list[LiveEvent] = field(default_factory=list)
    raised: list[uuid.UUID] = field(default_factory=list)
    categorized: list[tuple[int, uuid.UUID]] = field(default_factory=list)  # tips the commune's choice may make urgent


# Called after a commit that raised alerts / answered groups (registered by server/alerts at app start).
AlertHandler = Callable[[list[uuid.UUID]], None]
TipHandler = Callable[[list[tuple[int, uuid.UUID]]], None]
ReplyHandler = Callable[[set[int]], None]
_alert_handlers: list[AlertHandler] = []
_reply_handlers: list[ReplyHandler] = []
_tip_handlers: list[TipHandler] = []
# Which of these communes have someone an urgent alert is pushed to (registered by server/alerts); unset: all.
AlertAudience = Callable[[set[int]], set[int]]
_alert_audience: AlertAudience | None = None


def alert_audience(audience: AlertAudience) -> None:
    global _alert_audience  # one per process, set at app start like the handlers
    _alert_audience = audience


def on_categorized_tips(handler: TipHandler) -> None:
    if handler not in _tip_handlers:
        _tip_handlers.append(handler)


def on_alerts(handler: AlertHandler) -> None:
    if handler not in _alert_handlers:
        _alert_handlers.append(handler)


def on_replies(handler: ReplyHandler) -> None:
    if handler not in _reply_handlers:
        _reply_handlers.append(handler)


def _notes(create: bool = True) -> Notes | None:
    info = db.session.info
    if _KEY not in info and create:
        info[_KEY] = Notes()
    return info.get(_KEY)


def _add(commune_id: int, key: str, value: Any) -> None:
    payload = _notes().events.setdefault(commune_id, {})  # type: ignore[union-attr]
    if value is True:
        payload[key] = True
    else:
        ids = payload.setdefault(key, [])
        if value not in ids:
            ids.append(value)


def note_report(commune_id: int, report_id: uuid.UUID | None) -> None:
    """A new report reached the commune (``None``: a tip sent alone, whose id the event does not carry)."""
    if report_id is None:
        _add(commune_id, "tips", True)
    else:
        _add(commune_id, "reports", str(report_id))


def note_message(commune_id: int, report_id: uuid.UUID) -> None:
    """A follow-up (or an officer's reply) on a report's thread."""
    _add(commune_id, "messages", str(report_id))


def note_receipt(commune_id: int, report_id: uuid.UUID) -> None:
    """An officer's reply was read on the phone."""
    _add(commune_id, "receipts", str(report_id))


def note_status(commune_id: int, report_id: uuid.UUID) -> None:
    """An officer changed a report (status, assignee): the other consoles refresh it."""
    _add(commune_id, "changed", str(report_id))


def note_alerts(commune_id: int) -> None:
    """The commune's alerts changed (one was acknowledged): consoles re-read them."""
    _add(commune_id, "alerts", True)


def note_escalation(commune_id: int, report_id: uuid.UUID) -> None:
    """Nobody acknowledged this urgent report in time: the head is told, every console shows it."""
    _add(commune_id, "escalated", str(report_id))
    _add(commune_id, "alerts", True)


def note_reply(group_id: int | None) -> None:
    """An officer answered a household of this group: its phone may be told to sync (Web Push, no content)."""
    if group_id is not None:
        _notes().replied_groups.add(group_id)  # type: ignore[union-attr]


def check_urgent(report: Any) -> None:
    """Raise the alert of a report marked urgent, or of a tip in a category the commune made urgent.

    The commune's choice is read from a per-process cache (``CATEGORY_CACHE_SECONDS``): a sync batch reads no
    settings (issue 12's statement budget). When the cache does not know the commune, the tip is checked after
    the commit instead (``on_categorized_tips``), which also fills the cache.
    """
    if report.urgency == "urgent":
        raise_alert(report)
    elif report.kind == "tip" and report.category:
        chosen = cached_categories(report.commune_id)
        if chosen is None:
            _notes().categorized.append((report.commune_id, report.id))  # type: ignore[union-attr]
        elif str(getattr(report.category, "value", report.category)) in chosen:
            raise_alert(report)


CATEGORY_CACHE_SECONDS = 60.0
_categories: dict[tuple[str, int], tuple[float, frozenset[str]]] = {}


def _cache_key(commune_id: int) -> tuple[str, int]:
    return (str(current_app.config["SQLALCHEMY_DATABASE_URI"]), commune_id)


def cached_categories(commune_id: int) -> frozenset[str] | None:
    entry = _categories.get(_cache_key(commune_id))
    if entry is None or time.monotonic() - entry[0] > CATEGORY_CACHE_SECONDS:
        return None
    return entry[1]


def remember_categories(commune_id: int, categories: str) -> frozenset[str]:
    chosen = frozenset(c for c in categories.split(",") if c)
    _categories[_cache_key(commune_id)] = (time.monotonic(), chosen)
    return chosen


def urgent_categories(commune_id: int) -> frozenset[str]:
    """The commune's urgent tip categories, read now (and remembered for the next batches)."""
    row = db.session.get(AlertSettings, commune_id)
    return remember_categories(commune_id, row.urgent_categories if row else "")


def raise_alert(report: Any) -> None:
    """An urgent report (a ``reports.models.Report``) arrived: someone must be told (written at commit, pushed
    after it). Its tracking code is read at the commit: a batch may draw it again before."""
    _notes().alerts.append(report)  # type: ignore[union-attr]
    _add(report.commune_id, "alerts", True)


def local_month(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).strftime("%Y-%m")


def _before_commit(session: Session) -> None:
    notes = session.info.get(_KEY)
    if notes is None or (not notes.events and not notes.alerts):
        return
    urgent, notes.alerts = notes.alerts, []
    now = utcnow()
    if urgent:
        notes.raised.extend(_write_alerts(session, urgent, now))
    for commune_id, payload in notes.events.items():
        # A tip sent alone keeps no time finer than the hour anywhere (ADR 0004): nor does its event's row.
        at = hour_floor(now) if payload.get("tips") else now
        live_event = LiveEvent(commune_id=commune_id, payload=payload, created_at=at)
        session.add(live_event)
        notes.written.append(live_event)
    notes.events = {}


def _write_alerts(session: Session, urgent: list[Any], now: datetime) -> list[uuid.UUID]:
    """The urgent reports' alerts in one INSERT; returns the ids whose alert someone must still be pushed.

    Idempotent: a report raises its alert once (a batch redone item by item notes it twice, and the INSERT skips
    an alert already stored). The alert of a commune with nobody to push it to (no officer on duty with a browser
    subscribed, ``alert_audience``) is stored as pushed, to nobody: that is what ``deliver`` would write after the
    commit, in a thread and a transaction of its own (4 ms of a 50-report push where 1 report in 10 is urgent,
    issue 12). Its tracking code is read now: a batch may draw it again before.
    """
    reports = {report.id: report for report in urgent}
    communes = {report.commune_id for report in reports.values()}
    pushed_to = _alert_audience(communes) if _alert_audience is not None else communes
    month = local_month(now)
    rows = [
        {
            "report_id": report.id,
            "commune_id": report.commune_id,
            "tracking_code": report.tracking_code,
            "raised_at": now,
            "pushed_at": None if report.commune_id in pushed_to else now,
            "month": month,
        }
        for report in reports.values()
    ]
    stored = session.scalars(insert_new(table_of(UrgentAlert), session.get_bind().dialect.name), rows)
    return [report_id for report_id in stored if reports[report_id].commune_id in pushed_to]


def _after_commit(session: Session) -> None:
    notes = session.info.pop(_KEY, None)
    if notes is None:
        return
    for live_event in notes.written:
        notifier.publish({"id": live_event.id, "commune_id": live_event.commune_id, "payload": live_event.payload})
    raised = notes.raised
    for handler in _alert_handlers if raised else []:
        _safely(handler, raised)
    for tip_handler in _tip_handlers if notes.categorized else []:
        _safely(tip_handler, list(notes.categorized))
    for reply_handler in _reply_handlers if notes.replied_groups else []:
        _safely(reply_handler, set(notes.replied_groups))


def _safely(handler: Callable[[Any], None], argument: Any) -> None:
    try:
        handler(argument)
    except Exception:  # a push that fails must not fail the request that already committed
        log.exception("live handler failed")


def _after_soft_rollback(session: Session, previous: Any) -> None:
    if not previous.nested:  # a savepoint's rollback (one sync item) keeps the batch's other notes
        session.info.pop(_KEY, None)


event.listen(Session, "before_commit", _before_commit)
event.listen(Session, "after_commit", _after_commit)
event.listen(Session, "after_soft_rollback", _after_soft_rollback)


# --- reading ---------------------------------------------------------------------------------------------


def latest_id() -> int:
    return db.session.scalar(select(LiveEvent.id).order_by(LiveEvent.id.desc()).limit(1)) or 0


def since(commune_id: int, after: int, limit: int = 200) -> tuple[list[dict[str, Any]], bool]:
    """The commune's events after ``after`` (oldest first), and whether some were purged meanwhile (the console
    then re-reads everything)."""
    rows = db.session.scalars(
        select(LiveEvent)
        .where(LiveEvent.commune_id == commune_id, LiveEvent.id > after)
        .order_by(LiveEvent.id)
        .limit(limit)
    ).all()
    oldest = db.session.scalar(select(LiveEvent.id).order_by(LiveEvent.id).limit(1))
    purged_between = after > 0 and oldest is not None and oldest > after + 1
    return [{"id": r.id, "commune_id": r.commune_id, "payload": r.payload} for r in rows], (
        purged_between or len(rows) == limit
    )


def purge(keep: timedelta) -> int:
    """Drop events older than ``keep`` (a reconnecting console replays at most that far back)."""
    result = db.session.execute(delete(LiveEvent).where(LiveEvent.created_at < utcnow() - keep))
    db.session.commit()
    return int(getattr(result, "rowcount", 0) or 0)
