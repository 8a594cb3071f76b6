"""Rules for reports and their threads: receiving them from phones, and officers acting on them.

Receiving is idempotent by the phone's UUID: a second arrival with the same content is a ``duplicate`` (the
phone retried after a lost answer), with different content a ``conflict`` (never overwritten).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import exists, select

from .. import tokens
from ..attachments import operations as attachments
from ..audit import operations as audit
from ..database import utcnow
from ..errors import ApiError, Conflict, ItemRejected
from ..extensions import db
from ..feed import operations as feed
from ..groups.models import Device, Household
from ..officers.models import Officer
from .models import NEEDS_REASON, TRANSITIONS, Message, MessageAuthor, Report, ReportKind, ReportStatus


def content_hash(data: dict[str, Any], *, exclude: tuple[str, ...] = ()) -> str:
    """SHA-256 of the item's canonical JSON: what "the same content" means for idempotency."""
    canonical = {key: value for key, value in data.items() if key not in exclude and key != "type"}
    encoded = json.dumps(canonical, sort_keys=True, default=_json_default, ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return getattr(value, "value", str(value))


def _new_tracking_code() -> str:
    for _ in range(8):
        code = tokens.new_tracking_code()
        if not db.session.scalar(select(exists().where(Report.tracking_code == code))):
            return code
    raise RuntimeError("could not find a free tracking code")  # 40 bits: practically unreachable


def find_existing_report(device: Device, data: dict[str, Any]) -> Report | None:
    """The report already stored under this id, if the same group sent the same content; else raise."""
    report = db.session.get(Report, data["id"])
    if report is None:
        return None
    if report.group_id != device.group_id or report.content_hash != _report_hash(data):
        raise ItemRejected("This id was already used for a different report.", code="conflict")
    return report


def _report_hash(data: dict[str, Any]) -> str:
    # An anonymous report's hash leaves the household out: it must not be recoverable from the hash.
    return content_hash(data, exclude=("household_id",) if data["anonymous"] else ())


def receive_report(device: Device, data: dict[str, Any]) -> tuple[Report, bool]:
    """Store a validated report item; returns (report, created). Runs inside the caller's savepoint."""
    existing = find_existing_report(device, data)
    if existing is not None:
        return existing, False
    household = db.session.get(Household, data["household_id"])
    if household is None or household.group_id != device.group_id or not household.active:
        raise ItemRejected("This household is not in the phone's group.", code="unknown_household")
    attachments.check_ids_free(data["attachments"])
    group = device.group
    report = Report(
        id=data["id"],
        tracking_code=_new_tracking_code(),
        commune_id=group.commune_id,
        village_id=group.village_id,
        group_id=group.id,
        household_id=None if data["anonymous"] else household.id,
        device_id=device.id,
        kind=data["kind"],
        category=data["category"],
        body=data["body"],
        location=data["location"],
        urgency=data["urgency"],
        anonymous=data["anonymous"],
        appointment_requested_at=data["appointment_at"] if data["kind"] is ReportKind.APPOINTMENT else None,
        content_hash=_report_hash(data),
        created_at=data["created_at"],
    )
    db.session.add(report)
    db.session.flush()  # the report row first: attachments reference it
    attachments.declare_photos(data["attachments"], commune_id=group.commune_id, report_id=report.id, group_id=group.id)
    return report, True


def receive_message(device: Device, data: dict[str, Any]) -> tuple[Message, bool]:
    """Store a household's follow-up on one of its group's reports."""
    report = db.session.get(Report, data["report_id"])
    if report is None or report.group_id != device.group_id:
        raise ItemRejected("The report this message follows is not known.", code="unknown_report")
    digest = content_hash(data)
    existing = db.session.get(Message, data["id"])
    if existing is not None:
        if existing.report_id != report.id or existing.content_hash != digest:
            raise ItemRejected("This id was already used for a different message.", code="conflict")
        return existing, False
    message = Message(
        id=data["id"],
        report_id=report.id,
        author=MessageAuthor.HOUSEHOLD,
        body=data["body"],
        content_hash=digest,
        created_at=data["created_at"],
    )
    db.session.add(message)
    report.updated_at = utcnow()
    db.session.flush()
    return message, True


def mark_reply_read(device: Device, message_id: uuid.UUID, read_at: datetime) -> bool:
    """Record that the phone showed an officer reply; returns False if it was already recorded."""
    message = db.session.get(Message, message_id)
    if (
        message is None
        or message.report.group_id != device.group_id
        or message.author is not MessageAuthor.OFFICER
        or message.internal
    ):
        raise ItemRejected("No reply with this id was sent to this phone.", code="unknown_message")
    if message.read_at is not None:
        return False
    message.read_at = read_at
    return True


# --- officer actions -------------------------------------------------------------------------------------


def _audit(action: str, report: Report, officer: Officer, **details: Any) -> None:
    audit.record(
        action,
        commune_id=report.commune_id,
        officer_id=officer.id,
        target_type="report",
        target_id=report.id,
        **details,
    )


def record_view(report: Report, officer: Officer) -> Report:
    """An officer opened the report: every view is audited."""
    _audit("report.viewed", report, officer)
    db.session.commit()
    return report


def _status_change(report: Report) -> dict[str, Any]:
    return {
        "report_id": str(report.id),
        "status": report.status.value,
        "reason": report.status_reason,
        # In UTC like every other time the feed carries (the officer may have sent +07:00).
        "appointment_at": report.appointment_at.astimezone(UTC).isoformat() if report.appointment_at else None,
        "changed_at": utcnow().isoformat(),
    }


def _publish_status(report: Report) -> None:
    feed.append("report_status", _status_change(report), commune_id=report.commune_id, group_id=report.group_id)


def post_message(report: Report, officer: Officer, body: str, *, internal: bool = False) -> Message:
    """An officer's reply (synced to the phone) or internal note (never leaves the console)."""
    now = utcnow()
    message = Message(
        report_id=report.id,
        author=MessageAuthor.OFFICER,
        officer_id=officer.id,
        internal=internal,
        body=body,
        created_at=now,
        received_at=now,
    )
    db.session.add(message)
    db.session.flush()
    action = "report.note_added" if internal else "report.replied"
    _audit(action, report, officer)
    if not internal:
        report.first_response_at = report.first_response_at or now
        report.updated_at = now
        feed.append(
            "message",
            {
                "id": str(message.id),
                "report_id": str(report.id),
                "body": body,
                "created_at": now.isoformat(),
                "author": "officer",
            },
            commune_id=report.commune_id,
            group_id=report.group_id,
        )
    db.session.commit()
    return message


def change_status(report: Report, officer: Officer, status: ReportStatus, reason: str = "") -> Report:
    """Move a report through the workflow; the phone learns of it on its next sync."""
    if status not in TRANSITIONS[report.status]:
        raise Conflict(
            f"A report that is {report.status.value} cannot become {status.value}.", code="invalid_transition"
        )
    if status in NEEDS_REASON and not reason:
        raise ApiError(
            "A reason is required for this status.",
            status=422,
            code="validation_error",
            fields={"reason": ["Required for rejected and referred."]},
        )
    previous = report.status
    report.status = status
    report.status_reason = reason
    report.updated_at = utcnow()
    report.first_response_at = report.first_response_at or report.updated_at
    _audit("report.status_changed", report, officer, previous=previous.value, status=status.value, reason=reason)
    _publish_status(report)
    db.session.commit()
    return report


def confirm_appointment(report: Report, officer: Officer, at: datetime) -> Report:
    if report.kind is not ReportKind.APPOINTMENT:
        raise Conflict("Only appointment requests take an appointment time.", code="not_an_appointment")
    report.appointment_at = at
    report.updated_at = utcnow()
    report.first_response_at = report.first_response_at or report.updated_at
    if report.status is ReportStatus.NEW:
        report.status = ReportStatus.ACKNOWLEDGED
    _audit("report.appointment_confirmed", report, officer, appointment_at=at.astimezone(UTC).isoformat())
    _publish_status(report)
    db.session.commit()
    return report


def assign(report: Report, officer: Officer, assignee_id: int | None) -> Report:
    """Give the report to an active officer of its commune (or to nobody); the phone is not told."""
    assignee = db.session.get(Officer, assignee_id) if assignee_id is not None else None
    if assignee_id is not None and (
        assignee is None or assignee.commune_id != report.commune_id or not assignee.active
    ):
        raise ApiError(
            "This officer cannot take reports of this commune.",
            status=422,
            code="validation_error",
            fields={"officer_id": ["Not an active officer of this commune."]},
        )
    previous = report.assigned_officer_id
    report.assigned_officer_id = assignee.id if assignee else None
    report.updated_at = utcnow()
    _audit("report.assigned", report, officer, previous=previous, assignee=report.assigned_officer_id)
    db.session.commit()
    return report
