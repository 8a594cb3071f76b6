"""Keys and sealed boxes as requests carry them: unpadded base64url, checked before anything is looked up."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields

from .sealing import b64url, from_b64url, load_public_key


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
