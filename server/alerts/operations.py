"""Urgent alerts: who is pushed, when the head is told, what counts as acknowledged; push subscriptions.

An alert is raised inside the transaction that stores the urgent report (``live.raise_alert``). After the commit
``deliver`` pushes it to the officers on duty of the commune. ``tick`` (``flask --app wsgi alerts tick``, run
every minute by a systemd timer or cron, and also for a commune whenever one of its consoles reads its alerts)
closes the alerts whose report was answered in any way, escalates to the head those still unacknowledged after the
commune's N minutes, sends what a crashed worker never sent, and purges old live events. Time is
``database.utcnow``: tests move it (``database.clock``).
"""

from __future__ import annotations

import logging
import statistics
import threading
import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import delete, select, update

from ..database import hour_floor, utcnow
from ..errors import NotFound
from ..extensions import db
from ..groups.models import Device
from ..live import operations as live
from ..live.models import DEFAULT_ESCALATE_MINUTES, AlertSettings, UrgentAlert
from ..officers.models import Officer, Role
from ..reports import operations as reports
from ..reports.models import Report, ReportStatus, TipCategory
from . import webpush
from .models import GroupPushSubscription, OfficerPushSubscription

log = logging.getLogger(__name__)

URGENT_TITLE = "Có tin khẩn mới"
ESCALATED_TITLE = "Tin khẩn chưa ai tiếp nhận"
REPLIED_TITLE = "Công an xã đã trả lời"
REMINDER_TITLE = "Nhắc lịch hẹn ngày mai"


