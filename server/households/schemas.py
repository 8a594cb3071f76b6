"""The household-key requests: base64url keys and check values, validated before anything is looked up."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from ..mailbox.sealing import b64url, from_b64url, load_public_key
from .models import CodePurpose


class Base64Url(fields.Field[bytes]):
    """Bytes sent as unpadded base64url (what the phone's WebCrypto code produces); ``size`` bytes exactly."""

    def __init__(self, size: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.size = size

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bytes:
        try:
            raw = from_b64url(value)
        except (ValueError, TypeError) as exc:
            raise ValidationError("Must be base64url.") from exc
        if len(raw) != self.size:
            raise ValidationError(f"Must be {self.size} bytes.")
        return raw

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else b64url(value)


class P256Point(Base64Url):
    """An uncompressed P-256 public key that is really on the curve."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(65, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bytes:
        raw = super()._deserialize(value, attr, data, **kwargs)
        try:
            load_public_key(raw)
        except ValueError as exc:
            raise ValidationError("Not a P-256 public key.") from exc
        return raw


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
