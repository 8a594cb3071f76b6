"""Officer endpoints for the commune's reports. Every lookup is scoped to the officer's commune (404 outside)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, current_app, g, request
from sqlalchemy import Select

from ..api import Blueprint, QueryPage
from ..attachments import audio
from ..errors import PayloadTooLarge, UnsupportedMediaType
from ..extensions import device_key, device_limit, limiter
from ..groups.auth import device_required
from ..officers.auth import officer_required
from . import operations, queries
from .models import Message, Report
from .schemas import (
    AppointmentSchema,
    AssignSchema,
    BulkActionSchema,
    MessageSchema,
    ReplySchema,
    ReportDetailSchema,
    ReportFilterSchema,
    ReportPageSchema,
    ReportSchema,
    StatusChangeSchema,
    TranscriptSchema,
    VoiceReplyArgsSchema,
)

blp = Blueprint(
    "officer_reports", __name__, url_prefix="/api/v1/officer/reports", description="The commune's reports, for officers"
)


@blp.route("", methods=["GET"])
@officer_required()
@blp.arguments(ReportFilterSchema, location="query")
@blp.response(200, ReportPageSchema)
@blp.paginate(QueryPage)
def list_reports(args: dict[str, Any]) -> Select[Any]:
    """The commune's reports, filtered, searched (with or without tones), sorted and paged."""
    return queries.page(g.officer, args)


@blp.route("/bulk", methods=["POST"])
@officer_required()
@blp.arguments(BulkActionSchema)
@blp.response(200, ReportSchema(many=True))
def bulk_action(args: dict[str, Any]) -> list[Report]:
    """Acknowledge, assign or set the status of several reports: all or none, one transaction, one audit entry each
    (404 if one is not of the commune, 409 ``invalid_transition`` naming those that cannot take the change)."""
    return operations.bulk(g.officer, args["report_ids"], args["action"], args)


@blp.route("/<uuid:report_id>", methods=["GET"])
@officer_required()
@blp.response(200, ReportDetailSchema)
def get_report(report_id: uuid.UUID) -> Report:
    """One report with its thread, internal notes included; the view is audited."""
    return operations.record_view(queries.report(g.officer, report_id), g.officer)


@blp.route("/<uuid:report_id>/messages", methods=["POST"])
@officer_required()
@blp.arguments(ReplySchema)
@blp.response(201, MessageSchema)
def post_message(args: dict[str, Any], report_id: uuid.UUID) -> Message:
    """Reply to the household (synced to its phone) or, with ``internal``, add a note officers only see."""
    return operations.post_message(
        queries.report(g.officer, report_id), g.officer, args["body"], internal=args["internal"]
    )


@blp.route("/<uuid:report_id>/status", methods=["POST"])
@officer_required()
@blp.arguments(StatusChangeSchema)
@blp.response(200, ReportSchema)
def change_status(args: dict[str, Any], report_id: uuid.UUID) -> Report:
    """Move the report through the workflow; rejected and referred need a reason."""
    return operations.change_status(queries.report(g.officer, report_id), g.officer, args["status"], args["reason"])


@blp.route("/<uuid:report_id>/appointment", methods=["POST"])
@officer_required()
@blp.arguments(AppointmentSchema)
@blp.response(200, ReportSchema)
def confirm_appointment(args: dict[str, Any], report_id: uuid.UUID) -> Report:
    """Confirm the date and time of an appointment request; the phone shows it after its next sync."""
    return operations.confirm_appointment(queries.report(g.officer, report_id), g.officer, args["appointment_at"])


@blp.route("/<uuid:report_id>/assign", methods=["POST"])
@officer_required()
@blp.arguments(AssignSchema)
@blp.response(200, ReportSchema)
def assign(args: dict[str, Any], report_id: uuid.UUID) -> Report:
    """Give the report to an officer of the same commune, or with ``null`` to nobody."""
    return operations.assign(queries.report(g.officer, report_id), g.officer, args["officer_id"])


_VOICE_BODY = {
    "required": True,
    "content": {
        t: {"schema": {"type": "string", "format": "binary"}} for t in (*audio.AUDIO_TYPES, "application/octet-stream")
    },
}


@blp.route("/<uuid:report_id>/voice-reply", methods=["POST"])
@blp.doc(requestBody=_VOICE_BODY)
@officer_required()
@blp.arguments(VoiceReplyArgsSchema, location="query")
@blp.response(201, MessageSchema)
def post_voice_reply(args: dict[str, Any], report_id: uuid.UUID) -> Message:
    """Answer the household by voice (the raw bytes of an Opus recording in WebM or Ogg as the body, at most
    120 s), with ``body`` as optional text; the phone receives it sealed to the household (issue 16)."""
    report = queries.report(g.officer, report_id)
    if not request.mimetype.startswith("audio/") and request.mimetype != "application/octet-stream":
        raise UnsupportedMediaType("Send the recording as audio/webm or audio/ogg.")
    if (request.content_length or 0) > audio.MAX_BYTES:
        raise PayloadTooLarge(f"Recordings are at most {audio.MAX_BYTES // 1024} KB.")
    request.max_content_length = max(audio.MAX_BYTES, current_app.config["MAX_CONTENT_LENGTH"])
    return operations.post_message(report, g.officer, args["body"], voice=request.get_data())


@blp.route("/<uuid:report_id>/transcript", methods=["POST"])
@officer_required()
@blp.arguments(TranscriptSchema)
@blp.response(200, ReportDetailSchema)
def save_transcript(args: dict[str, Any], report_id: uuid.UUID) -> Report:
    """Keep what the officer typed hearing one of the report's recordings; the queue's search finds it."""
    report = queries.report(g.officer, report_id)
    return operations.save_transcript(report, g.officer, args["attachment_id"], args["transcript"])


# --- the phone fetches an officer's spoken reply -------------------------------------------------------------

phone_voice = Blueprint("voice_replies", __name__, url_prefix="/api/v1", description="Officers' spoken replies")


@phone_voice.route("/voice-replies/<uuid:attachment_id>", methods=["GET"])
@phone_voice.doc(
    responses={"200": {"description": "nonce (12) ‖ AES-256-GCM ciphertext of the recording, key in the sealed reply"}}
)
@limiter.limit(device_limit("DEVICE_UPLOAD_LIMIT"), key_func=device_key)
@device_required
def fetch_voice_reply(attachment_id: uuid.UUID) -> Response:
    """An officer's spoken reply to a report of this phone's group, encrypted with the key its household reads
    in the sealed reply: the device token alone gets ciphertext."""
    data = operations.voice_reply_for_device(g.device, attachment_id)
    return Response(data, mimetype="application/octet-stream", headers={"Cache-Control": "no-store"})
