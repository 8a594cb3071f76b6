"""Rules for reports and their threads: receiving them from phones, and officers acting on them.

Receiving is idempotent by the phone's UUID: a second arrival with the same content is a ``duplicate`` (the
phone retried after a lost answer), with different content a ``conflict`` (never overwritten).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from ..attachments import operations as attachments
from ..attachments.models import Attachment
from ..audit import operations as audit
from ..commune_keys import operations as commune_keys
from ..database import coarse_now, utcnow
from ..errors import ApiError, Conflict, ItemRejected, NotFound
from ..extensions import db
from ..feed import operations as feed
from ..groups.models import Device
from ..households import envelopes
from ..live import operations as live
from ..mailbox import operations as mailboxes
from ..mailbox.sealing import b64url
from ..officers import queries as officer_queries
from ..officers.models import Officer
from . import intake
from .models import (
    NEEDS_REASON,
    OPEN_STATUSES,
    TRANSITIONS,
    Message,
    MessageAuthor,
    Report,
    ReportKind,
    ReportStatus,
)
from .search import report_search_text


def content_hash(data: dict[str, Any], *, exclude: tuple[str, ...] = ()) -> str:
    """SHA-256 of the item's canonical JSON: what "the same content" means for idempotency."""
    # The signature and "_signed" (push.py) are not content: a signature is random, each send may carry another.
    unsigned = ("type", "signature", "_signed")
    canonical = {key: value for key, value in data.items() if key not in exclude and key not in unsigned}
    encoded = json.dumps(canonical, sort_keys=True, default=_json_default, ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return getattr(value, "value", str(value))


def _report_hash(data: dict[str, Any]) -> str:
    # An anonymous report's hash leaves the household out: it must not be recoverable from the hash.
    return content_hash(data, exclude=("household_id",) if data["anonymous"] else ())


def receive_report(device: Device, data: dict[str, Any]) -> tuple[Report | intake.StagedReport, bool]:
    """Check a validated report item against what its batch knows; returns (report, created).

    A new report is staged in the batch (server/reports/intake.py) and written with the others at its end;
    outside a batch it is a batch of one.
    """
    batch = intake.current()
    if batch is None:
        with intake.batch(device, [data]) as batch:
            return _receive_report(batch, device, data)
    return _receive_report(batch, device, data)


# What features above this one do when a report closes (appointments give its seat back): they register here at
# import, since reports sits below them and cannot import them. Each runs inside the closing transaction.
closing_hooks: list[Callable[[Report], None]] = []

TIP_SENT_ALONE = "Tin báo ẩn danh được gửi riêng, không qua đồng bộ; ứng dụng sẽ tự gửi lại."


def _receive_report(
    batch: intake.Intake, device: Device, data: dict[str, Any]
) -> tuple[Report | intake.StagedReport, bool]:
    digest = _report_hash(data)
    existing = batch.reports.get(data["id"])
    if existing is not None and existing.group_id == device.group_id and existing.content_hash == digest:
        return existing, False  # a retry; an anonymous tip stored through sync before ADR 0004 too
    if data["anonymous"]:
        # ADR 0004: an anonymous tip travels alone (POST /api/v1/tips), never beside the phone's named items.
        raise ItemRejected(TIP_SENT_ALONE, code="tip_sent_alone")
    if existing is not None:
        raise ItemRejected("This id was already used for a different report.", code="conflict")
    household = batch.households.get(data["household_id"])
    if household is None or household.group_id != device.group_id or not household.active:
        raise ItemRejected("This household is not in the phone's group.", code="unknown_household")
    if any(declared["id"] in batch.attachment_ids for declared in data["attachments"]):
        raise ItemRejected("An attachment id is already used by another record.", code="conflict")
    _check_signature(batch, household.id, data)
    if not batch.seal_is_known(device.group.commune_id, data):
        raise ItemRejected(commune_keys.UNKNOWN_KEY, code="unknown_commune_key")
    report = intake.new_report(device, data, household.id, digest)
    batch.stage_report(report, data["attachments"])
    live.note_report(report.commune_id, report.id)
    live.check_urgent(report)
    return report, True


Item = dict[str, Any]


def _check_signature(batch: intake.Intake, household_id: int | None, data: Item) -> None:
    """A household with keys signs what it sends (ADR 0005): the neighbour with the device token cannot post in
    its name. ``data["_signed"]`` is the raw item and its signature (server/sync/push.py)."""
    keys = batch.signing_keys.get(household_id) if household_id is not None else None
    if keys and not envelopes.item_signed_by(keys, data.get("_signed")):
        raise ItemRejected(
            "Tin này không mang chữ ký của hộ gửi; hãy mở khoá hộ bằng mã PIN rồi gửi lại.", code="signature_invalid"
        )


def receive_message(device: Device, data: dict[str, Any]) -> tuple[Message, bool]:
    """Stage a household's follow-up on one of its group's reports (known before the batch or earlier in it)."""
    batch = intake.current()
    if batch is None:
        with intake.batch(device, [data]) as batch:
            return _receive_message(batch, device, data)
    return _receive_message(batch, device, data)


def _receive_message(batch: intake.Intake, device: Device, data: dict[str, Any]) -> tuple[Message, bool]:
    report = batch.reports.get(data["report_id"])
    if report is not None and report.anonymous:
        raise ItemRejected(TIP_SENT_ALONE, code="tip_sent_alone")  # its follow-ups go through its mailbox
    if report is None or report.group_id != device.group_id:
        raise ItemRejected("The report this message follows is not known.", code="unknown_report")
    _check_signature(batch, report.household_id, data)
    if data.get("sealed") and report.kind is not ReportKind.TIP:
        raise ItemRejected("Only a tip's follow-ups are sealed to the commune.", code="sealed_not_a_tip")
    if not batch.seal_is_known(report.commune_id, data):
        raise ItemRejected(commune_keys.UNKNOWN_KEY, code="unknown_commune_key")
    digest = content_hash(data)
    existing = batch.messages.get(data["id"])
    if existing is not None:
        if existing.report_id != report.id or existing.content_hash != digest:
            raise ItemRejected("This id was already used for a different message.", code="conflict")
        return existing, False
    message = intake.new_message(report.id, data, digest, MessageAuthor.HOUSEHOLD)
    batch.stage_message(message)
    report.updated_at = utcnow()
    live.note_message(report.commune_id, report.id)
    return message, True


def mark_reply_read(device: Device, message_id: uuid.UUID, read_at: datetime, item: Item | None = None) -> bool:
    """Record that the phone showed an officer reply; returns False if it was already recorded. ``item``: the
    pushed receipt, whose signature is checked when the reply's household has keys (ADR 0005)."""
    batch = intake.current()
    if batch is None:
        with intake.batch(device, [{"type": "receipt", "target": "message", "target_id": message_id}]) as batch:
            return _mark_reply_read(batch, device, message_id, read_at, item or {})
    return _mark_reply_read(batch, device, message_id, read_at, item or {})


def _mark_reply_read(
    batch: intake.Intake, device: Device, message_id: uuid.UUID, read_at: datetime, item: Item
) -> bool:
    message = batch.messages.get(message_id)
    if message is not None and message.report.anonymous:
        raise ItemRejected(TIP_SENT_ALONE, code="tip_sent_alone")
    if (
        message is None
        or message.author is not MessageAuthor.OFFICER
        or message.internal
        or message.report.group_id != device.group_id
    ):
        raise ItemRejected("No reply with this id was sent to this phone.", code="unknown_message")
    _check_signature(batch, message.report.household_id, item)
    if message.read_at is not None:
        return False
    message.read_at = read_at  # the ORM writes all of a batch's receipts in one executemany
    live.note_receipt(message.report.commune_id, message.report_id)
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


def sent_alone(report: Report) -> bool:
    """An anonymous tip sent alone (ADR 0004): no group, so what officers do goes to its mailbox, never the feed
    (a feed entry with no group would reach every phone of the commune)."""
    return report.group_id is None


def _publish_status(report: Report) -> None:
    if sent_alone(report):
        mailboxes.deliver(
            report.id,
            {
                "type": "status",
                "status": report.status.value,
                "reason": report.status_reason,
                "at": coarse_now().isoformat(),
            },
        )
        return
    _to_household(report, "report_status", _status_change(report))


def _to_household(report: Report, kind: str, payload: dict[str, Any], voice_id: str | None = None) -> None:
    """A change for the household that sent ``report``, through its group's feed, sealed to the household's key
    when it has one (ADR 0005): the group's phone carries it, only that household reads it."""
    sealed = envelopes.sealed_payload(report.household_id, payload)
    if voice_id is not None:
        sealed = {**sealed, "voice_id": voice_id}
    feed.append(kind, sealed, commune_id=report.commune_id, group_id=report.group_id)


def post_message(
    report: Report, officer: Officer, body: str, *, internal: bool = False, voice: bytes | None = None
) -> Message:
    """An officer's reply (synced to the phone) or internal note (never leaves the console); a reply may be spoken
    (``voice``: a recording, checked and cleaned like a phone's, issue 16), with or without text."""
    if voice is not None and (internal or sent_alone(report)):
        raise Conflict(
            "A spoken answer goes to a household's phone: not in a note, nor to a tip sent alone.",
            code="voice_reply_unavailable",
        )
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
    recording = attachments.store_voice_reply(voice, report.commune_id, message.id) if voice is not None else None
    action = "report.note_added" if internal else "report.replied"
    _audit(action, report, officer)
    live.note_message(report.commune_id, report.id)
    if not internal:
        live.note_reply(report.group_id)
    if not internal and sent_alone(report):
        report.first_response_at = report.first_response_at or now
        report.updated_at = now
        mailboxes.deliver(
            report.id, {"type": "message", "id": str(message.id), "body": body, "at": coarse_now().isoformat()}
        )
    elif not internal:
        report.first_response_at = report.first_response_at or now
        report.updated_at = now
        reply: dict[str, Any] = {
            "id": str(message.id),
            "report_id": str(report.id),
            "body": body,
            "created_at": now.isoformat(),
            "author": "officer",
        }
        if recording is not None:
            reply["voice"] = {
                "id": str(recording.id),
                "content_type": recording.content_type,
                "duration_ms": recording.duration_ms,
                "size": recording.stored_size,
                "key": b64url(attachments.reply_key(recording.id)),
            }
        # The recording's id travels beside the sealed reply (the phone fetches the ciphertext while every
        # household is locked); its key only inside it.
        _to_household(report, "message", reply, voice_id=str(recording.id) if recording is not None else None)
    db.session.commit()
    if recording is not None:
        db.session.refresh(message, ["voice"])
    return message


def voice_reply_for_device(device: Device, attachment_id: uuid.UUID) -> bytes:
    """An officer's spoken reply as the phone of the report's group fetches it: encrypted with the key its
    household alone reads in the sealed reply. Any other phone: 404, whether it exists or not."""
    recording = db.session.get(Attachment, attachment_id)
    message = db.session.get(Message, recording.message_id) if recording and recording.message_id else None
    if recording is None or message is None or message.internal or message.report.group_id != device.group_id:
        raise NotFound("No such recording for this phone.")
    return attachments.sealed_reply_bytes(recording)


def save_transcript(report: Report, officer: Officer, attachment_id: uuid.UUID, transcript: str) -> Report:
    """What an officer typed hearing a recording: kept beside it and found by the queue's search."""
    recording = next((a for a in report.attachments if a.id == attachment_id), None)
    if recording is None or not recording.content_type.startswith("audio/"):
        raise NotFound("No such recording in this report.")
    if recording.sealed_key_version is not None:  # typed in clear, it would put a sealed tip's words on the server
        raise Conflict("This recording is sealed to the commune: its words stay in the console.", code="sealed_file")
    recording.transcript = transcript.strip() or None
    typed = " ".join(a.transcript or "" for a in report.attachments)
    report.search_text = report_search_text(report.tracking_code, report.body, report.location or "", typed)
    _audit("report.transcribed", report, officer, file_id=str(attachment_id))
    db.session.commit()
    return report


def change_status(report: Report, officer: Officer, status: ReportStatus, reason: str = "") -> Report:
    """Move a report through the workflow; the phone learns of it on its next sync."""
    _check_transition(report, status, reason)
    _set_status(report, officer, status, reason)
    db.session.commit()
    return report


def _check_transition(report: Report, status: ReportStatus, reason: str) -> None:
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


def _set_status(report: Report, officer: Officer, status: ReportStatus, reason: str, **audited: Any) -> None:
    previous = report.status
    report.status = status
    report.status_reason = reason
    report.updated_at = utcnow()
    report.first_response_at = report.first_response_at or report.updated_at
    _audit(
        "report.status_changed", report, officer, previous=previous.value, status=status.value, reason=reason, **audited
    )
    if previous in OPEN_STATUSES and status not in OPEN_STATUSES:
        for hook in closing_hooks:
            hook(report)
    _publish_status(report)
    live.note_status(report.commune_id, report.id)
    live.note_reply(report.group_id)


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
    live.note_status(report.commune_id, report.id)
    live.note_reply(report.group_id)
    db.session.commit()
    return report


def assign(report: Report, officer: Officer, assignee_id: int | None) -> Report:
    """Give the report to an active officer of its commune (or to nobody); the phone is not told."""
    _set_assignee(report, officer, _assignee(report.commune_id, assignee_id))
    db.session.commit()
    return report


def _assignee(commune_id: int, assignee_id: int | None) -> Officer | None:
    return None if assignee_id is None else officer_queries.active_in_commune(commune_id, assignee_id, "take reports")


def _set_assignee(report: Report, officer: Officer, assignee: Officer | None, **audited: Any) -> None:
    previous = report.assigned_officer_id
    report.assigned_officer_id = assignee.id if assignee else None
    report.updated_at = utcnow()
    _audit("report.assigned", report, officer, previous=previous, assignee=report.assigned_officer_id, **audited)
    live.note_status(report.commune_id, report.id)


BULK_ACTIONS = ("acknowledge", "assign", "status")


def bulk(officer: Officer, report_ids: list[uuid.UUID], action: str, args: dict[str, Any]) -> list[Report]:
    """Acknowledge, assign or set the status of several reports at once, all or none, in one transaction.

    Each report is authorised on its own (the officer's commune: one outside it, or unknown, is a 404 for the whole
    request, like a single lookup) and checked on its own (a transition it cannot make is a 409 naming it); only
    when every report passes does anything change, with one audit entry per report (``bulk: true``) and the same
    feed entries as one by one. Reports are locked (``FOR UPDATE``) so a concurrent change cannot slip between the
    check and the write.
    """
    ids = list(dict.fromkeys(report_ids))
    found = {
        report.id: report
        for report in db.session.scalars(
            select(Report)
            .where(Report.id.in_(ids), Report.commune_id == officer.commune_id)
            .order_by(Report.id)
            .with_for_update()
        )
    }
    if officer.commune_id is None or len(found) != len(ids):
        raise NotFound("No such report.")
    reports = [found[report_id] for report_id in ids]
    if action == "assign":
        assignee = _assignee(officer.commune_id, args.get("officer_id"))
        for report in reports:
            _set_assignee(report, officer, assignee, bulk=True)
    else:
        status = ReportStatus.ACKNOWLEDGED if action == "acknowledge" else args.get("status")
        if status is None:
            raise ApiError(
                "A status is required.",
                status=422,
                code="validation_error",
                fields={"status": ["Required for this action."]},
            )
        refused = {}
        for report in reports:
            try:
                _check_transition(report, status, args.get("reason", ""))
            except ApiError as exc:
                refused[str(report.id)] = [f"{report.tracking_code}: {exc.message}"]
        if refused:
            raise Conflict(
                "Some reports cannot take this change; nothing was changed.", code="invalid_transition", fields=refused
            )
        for report in reports:
            _set_status(report, officer, status, args.get("reason", ""), bulk=True)
    db.session.commit()
    return reports
