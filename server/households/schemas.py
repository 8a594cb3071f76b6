"""The household-key requests: base64url keys and check values, validated before anything is looked up."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..mailbox.fields import Base64Url, P256Point
from .models import CodePurpose


class ClaimSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=4, max=40))
    request_id = fields.UUID(required=True)
    box_public_key = P256Point(required=True)
    sign_public_key = P256Point(required=True)
    pin_check = Base64Url(32, required=True, metadata={"description": "HKDF of the PIN-stretched key, 32 bytes."})


class UnlockSchema(Schema):
    pin_check = Base64Url(32, required=True)


class ShareSchema(Schema):
    household_id = fields.Integer()
    key_id = fields.Integer()
    share = Base64Url(32, metadata={"description": "The server's half of the household's wrapping key."})


class CodeRequestSchema(Schema):
    purpose = fields.Enum(CodePurpose, by_value=True, load_default=CodePurpose.CLAIM)


class HouseholdRefSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class IssuedHouseholdCodeSchema(Schema):
    code = fields.String(metadata={"description": "Shown once: only its hash is kept."})
    purpose = fields.Enum(CodePurpose, by_value=True)
    expires_at = fields.DateTime()
    household = fields.Nested(HouseholdRefSchema)


class HouseholdKeyStateSchema(Schema):
    household_id = fields.Integer()
    claimed = fields.Boolean()
    locked = fields.Boolean()
    failed_today = fields.Integer()
