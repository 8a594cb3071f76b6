"""Folding text for search: Vietnamese officers often type without tones ("trom ga" must find "trộm gà").

The folded form (lower case, no diacritics, đ → d) is stored beside the report when it is inserted, so that
the queue's search is one portable ``LIKE`` on both SQLite and PostgreSQL (no ``unaccent`` extension needed).
"""

from __future__ import annotations

import unicodedata

# NFD splits "ộ" into "o" + marks, but "đ" is a letter of its own, not a "d" with a mark.
_LETTERS = str.maketrans({"đ": "d", "Đ": "d"})


def fold(text: str) -> str:
    """Lower-case ``text`` and strip its diacritics; spaces are squeezed so that pasted text still matches."""
    decomposed = unicodedata.normalize("NFD", text.translate(_LETTERS).casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.split())


def report_search_text(tracking_code: str, body: str, location: str) -> str:
    return fold(f"{tracking_code} {body} {location}")


def like_pattern(query: str) -> str:
    """A ``LIKE`` pattern for the folded query, with the wildcards people might type taken literally."""
    escaped = fold(query).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
