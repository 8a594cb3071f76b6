"""Shapes of the SMS endpoints (docs/api-contract.md, "SMS")."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class SmsConfigSchema(Schema):
    device_id = fields.Integer(required=True)
    epoch = fields.Integer(required=True, metadata={"description": "A new random epoch of the SMS key chain."})
    key = fields.String(
        required=True,
        metadata={"description": "The chain's first key K(epoch, 0), 32 bytes base64url (ADR 0006, issue 11)."},
    )
    number = fields.String(allow_none=True, metadata={"description": "The commune's gateway number; null: none."})


class InboundResultSchema(Schema):
    status = fields.String(
        required=True,
        metadata={"description": "stored, duplicate, waiting (more parts to come), refused or ignored (other events)"},
    )
    reason = fields.String()
    outcome = fields.String()
    tracking_code = fields.String(allow_none=True)
    parts = fields.Integer()
    of = fields.Integer()


class GatewaySchema(Schema):
    number = fields.String(allow_none=True)
    configured = fields.Boolean(required=True)
    key_hint = fields.String(allow_none=True, metadata={"description": "The signing key's last 4 characters."})
    updated_at = fields.AwareDateTime(allow_none=True)
    webhook_url = fields.String(required=True)
    api_url = fields.String(allow_none=True, metadata={"description": "The gateway's send API (replies by SMS)."})
    api_username = fields.String(allow_none=True)


class GatewayUpdateSchema(Schema):
    number = fields.String(required=True, validate=validate.Regexp(r"^\+?[0-9 .-]{3,31}$"))
    signing_key = fields.String(required=True, validate=validate.Length(min=8, max=200))
    api_url = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(r"^(https?://\S{3,290})?$", error="An http(s) URL, or empty."),
        metadata={"description": "e.g. http://192.168.1.50:8080/messages; empty: no replies by SMS"},
    )
    api_username = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    api_password = fields.String(load_default=None, allow_none=True, load_only=True, validate=validate.Length(max=200))


class RefusedSmsSchema(Schema):
    id = fields.Integer(required=True)
    received_at = fields.AwareDateTime(required=True)
    reason = fields.String(required=True)
    sender = fields.String(metadata={"description": "The sending number's last three digits only."})
    device_id = fields.Integer(allow_none=True)
    report_id = fields.UUID(allow_none=True)
