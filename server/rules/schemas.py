"""The rules document as the OpenAPI spec describes it."""

from __future__ import annotations

from marshmallow import Schema, fields


class LimitsSchema(Schema):
    report_body = fields.Integer(metadata={"description": "Characters in a report's text."})
    location = fields.Integer(metadata={"description": "Characters in a report's place."})
    photos_per_report = fields.Integer()
    photo_bytes = fields.Integer(metadata={"description": "Largest photo a report may declare."})
    voice_seconds = fields.Integer(metadata={"description": "Longest recording a report may carry (issue 16)."})
    voice_bytes = fields.Integer(metadata={"description": "Largest recording a report may declare."})
    message_body = fields.Integer(metadata={"description": "Characters in a household's follow-up."})
    reply_body = fields.Integer(metadata={"description": "Characters in an officer's reply or note."})
    status_reason = fields.Integer()
    announcement_title = fields.Integer()
    announcement_body = fields.Integer()
    announcement_file_bytes = fields.Integer()
    upload_chunk_bytes = fields.Integer(metadata={"description": "Largest chunk of a resumable photo upload."})


class SpanSchema(Schema):
    min = fields.Integer()
    max = fields.Integer()


class TipRulesSchema(Schema):
    tokens_per_day = fields.Integer(metadata={"description": "Blind-signed tip tokens a phone may get a day."})
    delay_seconds = fields.Nested(SpanSchema, metadata={"description": "A queued tip waits a uniform delay in this."})
    urgent_delay_seconds = fields.Nested(SpanSchema, metadata={"description": "The same for an urgent tip."})
    mailbox_poll_seconds = fields.Integer(metadata={"description": "At most one mailbox fetch per tip this often."})
    quiet_seconds = fields.Integer(
        metadata={"description": "A tip is not sent until this long after the phone last pushed named items."}
    )


class QueueKeySchema(Schema):
    key_id = fields.String(metadata={"description": "Names the key; a sealed item carries it."})
    public_key = fields.String(metadata={"description": "P-256 point, uncompressed, base64url."})


class RulesSchema(Schema):
    version = fields.String(metadata={"description": "Changes whenever any rule does; also the ETag."})
    time_zone = fields.String(metadata={"description": "IANA zone of the commune, e.g. Asia/Ho_Chi_Minh."})
    kinds = fields.List(fields.String(), metadata={"description": "Report kinds, in display order."})
    categories = fields.List(fields.String(), metadata={"description": "Tip categories, in display order."})
    statuses = fields.List(fields.String())
    open_statuses = fields.List(fields.String())
    statuses_needing_reason = fields.List(
        fields.String(), metadata={"description": "A change to these needs a reason."}
    )
    urgencies = fields.List(fields.String())
    roles = fields.List(fields.String())
    sorts = fields.List(fields.String(), metadata={"description": "Orders of the officer queue."})
    limits = fields.Nested(LimitsSchema)
    tips = fields.Nested(TipRulesSchema, metadata={"description": "Anonymous tips sent alone (ADR 0004)."})
    queue_key = fields.Nested(
        QueueKeySchema,
        metadata={"description": "The server's key that queued named items are sealed to on the phone (issue 11)."},
    )
    labels = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=fields.Dict(keys=fields.String(), values=fields.String())),
        metadata={
            "description": "The one name of each enum value that every screen shows: "
            "{lang: {kind|category|status|urgency|role: {value: name}}}, lang being vi or en.",
            "example": {"vi": {"status": {"new": "Mới nhận"}}, "en": {"status": {"new": "New"}}},
        },
    )
