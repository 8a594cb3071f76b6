"""What officers see of a report. An anonymous report shows its village only: no group, no household."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from ..communes.schemas import VillageRefSchema
from ..fields import Text
from .models import TRANSITIONS, Report, ReportKind, ReportStatus, TipCategory, Urgency, is_overdue

SORTS = ("newest", "oldest", "urgent", "waiting", "updated")


class OfficerRefSchema(Schema):
    id = fields.Integer()
    display_name = fields.String()


class AttachmentInfoSchema(Schema):
    id = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    received = fields.Integer()
    complete = fields.Boolean()
    duration_ms = fields.Integer(allow_none=True, metadata={"description": "A recording's length (issue 16)."})
    transcript = fields.String(allow_none=True, metadata={"description": "What an officer typed hearing it."})
    key_version = fields.Integer(
        attribute="sealed_key_version",
        allow_none=True,
        metadata={"description": "A tip's file sealed to this version of the commune's key: the console opens it."},
    )


class VoiceSchema(Schema):
    id = fields.String()
    content_type = fields.String()
    duration_ms = fields.Integer(allow_none=True)
    size = fields.Integer(attribute="stored_size")


SEALED = (
    "A tip's text sealed on the phone to the commune's key {key_version, box} (body and location are then empty):"
    " the console opens it with the key the officers' passphrase unwraps (GET /api/v1/officer/commune-keys)."
)


def _sealed(record: Any) -> dict[str, Any] | None:
    if record.sealed_text is None:
        return None
    return {"key_version": record.sealed_key_version, "box": record.sealed_text}


class MessageSchema(Schema):
    id = fields.String()
    author = fields.Function(lambda m: m.author.value)
    officer_id = fields.Integer(allow_none=True)
    officer_name = fields.Method("_officer_name", allow_none=True)
    internal = fields.Boolean()
    body = fields.String()
    sealed = fields.Method("_sealed", allow_none=True, metadata={"description": SEALED})
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)
    voice = fields.Method("_voice", allow_none=True, metadata={"description": "A spoken reply (issue 16)."})

    def _voice(self, message: Any) -> dict[str, Any] | None:
        recording = next(iter(getattr(message, "voice", None) or []), None)
        return VoiceSchema().dump(recording) if recording is not None else None

    def _sealed(self, message: Any) -> dict[str, Any] | None:
        return _sealed(message)

    def _officer_name(self, message: Any) -> str | None:
        return message.officer.display_name if message.officer is not None else None


class ReportSchema(Schema):
    id = fields.String()
    tracking_code = fields.String()
    kind = fields.Enum(ReportKind, by_value=True)
    category = fields.Enum(TipCategory, by_value=True, allow_none=True)
    status = fields.Enum(ReportStatus, by_value=True)
    status_reason = fields.String()
    urgency = fields.Enum(Urgency, by_value=True)
    anonymous = fields.Boolean()
    body = fields.String()
    location = fields.String()
    sealed = fields.Method("_sealed", allow_none=True, metadata={"description": SEALED})
    village = fields.Nested(VillageRefSchema)
    group = fields.Method("_group", allow_none=True)
    household = fields.Method("_household", allow_none=True)
    created_at = fields.DateTime(
        allow_none=True, metadata={"description": "On the phone; null for an anonymous tip (ADR 0004)."}
    )
    received_at = fields.DateTime(metadata={"description": "Floored to the hour for an anonymous tip."})
    updated_at = fields.DateTime()
    first_response_at = fields.DateTime(allow_none=True)
    overdue = fields.Function(lambda report: is_overdue(report))
    appointment_requested_at = fields.DateTime(allow_none=True)
    appointment_at = fields.DateTime(allow_none=True)
    assigned_officer_id = fields.Integer(allow_none=True)
    assigned_officer = fields.Nested(OfficerRefSchema, allow_none=True)
    attachments = fields.List(fields.Nested(AttachmentInfoSchema))

    def _sealed(self, report: Report) -> dict[str, Any] | None:
        return _sealed(report)

    def _group(self, report: Report) -> dict[str, Any] | None:
        if report.anonymous or report.group is None:
            return None
        return {"id": report.group.id, "name": report.group.name, "code": report.group.code}

    def _household(self, report: Report) -> dict[str, Any] | None:
        if report.anonymous or report.household is None:
            return None
        return {"id": report.household.id, "name": report.household.name}


class ReportDetailSchema(ReportSchema):
    messages = fields.List(fields.Nested(MessageSchema))
    transitions = fields.Method("_transitions")

    def _transitions(self, report: Report) -> list[str]:
        return sorted(status.value for status in TRANSITIONS[report.status])


class ReportPageSchema(Schema):
    items = fields.List(fields.Nested(ReportSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


def _assignee(value: str) -> None:
    if value not in ("me", "none") and not re.fullmatch(r"\d{1,9}", value):
        raise ValidationError("Use me, none or an officer id.")


class ReportFilterSchema(Schema):
    """The queue's filters, shared by the list and the CSV export."""

    status = fields.List(fields.Enum(ReportStatus, by_value=True))
    open = fields.Boolean(metadata={"description": "Only new, acknowledged and in-progress reports."})
    unanswered = fields.Boolean(metadata={"description": "Only reports with no answer or status change yet."})
    kind = fields.Enum(ReportKind, by_value=True)
    category = fields.Enum(TipCategory, by_value=True)
    urgency = fields.Enum(Urgency, by_value=True)
    village_id = fields.Integer()
    assignee = fields.String(validate=_assignee, metadata={"description": "me, none or an officer id"})
    date_from = fields.Date(metadata={"description": "Received on or after this day (commune time)."})
    date_to = fields.Date(metadata={"description": "Received on or before this day (commune time)."})
    q = fields.String(
        validate=validate.Length(max=200),
        metadata={"description": "Text, with or without tones (recordings' transcripts included)."},
    )
    has_voice = fields.Boolean(metadata={"description": "Only reports with a recording (issue 16)."})
    sealed = fields.Boolean(
        metadata={
            "description": "Only tips sealed to the commune's key (issue 11): the server cannot search their words, "
            "so the console fetches them without ``q`` and searches them after opening them."
        }
    )
    sort = fields.String(load_default="newest", validate=validate.OneOf(SORTS))


class ReplySchema(Schema):
    body = Text(required=True, validate=validate.Length(min=1, max=5000))
    internal = fields.Boolean(load_default=False)


class VoiceReplyArgsSchema(Schema):
    body = Text(load_default="", validate=validate.Length(max=5000))


class TranscriptSchema(Schema):
    attachment_id = fields.UUID(required=True)
    transcript = Text(required=True, validate=validate.Length(max=5000))


class StatusChangeSchema(Schema):
    status = fields.Enum(ReportStatus, by_value=True, required=True)
    reason = Text(load_default="", validate=validate.Length(max=500))


class AppointmentSchema(Schema):
    appointment_at = fields.AwareDateTime(required=True)


class AssignSchema(Schema):
    officer_id = fields.Integer(required=True, allow_none=True)


class BulkActionSchema(Schema):
    report_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1, max=200))
    action = fields.String(required=True, validate=validate.OneOf(("acknowledge", "assign", "status")))
    status = fields.Enum(ReportStatus, by_value=True, metadata={"description": "For ``status``."})
    reason = Text(load_default="", validate=validate.Length(max=500))
    officer_id = fields.Integer(allow_none=True, metadata={"description": "For ``assign``; null: nobody."})
