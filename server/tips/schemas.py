"""The shapes of ADR 0004's endpoints; the OpenAPI spec is generated from these."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate

from ..commune_keys.schemas import SealedTextSchema, check_text_or_sealed
from ..fields import StoredText
from ..mailbox import sealing
from ..reports.models import TipCategory, Urgency
from ..sync.schemas import (
    DB_ID,
    MAX_PHOTOS,
    AttachmentDeclarationSchema,
    SealedOrNested,
    check_attachments,
    check_text_or_voice,
)

MAX_BLINDED = 10
_HEX64 = validate.Regexp(r"^[0-9a-f]{64}$", error="Must be a lowercase hex SHA-256.")


class Base64Url(fields.String):
    """Bytes as base64url (padded or not), of an exact length when ``size`` is given; loads as the text itself,
    checked, so that a tip's content hash is computed on what was sent."""

    def __init__(self, *, size: int | None = None, **kwargs: Any) -> None:
        metadata = {"description": f"base64url{f' of {size} bytes' if size else ''}", "format": "byte"}
        super().__init__(metadata={**metadata, **kwargs.pop("metadata", {})}, **kwargs)
        self.size = size

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > 2048:
            raise ValidationError("Too long.")
        try:
            raw = sealing.from_b64url(text)
        except ValueError as exc:
            raise ValidationError("Not base64url.") from exc
        if self.size is not None and len(raw) != self.size:
            raise ValidationError(f"Must be {self.size} bytes.")
        return text


class CommuneKeyRefSchema(Schema):
    version = fields.Integer(required=True)
    public_key = fields.String(required=True, metadata={"description": "base64url uncompressed P-256 point"})


class TipKeySchema(Schema):
    key_id = fields.String(required=True)
    public_key = fields.String(required=True, metadata={"description": "base64url SubjectPublicKeyInfo DER (RSA)"})
    tokens_per_day = fields.Integer(required=True)
    remaining = fields.Integer(
        required=True, metadata={"description": "Tokens this phone may still get today (commune day) under this key."}
    )
    commune_key = fields.Nested(
        CommuneKeyRefSchema,
        allow_none=True,
        metadata={"description": "The commune's reading key to seal tips to (server/commune_keys), or null."},
    )


class TokenRequestSchema(Schema):
    request_id = fields.UUID(required=True, metadata={"description": "Random per request: a retry repeats it."})
    key_id = fields.String(required=True, validate=validate.Length(max=64))
    blinded = fields.List(
        Base64Url(),
        required=True,
        validate=validate.Length(min=1, max=MAX_BLINDED),
        metadata={"description": "Blinded EMSA-PSS encodings of the phone's token messages (RFC 9474), k bytes each."},
    )


class TokenResponseSchema(Schema):
    key_id = fields.String(required=True)
    blind_signatures = fields.List(fields.String(), required=True, metadata={"description": "base64url, in order"})
    remaining = fields.Integer(required=True)


class TokenSchema(Schema):
    key_id = fields.String(required=True, validate=validate.Length(max=64))
    message = Base64Url(required=True, size=32)
    signature = Base64Url(required=True)


class MailboxKeysSchema(Schema):
    verifier = fields.String(required=True, validate=_HEX64, metadata={"description": "hex SHA-256 of the secret"})
    public_key = Base64Url(required=True, size=65, metadata={"description": "uncompressed P-256 point"})


def _point(value: str) -> None:
    try:
        sealing.load_public_key(sealing.from_b64url(value))
    except ValueError as exc:
        raise ValidationError("Not a P-256 public key (uncompressed point).") from exc


class TipSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # a newer phone may send more; never a household: there is no field to put it in

    id = fields.UUID(required=True)
    village_id = fields.Integer(required=True, strict=True, validate=DB_ID)
    category = fields.Enum(TipCategory, by_value=True, load_default=TipCategory.OTHER)
    urgency = fields.Enum(Urgency, by_value=True, load_default=Urgency.NORMAL)
    body = StoredText(load_default="", validate=validate.Length(max=5000))  # empty: a recorded tip (issue 16)
    location = StoredText(load_default="", validate=validate.Length(max=200))
    sealed = fields.Nested(SealedTextSchema, load_default=None, metadata={"description": "Sealed body and location."})
    attachments = fields.List(
        fields.Nested(AttachmentDeclarationSchema), load_default=list, validate=validate.Length(max=MAX_PHOTOS + 1)
    )
    mailbox = fields.Nested(MailboxKeysSchema, required=True)

    @post_load
    def _check(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        check_attachments(data)
        check_text_or_voice(data, tip=True)
        _point(data["mailbox"]["public_key"])
        return data


class SendTipSchema(Schema):
    token = fields.Nested(TokenSchema, required=True)
    tip = SealedOrNested(
        TipSchema,
        required=True,
        metadata={"description": "The tip, or {id, key_id, sealed}: sealed to rules.queue_key (issue 11)."},
    )


class SentTipSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(("created", "duplicate")))
    id = fields.String(required=True)
    tracking_code = fields.String(required=True)


class MailboxMessageItemSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    type = fields.String(required=True, validate=validate.Equal("message"))
    id = fields.UUID(required=True)
    body = StoredText(load_default="", validate=validate.Length(max=5000))
    sealed = fields.Nested(SealedTextSchema, load_default=None)

    @post_load
    def _check_text(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        check_text_or_sealed(data, tip=True)
        return data


class MailboxReceiptItemSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    type = fields.String(required=True, validate=validate.Equal("receipt"))
    target_id = fields.UUID(required=True, metadata={"description": "The officer reply that was read."})
    id = fields.UUID(metadata={"description": "Optional; the result names the receipt by it, else by target_id."})


class MailboxRequestSchema(Schema):
    secret = Base64Url(required=True, size=32)
    since = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0, max=2**31 - 1))
    items = fields.List(
        fields.Raw(),
        load_default=list,
        validate=validate.Length(max=50),
        metadata={
            "description": "Follow-ups: {type: message, id, body} or {type: receipt, id, target_id}, each as it is "
            "or sealed to rules.queue_key as {id, key_id, sealed} (issue 11)."
        },
    )


class MailboxResultSchema(Schema):
    id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("created", "duplicate", "rejected")))
    code = fields.String()


class MailboxEntrySchema(Schema):
    seq = fields.Integer(required=True)
    sealed = fields.String(
        required=True,
        metadata={"description": "base64url(ephemeral P-256 point (65) ‖ nonce (12) ‖ AES-256-GCM ciphertext+tag)"},
    )


class MailboxResponseSchema(Schema):
    tracking_code = fields.String(required=True)
    results = fields.List(fields.Nested(MailboxResultSchema), required=True)
    entries = fields.List(fields.Nested(MailboxEntrySchema), required=True)
    since = fields.Integer(required=True, metadata={"description": "Send it back as `since` next time."})
