"""marshmallow fields shared by every feature's schemas."""

from __future__ import annotations

import unicodedata
from typing import Any

from marshmallow import fields


class Text(fields.String):
    """Trimmed, NFC-normalised text: Vietnamese typed on different keyboards arrives as NFC or NFD."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        return unicodedata.normalize("NFC", text).strip()
