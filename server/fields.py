"""marshmallow fields shared by every feature's schemas."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from marshmallow import ValidationError, fields

# Control and format characters (CR, LF, TAB, NUL, ESC, bidi overrides such as U+202E that make "gpj.exe"
# read as "exe.jpg") and line/paragraph separators: none belongs in a one-line name, and a CR/LF in a file
# name made every later download of it answer 500 (a header cannot carry it).
_NOT_IN_NAMES = {"Cc", "Cf", "Zl", "Zp", "Cs"}


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


def has_control_characters(text: str) -> bool:
    return any(unicodedata.category(char) in _NOT_IN_NAMES for char in text)


class Name(Text):
    """A one-line name or title (person, household, group, village, commune, file, announcement title).

    Refused, not cleaned, when it holds a control character: the sender sees exactly what was wrong.
    """

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if has_control_characters(text):
            raise ValidationError("Must not contain control characters (line breaks, tabs and the like).")
        return text


class CleanedName(Text):
    """A one-line label a phone sends on its own (its device label): cleaned rather than refused, because
    refusing it would block the enrolment of a phone whose owner cannot fix what the app sent."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return printable_name(super()._deserialize(value, attr, data, **kwargs))


def printable_name(text: str, fallback: str = "") -> str:
    """A stored name made safe to show or send in a header: control characters become spaces.

    For values stored before names were checked; a name that cannot be served must never fail a request.
    """
    cleaned = "".join(" " if unicodedata.category(char) in _NOT_IN_NAMES else char for char in text)
    return " ".join(cleaned.split()) or fallback