# --- after the commit: pushes -------------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    """Register the handlers ``live`` calls after a commit that raised alerts or answered households (once per
    process: they act on the app of the commit)."""
    live.alert_audience(on_duty_communes)
    live.on_alerts(_after_alerts)
    live.on_replies(_after_replies)
    live.on_categorized_tips(_after_tips)


def on_duty_communes(communes: set[int]) -> set[int]:
    """The communes among ``communes`` where an urgent alert reaches someone: an active officer on duty with a
    subscribed browser. Read in the transaction that raises the alerts (one statement per batch)."""
    query = (
        select(Officer.commune_id)
        .distinct()
        .join(OfficerPushSubscription, OfficerPushSubscription.officer_id == Officer.id)
        .where(Officer.commune_id.in_(communes), Officer.active.is_(True), OfficerPushSubscription.on_duty.is_(True))
    )
    return {commune_id for commune_id in db.session.scalars(query) if commune_id is not None}


def _after_tips(tips: list[tuple[int, uuid.UUID]]) -> None:
    _in_background(current_app._get_current_object(), raise_for_categories, tips)  # type: ignore[attr-defined]


def raise_for_categories(tips: list[tuple[int, uuid.UUID]]) -> int:
    """Tips just stored whose category the commune made urgent: raise their alerts (own transaction), push."""
    chosen = {commune: live.urgent_categories(commune) for commune in {commune for commune, _ in tips}}
    wanted = [report_id for commune, report_id in tips if chosen[commune]]
    if not wanted:
        return 0
    reports_ = db.session.scalars(select(Report).where(Report.id.in_(wanted))).all()
    urgent = [r for r in reports_ if r.category is not None and r.category.value in chosen[r.commune_id]]
    for report in urgent:
        live.raise_alert(report)
    db.session.commit()  # live's commit hook writes the alerts and calls deliver
    return len(urgent)


def _after_alerts(report_ids: list[uuid.UUID]) -> None:
    _in_background(current_app._get_current_object(), deliver, report_ids)  # type: ignore[attr-defined]


def _after_replies(group_ids: set[int]) -> None:
    _in_background(current_app._get_current_object(), push_replies, group_ids)  # type: ignore[attr-defined]


def _in_background(app: Flask, work: Any, argument: Any) -> None:
    """Pushes take a round trip to a push service each: not inside the phone's sync answer (PUSH_INLINE waits for
    them, for tests). Their own thread, app context and session: the committing one can send no more SQL."""

    def run() -> None:
        with app.app_context():
            try:
                work(argument)
            except Exception as exc:  # the database went away meanwhile: the timer resends alerts; replies wait
                log.warning("push after commit failed: %s", type(exc).__name__)  # no traceback: no values logged
            finally:
                db.session.remove()

    thread = threading.Thread(target=run, name="binhan-push", daemon=True)
    thread.start()
    if app.config["PUSH_INLINE"]:
        thread.join()


def _claim(report_id: uuid.UUID, column: Any) -> bool:
    """Mark the alert as pushed/escalated now, if nobody did: a worker and the timer never both send it."""
    result = db.session.execute(
        update(UrgentAlert)
        .where(UrgentAlert.report_id == report_id, column.is_(None), UrgentAlert.acknowledged_at.is_(None))
        .values({column.key: utcnow()})
    )
    db.session.commit()
    return getattr(result, "rowcount", 0) == 1


def _officer_targets(commune_id: int, *, heads: bool) -> list[OfficerPushSubscription]:
    return _targets_by_commune({commune_id}, heads=heads).get(commune_id, [])


def _targets_by_commune(commune_ids: set[int], *, heads: bool) -> dict[int, list[OfficerPushSubscription]]:
    query = (
        select(Officer.commune_id, OfficerPushSubscription)
        .join(Officer, Officer.id == OfficerPushSubscription.officer_id)
        .where(Officer.commune_id.in_(commune_ids), Officer.active.is_(True))
    )
    # Escalations go to the heads' every browser; alerts to the browsers on duty.
    condition = Officer.role == Role.HEAD if heads else OfficerPushSubscription.on_duty.is_(True)
    targets: dict[int, list[OfficerPushSubscription]] = {}
    for commune_id, subscription in db.session.execute(query.where(condition)):
        if commune_id is not None:  # always, by the IN above
            targets.setdefault(commune_id, []).append(subscription)
    return targets


def _send_all(subscriptions: Iterable[Any], payload: dict[str, Any], *, urgency: str = "high") -> int:
    return _send_each([(subscription, payload) for subscription in subscriptions], urgency=urgency)


def _send_each(messages: Iterable[tuple[Any, dict[str, Any]]], *, urgency: str = "high") -> int:
    """Push each (subscription, payload); a subscription its service calls gone is forgotten, and skipped after."""
    sent = 0
    gone: list[Any] = []
    for subscription, payload in messages:
        if subscription in gone:
            continue
        target = webpush.Target(subscription.endpoint, subscription.p256dh, subscription.auth)
        status = webpush.send(target, payload, urgency=urgency)
        if status in (404, 410):  # the browser unsubscribed: forget it
            gone.append(subscription)
        elif 200 <= status < 300:
            sent += 1
    for subscription in gone:
        db.session.delete(subscription)
    db.session.commit()
    return sent


def deliver(report_ids: list[uuid.UUID]) -> int:
    """Push each new alert to the on-duty officers of its commune: the title and the tracking code only.

    The alerts of a sync batch are claimed in one statement and their officers read in one: a batch of urgent
    reports costs the database three statements, not three per report (issue 12)."""
    claimed = db.session.execute(
        update(UrgentAlert)
        .where(
            UrgentAlert.report_id.in_(report_ids),
            UrgentAlert.pushed_at.is_(None),
            UrgentAlert.acknowledged_at.is_(None),
        )
        .values(pushed_at=utcnow())
        .returning(UrgentAlert.report_id, UrgentAlert.commune_id, UrgentAlert.tracking_code)
    ).all()
    db.session.commit()
    if not claimed:
        return 0
    targets = _targets_by_commune({commune_id for _, commune_id, _ in claimed}, heads=False)
    return _send_each(
        (subscription, {"title": URGENT_TITLE, "code": code, "report_id": str(report_id)})
        for report_id, commune_id, code in claimed
        for subscription in targets.get(commune_id, [])
    )


def push_replies(group_ids: set[int]) -> int:
    """Tell each group's phone that an answer waits; what it says stays sealed in the feed."""
    return _push_groups(group_ids, {"title": REPLIED_TITLE})


def push_reminders(group_ids: set[int]) -> int:
    """Tell each group's phone that an appointment is tomorrow; which household's, when and where stays sealed in
    the feed (the reminder with its papers), as for replies."""
    return _push_groups(group_ids, {"title": REMINDER_TITLE, "kind": "reminder"})


def _push_groups(group_ids: set[int], payload: dict[str, Any]) -> int:
    subscriptions = db.session.scalars(
        select(GroupPushSubscription)
        .join(Device, Device.id == GroupPushSubscription.device_id)
        .where(GroupPushSubscription.group_id.in_(group_ids), Device.revoked_at.is_(None))
    )
    return _send_all(subscriptions, payload, urgency="normal")


# --- acknowledgement and escalation --------------------------------------------------------------------------


