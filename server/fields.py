"""marshmallow fields shared by every feature's schemas."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from marshmallow import fields


class Text(fields.String):
    """Trimmed, NFC-normalised text: Vietnamese typed on different keyboards arrives as NFC or NFD."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        return unicodedata.normalize("NFC", text).strip()


_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


class StoredText(Text):
    """Text as the databases can store it: NUL characters dropped (PostgreSQL text refuses them) and lone UTF-16
    surrogates (a JavaScript string cut in the middle of an emoji) replaced by U+FFFD, as a decoder would.

    A value the database refuses must not reach it: the error would fail the whole sync, and the phone,
    retrying the same batch, would never deliver the items queued with it (tests/properties/test_item_values.py).
    """

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        return _LONE_SURROGATE.sub("\ufffd", text.replace("\x00", ""))
