"""Shapes of the live console's and the alerts' endpoints: ids, codes and times, never a report's text."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..reports.models import TipCategory


class LiveEventSchema(Schema):
    id = fields.Integer()
    payload = fields.Dict(
        metadata={
            "description": 'Ids only: {"reports": [id], "messages": [report id], "receipts": [report id], '
            '"changed": [report id], "escalated": [report id], "tips": true, "alerts": true}'
        }
    )


class LiveEventsSchema(Schema):
    events = fields.List(fields.Nested(LiveEventSchema))
    last_id = fields.Integer(metadata={"description": "Pass it back as ``after``."})
    reset = fields.Boolean(metadata={"description": "Events were missed: re-read the queue."})
    stream = fields.Boolean(
        metadata={"description": "Whether this server serves the stream (no: a sync worker; poll every few seconds)."}
    )


class LiveEventsArgsSchema(Schema):
    after = fields.Integer(
        load_default=None, validate=validate.Range(min=0), metadata={"description": "Omitted: only the position."}
    )


class AlertSchema(Schema):
    report_id = fields.String()
    tracking_code = fields.String()
    raised_at = fields.DateTime(allow_none=True)
    escalated = fields.Function(lambda a: a.escalated_at is not None)
    acknowledged_at = fields.DateTime(allow_none=True)
    ack_seconds = fields.Integer(allow_none=True, metadata={"description": "Seconds from arrival to acknowledgement."})


class AlertsSchema(Schema):
    now = fields.DateTime(metadata={"description": "The server's time, to count waiting time from."})
    pending = fields.List(fields.Nested(AlertSchema))
    recent = fields.List(fields.Nested(AlertSchema), metadata={"description": "Acknowledged over the last day."})


class AlertSettingsSchema(Schema):
    urgent_categories = fields.Function(
        lambda s: [c for c in s.urgent_categories.split(",") if c],
        deserialize=lambda v: v,
        metadata={"description": "Tip categories that are urgent whatever the sender said."},
    )
    escalate_after_minutes = fields.Integer()


class AlertSettingsUpdateSchema(Schema):
    urgent_categories = fields.List(fields.Enum(TipCategory, by_value=True), required=True)
    escalate_after_minutes = fields.Integer(required=True, validate=validate.Range(min=1, max=24 * 60))


class AckStatSchema(Schema):
    month = fields.String()
    alerts = fields.Integer()
    acknowledged = fields.Integer()
    escalated = fields.Integer()
    median_seconds = fields.Integer(allow_none=True)
    mean_seconds = fields.Integer(allow_none=True)


class PushKeySchema(Schema):
    public_key = fields.String(metadata={"description": "VAPID applicationServerKey, base64url"})


class PushKeysSchema(Schema):
    p256dh = fields.String(required=True, validate=validate.Length(min=80, max=128))
    auth = fields.String(required=True, validate=validate.Length(min=16, max=64))


class PushSubscriptionSchema(Schema):
    endpoint = fields.Url(
        required=True, schemes={"https", "http"}, require_tld=False, validate=validate.Length(max=2000)
    )
    keys = fields.Nested(PushKeysSchema, required=True)


class PushEndpointSchema(Schema):
    endpoint = fields.String(required=True, validate=validate.Length(max=2000))


class OfficerPushSubscriptionSchema(PushSubscriptionSchema):
    on_duty = fields.Boolean(load_default=True)


class OfficerPushStateSchema(Schema):
    subscriptions = fields.Integer()
    on_duty = fields.Boolean()
