"""The SMS codec (server/sms/codec.py): every corpus report and random Unicode come back exactly; any change to
what travels is caught by the MAC; parts reassemble in any order; the phone's dictionary is the server's."""

from __future__ import annotations

import copy
import re
import uuid
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.sms_corpus import reports
from server.sms import codec
from server.sms.words import WORDS

KEY = bytes(range(32))
CORPUS = reports()


def _decode(parts: list[str], key: bytes = KEY) -> dict:
    return codec.decode_parts(parts, lambda _: key)[1]


def test_corpus_round_trips_in_both_modes() -> None:
    assert len(CORPUS) >= 200
    for item in CORPUS:
        for mode in codec.MODES:
            parts = codec.encode(item, 77, KEY, mode)
            assert _decode(parts) == item
            assert all(len(p) <= codec.SMS_CHARS and set(p) <= set(codec.ALPHABET + "DU") for p in parts)


def _item(body: str, location: str | None) -> dict:
    item = {
        "type": "report",
        "id": str(uuid.uuid4()),
        "household_id": 3,
        "kind": "complaint",
        "body": body,
        "anonymous": False,
        "urgency": "normal",
        "created_at": "2026-12-03T23:05:09.007Z",
        "attachments": [],
    }
    if location is not None:
        item["location"] = location
    return item


@settings(max_examples=150, deadline=None)
@given(st.text(min_size=1, max_size=300), st.one_of(st.none(), st.text(max_size=60)))
def test_random_unicode_round_trips(body: str, location: str | None) -> None:
    item = _item(body, location)
    parts = codec.encode(item, 2**20, KEY)
    assert _decode(list(reversed(parts))) == item


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyàáạảãĐƯ ,.\n0123456789", min_size=1, max_size=400))
def test_vietnamese_letters_and_spaces_round_trip(body: str) -> None:
    item = _item(body, None)
    assert _decode(codec.encode(item, 1, KEY, "D")) == item


def test_parts_reassemble_in_any_order_and_name_the_report() -> None:
    item = max(CORPUS, key=lambda i: len(i["body"]))
    parts = codec.encode(item, 9, KEY)
    assert len(parts) >= 3
    shuffled = parts[1:] + parts[:1]
    envelope, decoded = codec.decode_parts(shuffled, lambda _: KEY)
    assert decoded == item and envelope.device_id == 9 and str(envelope.item_id) == item["id"]
    headers = {p[:5] for p in parts}
    assert len(headers) == len(parts), "each part says which it is"
    with pytest.raises(codec.Malformed) as missing:
        codec.decode_parts(parts[:-1], lambda _: KEY)
    assert missing.value.reason == "truncated"


def test_any_change_fails_the_mac_or_the_format() -> None:
    item = CORPUS[0]
    parts = codec.encode(item, 5, KEY)
    with pytest.raises(codec.Malformed) as wrong_key:
        _decode(parts, bytes(32))
    assert wrong_key.value.reason == "bad_mac"
    for position in (5, 20, len(parts[0]) - 1):
        altered = list(parts)
        ch = altered[0][position]
        altered[0] = altered[0][:position] + ("A" if ch != "A" else "B") + altered[0][position + 1 :]
        with pytest.raises(codec.Malformed):
            _decode(altered)
    with pytest.raises(codec.Malformed) as cut:
        codec.parse_part(parts[0][:-3]) if len(parts) > 1 else _decode([parts[0][:-3]])
    assert cut.value.reason in ("truncated", "bad_mac", "malformed")
    with pytest.raises(codec.Malformed) as other:
        codec.parse_part("Chào anh, tối nay có họp tổ không?")
    assert other.value.reason == "not_ours"


def test_the_text_is_not_readable_by_the_carrier() -> None:
    item = _item("Tối nay có đánh bạc ở nhà kho cuối thôn Đông", None)
    item["body"] = "danh bac o nha kho cuoi thon Dong"
    sent = "".join(codec.encode(item, 1, KEY, "U"))
    assert "danh" not in sent and "Dong" not in sent


def test_items_the_server_could_not_rebuild_are_not_encoded() -> None:
    item = copy.deepcopy(CORPUS[0])
    item["created_at"] = "2026-12-03T06:43:10Z"  # not what the phone's toISOString() writes
    with pytest.raises(codec.Unencodable):
        codec.encode(item, 1, KEY)
    with pytest.raises(codec.Unencodable):
        codec.encode({**CORPUS[0], "extra": 1}, 1, KEY)
    with pytest.raises(codec.Unencodable):
        codec.encode({**CORPUS[0], "body": "x" * 5000}, 1, KEY)


def test_the_phone_has_the_same_dictionary() -> None:
    source = (Path(__file__).resolve().parents[2] / "pwa/js/sms-words.js").read_text()
    js_words = "".join(re.findall(r"^\s+'([^']*)'", source, re.MULTILINE)).split(" ")
    assert tuple(js_words) == WORDS
    assert len(set(WORDS)) == len(WORDS) <= 768
    assert all(set(word) <= codec.LETTERS for word in WORDS)
