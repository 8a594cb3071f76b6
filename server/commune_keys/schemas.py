"""A commune key as the head's browser sends it and as officers' browsers fetch it; a tip's sealed text."""

from __future__ import annotations

import json
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from ..mailbox.fields import Base64Url, P256Point
from ..mailbox.sealing import from_b64url

# A sealed box: ephemeral point (65) + nonce (12) + tag (16) at least; a tip's text is at most 5,000 characters
# (up to 4 bytes each in UTF-8) and its location 200, with the JSON around them.
MIN_BOX = 65 + 12 + 16
MAX_BOX_CHARS = 28_000


class SealedBox(fields.String):
    """A base64url sealed box (server/mailbox/sealing.py's layout); kept as the text it came as."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > MAX_BOX_CHARS:
            raise ValidationError("Too long.")
        try:
            raw = from_b64url(text)
        except ValueError as exc:
            raise ValidationError("Must be base64url.") from exc
        if len(raw) < MIN_BOX:
            raise ValidationError("Too short to be a sealed box.")
        return text


class SealedTextSchema(Schema):
    """A tip's text (and location) sealed on the phone to its commune's key (``key_version``)."""

    key_version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=10_000))
    box = SealedBox(required=True)


class PassphraseWrapSchema(Schema):
    kdf = fields.String(required=True, validate=validate.Equal("pbkdf2-sha256"))
    iterations = fields.Integer(required=True, strict=True, validate=validate.Range(min=310_000, max=10_000_000))
    salt = Base64Url(16, required=True)
    iv = Base64Url(12, required=True)
    # PKCS#8 of a P-256 key (138 bytes with its public point, 67 without) and the 16-byte tag
    ciphertext = SealedBox(required=True, validate=validate.Length(min=100, max=400))


class NewCommuneKeySchema(Schema):
    public_key = P256Point(required=True)
    passphrase_wrap = fields.Nested(PassphraseWrapSchema, required=True)
    recovery_wrap = SealedBox(required=True)


class CommuneKeySchema(Schema):
    version = fields.Integer()
    public_key = Base64Url(65)
    passphrase_wrap = fields.Method("_wrap")
    created_at = fields.AwareDateTime()

    def _wrap(self, key: Any) -> dict[str, Any]:
        return dict(json.loads(key.passphrase_wrap))


class CommuneKeysSchema(Schema):
    recovery_public_key = fields.String(
        allow_none=True, metadata={"description": "The province's recovery key (base64url P-256 point), or null."}
    )
    keys = fields.List(fields.Nested(CommuneKeySchema), metadata={"description": "Every version, newest first."})


def check_text_or_sealed(data: dict[str, Any], *, tip: bool, recorded: bool = False) -> None:
    """A report's or follow-up's text comes either in clear (``body``) or, for a tip, sealed to the commune
    (``sealed``, with ``body`` and ``location`` empty): never both; neither only when it is ``recorded`` (a voice
    report, issue 16)."""
    sealed = data.get("sealed")
    if sealed is None:
        if not data.get("body", "").strip() and not recorded:
            raise ValidationError("Write it, or record it." if "attachments" in data else "Write it.", "body")
        return
    if not tip:
        raise ValidationError("Only a tip's text is sealed to the commune.", "sealed")
    if data.get("body") or data.get("location"):
        raise ValidationError("A sealed tip carries its text and location only inside the seal.", "body")


def sealed_columns(data: dict[str, Any]) -> dict[str, Any]:
    """The stored columns of an item's ``sealed`` field (both None for text in clear)."""
    sealed = data.get("sealed")
    return {
        "sealed_text": sealed["box"] if sealed else None,
        "sealed_key_version": sealed["key_version"] if sealed else None,
    }