def _close(alert: UrgentAlert, at: Any, officer_id: int | None, sent_alone: bool) -> None:
    raised = alert.raised_at or at
    alert.ack_seconds = max(0, int((at - raised).total_seconds()))
    alert.acknowledged_by = officer_id
    if sent_alone:  # ADR 0004: no precise time stays about a tip sent alone, only how long it waited
        alert.acknowledged_at = hour_floor(at)
        alert.raised_at = None
    else:
        alert.acknowledged_at = at


def acknowledge(officer: Officer, report_id: uuid.UUID) -> UrgentAlert:
    """ "Đã nhận": the officer takes the alert; a new report becomes acknowledged (and its household is told)."""
    alert = db.session.get(UrgentAlert, report_id)
    if alert is None or alert.commune_id != officer.commune_id:
        raise NotFound("No such alert.", code="not_found")
    report = db.session.get(Report, report_id)
    if report is None:
        raise NotFound("No such alert.", code="not_found")
    if alert.acknowledged_at is None:
        _close(alert, utcnow(), officer.id, reports.sent_alone(report))
        live.note_alerts(alert.commune_id)
        db.session.flush()
    if report.status is ReportStatus.NEW:
        reports.change_status(report, officer, ReportStatus.ACKNOWLEDGED)  # commits both
    else:
        db.session.commit()
    return alert


def tick(commune_id: int | None = None) -> dict[str, int]:
    """Close answered alerts, escalate overdue ones, resend unsent ones, purge old events."""
    now = utcnow()
    query = select(UrgentAlert, Report).join(Report, Report.id == UrgentAlert.report_id)
    query = query.where(UrgentAlert.acknowledged_at.is_(None))
    if commune_id is not None:
        query = query.where(UrgentAlert.commune_id == commune_id)
    pending = db.session.execute(query).all()
    closed, due, unsent = 0, [], []
    minutes = _escalation_minutes({alert.commune_id for alert, _ in pending})
    for alert, report in pending:
        if report.first_response_at is not None or report.status is not ReportStatus.NEW:
            _close(alert, report.first_response_at or now, report.assigned_officer_id, reports.sent_alone(report))
            closed += 1
            continue
        if alert.pushed_at is None and alert.raised_at and now - alert.raised_at > timedelta(seconds=30):
            unsent.append(alert.report_id)
        limit = timedelta(minutes=minutes.get(alert.commune_id, DEFAULT_ESCALATE_MINUTES))
        if alert.escalated_at is None and alert.raised_at is not None and now - alert.raised_at >= limit:
            due.append(alert)
    db.session.commit()
    escalated = sum(escalate(alert.report_id) for alert in due)
    resent = deliver(unsent) if unsent else 0
    purged = 0
    if commune_id is None:
        purged = live.purge(timedelta(minutes=current_app.config["LIVE_KEEP_MINUTES"]))
    return {"closed": closed, "escalated": escalated, "resent": resent, "purged": purged}


def _escalation_minutes(communes: set[int]) -> dict[int, int]:
    if not communes:
        return {}
    rows = db.session.scalars(select(AlertSettings).where(AlertSettings.commune_id.in_(communes)))
    return {row.commune_id: row.escalate_after_minutes for row in rows}


def escalate(report_id: uuid.UUID) -> int:
    """Tell the commune's head (push to every browser of theirs, and every open console)."""
    if not _claim(report_id, UrgentAlert.escalated_at):
        return 0
    alert = db.session.get(UrgentAlert, report_id)
    if alert is None:
        return 0
    live.note_escalation(alert.commune_id, report_id)
    db.session.commit()
    payload = {"title": ESCALATED_TITLE, "code": alert.tracking_code, "report_id": str(report_id), "escalated": True}
    _send_all(_officer_targets(alert.commune_id, heads=True), payload)
    return 1


# --- reading -----------------------------------------------------------------------------------------------


def commune_alerts(officer: Officer) -> dict[str, Any]:
    """The commune's pending alerts (oldest first) and those acknowledged over the last day."""
    now = utcnow()
    if officer.commune_id is None:  # an admin's console: no commune, no alerts (and no sweep of every commune)
        return {"now": now, "pending": [], "recent": []}
    tick(officer.commune_id)  # a console reading its alerts is also a clock: escalation needs no timer then
    base = select(UrgentAlert).where(UrgentAlert.commune_id == officer.commune_id)
    pending = db.session.scalars(base.where(UrgentAlert.acknowledged_at.is_(None)).order_by(UrgentAlert.raised_at))
    recent = db.session.scalars(
        base.where(UrgentAlert.acknowledged_at >= now - timedelta(days=1)).order_by(UrgentAlert.acknowledged_at.desc())
    )
    return {"now": now, "pending": list(pending), "recent": list(recent)}


