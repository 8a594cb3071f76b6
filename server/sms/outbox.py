"""Replies by SMS (issue 17): a report that came by SMS hears of its officers' replies and status changes by a
short SMS with its tracking code, through the gateway's send API, queued and retried; the gateway's
``sms:sent`` / ``sms:delivered`` / ``sms:failed`` webhooks say what became of each.

The SMS says *that* something happened, never what the officer wrote: the carrier reads every SMS. The household
reads the reply in the app, through the feed, sealed to its key (ADR 0005), once it has data.

Nothing here runs inside a request: ``flask --app wsgi sms-outbox`` (every minute from a timer, docs/deploy-sms.md)
collects what is new (``collect``) and sends what is due (``send_due``). Reports, replies and statuses are read from
their tables (they sit below this feature), so no lower feature needs to know of SMS.
"""

from __future__ import annotations

import base64
import json
import logging
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from ..database import utcnow
from ..extensions import db
from ..reports.models import LABELS, Message, MessageAuthor, Report
from .models import SmsGateway, SmsOutbound, SmsThread

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10  # 1, 2, 4 … 60 minutes apart: about six hours, then "failed"
TTL_SECONDS = 24 * 3600  # the gateway drops an SMS it could not send within a day


def remember(commune_id: int, report_id: uuid.UUID, number: str) -> None:
    """The report came (or came again) by SMS from ``number``: answer it there too. In the caller's transaction."""
    thread = db.session.get(SmsThread, report_id)
    if thread is None and number:
        report = db.session.get(Report, report_id)
        db.session.add(
            SmsThread(
                report_id=report_id,
                commune_id=commune_id,
                number=number[:32],
                told_status=report.status.value if report else "new",
                told_until=utcnow(),
            )
        )
    elif thread is not None and number:
        thread.number = number[:32]  # the latest number the household wrote from


def _status_text(report: Report) -> str:
    name = LABELS[report.status][0]
    return f'Bình An: tin {report.tracking_code} đã chuyển sang "{name}". Xem chi tiết trong ứng dụng khi có mạng.'


def _reply_text(report: Report) -> str:
    return f"Bình An: công an xã đã trả lời tin {report.tracking_code}. Mở ứng dụng khi có mạng để đọc."


def collect() -> int:
    """Queue one SMS per new status and one per batch of new officer replies; returns how many were queued."""
    queued = 0
    for thread in db.session.scalars(select(SmsThread)):
        report = db.session.get(Report, thread.report_id)
        if report is None:
            continue
        if report.status.value != thread.told_status:
            queued += _queue(thread, report, _status_text(report))
            thread.told_status = report.status.value
        newest = db.session.scalar(
            select(Message.created_at)
            .where(
                Message.report_id == report.id,
                Message.author == MessageAuthor.OFFICER,
                Message.internal.is_(False),
                Message.created_at > thread.told_until,
            )
            .order_by(Message.created_at.desc())
            .limit(1)
        )
        if newest is not None:
            queued += _queue(thread, report, _reply_text(report))
            thread.told_until = newest
    db.session.commit()
    return queued


def _queue(thread: SmsThread, report: Report, text: str) -> int:
    db.session.add(
        SmsOutbound(commune_id=thread.commune_id, report_id=report.id, number=thread.number, text=text[:160])
    )
    return 1


Post = Callable[[str, dict[str, str], bytes], int]  # url, headers, body → HTTP status (0: no answer)


def http_post(url: str, headers: dict[str, str], body: bytes) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310  # the head's URL
    try:
        with urllib.request.urlopen(request, timeout=15) as answer:  # noqa: S310
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, TimeoutError, OSError):
        return 0


def send_due(post: Post = http_post, now: datetime | None = None) -> dict[str, int]:
    """Hand every due SMS to its commune's gateway; one commit per SMS (a crash re-sends at most one, and the
    gateway dedupes it by its id)."""
    now = now or utcnow()
    counts = {"accepted": 0, "retry": 0, "failed": 0}
    due = db.session.scalars(
        select(SmsOutbound.id)
        .where(SmsOutbound.state == "queued", SmsOutbound.next_attempt_at <= now)
        .order_by(SmsOutbound.created_at)
    ).all()
    for outbound_id in due:
        row = db.session.get(SmsOutbound, outbound_id)
        if row is None:
            continue
        gateway = db.session.scalar(select(SmsGateway).where(SmsGateway.commune_id == row.commune_id))
        if gateway is None or not gateway.api_url:
            continue  # no send API configured: it waits (the feed still brings the reply)
        status = post(gateway.api_url, _headers(gateway), _body(row))
        row.attempts += 1
        row.updated_at = now
        if 200 <= status < 300:
            row.state = "accepted"
            counts["accepted"] += 1
        elif 400 <= status < 500 and status not in (401, 403, 408, 429):
            row.state, row.last_error = "failed", f"gateway answered {status}"
            counts["failed"] += 1
        elif row.attempts >= MAX_ATTEMPTS:
            row.state, row.last_error = "failed", f"no answer after {row.attempts} tries (last: {status})"
            counts["failed"] += 1
        else:
            row.last_error = f"gateway answered {status}" if status else "gateway unreachable"
            row.next_attempt_at = now + timedelta(minutes=min(60, 2 ** (row.attempts - 1)))
            counts["retry"] += 1
        db.session.commit()
    log.info("sms outbox: %s", counts)
    return counts


def _headers(gateway: SmsGateway) -> dict[str, str]:
    credentials = f"{gateway.api_username or ''}:{gateway.api_password or ''}".encode()
    return {
        "Content-Type": "application/json",
        "Authorization": "Basic " + base64.b64encode(credentials).decode(),
    }


def _body(row: SmsOutbound) -> bytes:
    message = {
        "id": str(row.id),
        "textMessage": {"text": row.text},
        "phoneNumbers": [row.number],
        "withDeliveryReport": True,
        "ttl": TTL_SECONDS,
    }
    return json.dumps(message, ensure_ascii=False).encode()


STATES = {"sms:sent": "sent", "sms:delivered": "delivered", "sms:failed": "failed"}


def status_event(commune_id: int, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """An ``sms:sent`` / ``sms:delivered`` / ``sms:failed`` webhook about one of our SMS (in the caller's
    transaction). A later state never goes back: a retried ``sms:sent`` after ``delivered`` changes nothing."""
    try:
        outbound_id = uuid.UUID(str(payload.get("messageId")))
    except ValueError:
        return {"status": "ignored"}
    row = db.session.get(SmsOutbound, outbound_id)
    if row is None or row.commune_id != commune_id:
        return {"status": "ignored"}
    new = STATES[kind]
    order = ("queued", "accepted", "sent", "delivered")
    if row.state == "failed" or (new != "failed" and order.index(new) <= order.index(row.state)):
        return {"status": "duplicate"}
    row.state = new
    row.updated_at = utcnow()
    if new == "failed":
        row.last_error = str(payload.get("reason") or "failed")[:200]
    return {"status": new}
