"""Folding text for search: Vietnamese officers often type without tones ("trom ga" must find "trộm gà").

The folded form (lower case, no diacritics, đ → d) is stored beside the report when it is inserted, so that
the queue's search is one portable ``LIKE`` on both SQLite and PostgreSQL (no ``unaccent`` extension needed).
"""

from __future__ import annotations

import re
import unicodedata

# NFD splits "ộ" into "o" + marks, but "đ" is a letter of its own, not a "d" with a mark.
_LETTERS = str.maketrans({"đ": "d", "Đ": "d"})


class _FoldTable(dict[int, str]):
    """Each character's folded form, computed on first sight: folding is per character (case, đ, then the marks
    NFD splits off), and a push folds every report's text, so a table lookup beats normalising each string."""

    def __missing__(self, code: int) -> str:
        decomposed = unicodedata.normalize("NFD", chr(code).translate(_LETTERS).casefold())
        folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        self[code] = folded
        return folded


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Lower-case ``text`` and strip its diacritics; spaces are squeezed so that pasted text still matches."""
    return " ".join(text.translate(_FOLD).split())


def report_search_text(tracking_code: str, body: str, location: str, transcripts: str = "") -> str:
    """What the queue's search reads: the code, the text, the place, and what officers typed hearing the
    recordings (issue 16)."""
    return fold(f"{tracking_code} {body} {location} {transcripts}")


# Three letters or digits in a row: a trigram inside a word, which every text holding the query holds too.
_INNER_TRIGRAM = re.compile(r"[a-z0-9]{3}")


def has_inner_trigram(query: str) -> bool:
    """Whether the folded query can narrow a search through the (commune, trigram) index (migration 0020).

    A word matches inside a longer one ("xe" in "taxe"), so only trigrams within its letters are certain to be
    in a matching text; a query without any ("xe", "an ta") is answered by the commune's reports alone.
    """
    return _INNER_TRIGRAM.search(fold(query)) is not None


def like_pattern(query: str) -> str:
    """A ``LIKE`` pattern for the folded query, with the wildcards people might type taken literally."""
    escaped = fold(query).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