def ack_stats(commune_id: int, months: int = 12) -> list[dict[str, Any]]:
    """Per month (commune time): alerts raised, acknowledged, escalated, median and mean seconds to acknowledge."""
    rows = db.session.scalars(select(UrgentAlert).where(UrgentAlert.commune_id == commune_id)).all()
    by_month: dict[str, list[UrgentAlert]] = {}
    for row in rows:
        by_month.setdefault(row.month, []).append(row)
    result = []
    for month in sorted(by_month, reverse=True)[:months]:
        alerts = by_month[month]
        seconds = [a.ack_seconds for a in alerts if a.ack_seconds is not None]
        result.append(
            {
                "month": month,
                "alerts": len(alerts),
                "acknowledged": len(seconds),
                "escalated": sum(a.escalated_at is not None for a in alerts),
                "median_seconds": int(statistics.median(seconds)) if seconds else None,
                "mean_seconds": int(statistics.fmean(seconds)) if seconds else None,
            }
        )
    return result


# --- settings and subscriptions ----------------------------------------------------------------------------


def alert_settings(commune_id: int) -> AlertSettings:
    return db.session.get(AlertSettings, commune_id) or AlertSettings(
        commune_id=commune_id, urgent_categories="", escalate_after_minutes=DEFAULT_ESCALATE_MINUTES
    )


def update_settings(officer: Officer, categories: list[TipCategory], minutes: int) -> AlertSettings:
    if officer.commune_id is None:
        raise NotFound("This account has no commune.", code="not_found")
    row = db.session.get(AlertSettings, officer.commune_id)
    if row is None:
        row = AlertSettings(commune_id=officer.commune_id)
        db.session.add(row)
    row.urgent_categories = ",".join(sorted({c.value for c in categories}))
    row.escalate_after_minutes = minutes
    db.session.commit()
    live.remember_categories(officer.commune_id, row.urgent_categories)  # this worker at once; others within a minute
    return row


def subscribe_officer(officer: Officer, endpoint: str, p256dh: str, auth: str, on_duty: bool) -> None:
    row = db.session.scalar(select(OfficerPushSubscription).where(OfficerPushSubscription.endpoint == endpoint))
    if row is None:
        row = OfficerPushSubscription(endpoint=endpoint)
        db.session.add(row)
    row.officer_id, row.p256dh, row.auth, row.on_duty = officer.id, p256dh, auth, on_duty
    db.session.commit()


def unsubscribe_officer(officer: Officer, endpoint: str) -> None:
    db.session.execute(
        delete(OfficerPushSubscription).where(
            OfficerPushSubscription.officer_id == officer.id, OfficerPushSubscription.endpoint == endpoint
        )
    )
    db.session.commit()


def push_state(officer: Officer) -> dict[str, Any]:
    rows = db.session.scalars(select(OfficerPushSubscription).where(OfficerPushSubscription.officer_id == officer.id))
    states = [row.on_duty for row in rows]
    return {"subscriptions": len(states), "on_duty": any(states)}


def events_since(officer: Officer, after: int | None) -> dict[str, Any]:
    """What the stream would have sent after ``after``; ``reset`` when some of it is gone."""
    latest = live.latest_id()
    if after is None:
        return {"events": [], "last_id": latest, "reset": False}
    if after > latest:  # the database went back (a restore): start again from now
        return {"events": [], "last_id": latest, "reset": True}
    events, gap = live.since(officer.commune_id or 0, after)
    return {"events": events, "last_id": events[-1]["id"] if events else after, "reset": gap}


def subscribe_group(device: Device, endpoint: str, p256dh: str, auth: str) -> None:
    """The phone's subscription, for its group (one phone, one subscription: a new one replaces the old)."""
    db.session.execute(
        delete(GroupPushSubscription).where(
            (GroupPushSubscription.device_id == device.id) | (GroupPushSubscription.endpoint == endpoint)
        )
    )
    db.session.add(
        GroupPushSubscription(
            group_id=device.group_id, device_id=device.id, endpoint=endpoint, p256dh=p256dh, auth=auth
        )
    )
    db.session.commit()


def unsubscribe_group(device: Device) -> None:
    db.session.execute(delete(GroupPushSubscription).where(GroupPushSubscription.device_id == device.id))
    db.session.commit()
