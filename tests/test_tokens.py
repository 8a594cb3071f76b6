"""Codes people read aloud and type (server/tokens.py): every character of the alphabet, in every position."""

from __future__ import annotations

from collections import Counter

from server import tokens


def test_tracking_codes_use_every_character_in_every_position_evenly() -> None:
    codes = [tokens.new_tracking_code() for _ in range(6400)]
    assert all(len(code) == 9 and code[4] == "-" for code in codes)
    raw = [code.replace("-", "") for code in codes]
    for position in range(8):
        seen = Counter(code[position] for code in raw)
        # 200 expected per character; a character drawn from a wrong bit or never drawn would be far off.
        assert set(seen) == set(tokens._ALPHABET), position
        assert max(seen.values()) < 300 and min(seen.values()) > 120, (position, seen.most_common(2))
    assert len(set(codes)) == len(codes)


def test_codes_are_typed_back_as_they_were_read() -> None:
    code = tokens.new_enrolment_code()
    assert len(code) == 14 and tokens.normalise_code(code.lower().replace("-", " ")) == code.replace("-", "")
