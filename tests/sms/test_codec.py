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

from benchmarks.sms_corpus import reports, tips
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


def test_a_chained_message_opens_with_its_own_key_only() -> None:
    """Version 2 (issue 11): the phone sends under K(epoch, step) and then keeps only the next key. The server, from
    the device key, rebuilds the message key; the key the phone kept, or the head of another epoch, opens nothing."""
    device_key, epoch = bytes(range(1, 33)), 3_000_000_001
    head = codec.epoch_key(device_key, epoch)
    used = codec.next_key(codec.next_key(head))  # the phone's third message of this epoch
    kept = codec.next_key(used)
    item = CORPUS[3]
    parts = codec.encode(item, 42, used, chain=(epoch, 2))
    envelope, decoded = codec.decode_parts(parts, lambda e: codec.message_key(device_key, e))
    assert decoded == item and (envelope.version, envelope.epoch, envelope.step) == (2, epoch, 2)
    for stranger in (kept, head, codec.epoch_key(device_key, epoch + 1), device_key):
        with pytest.raises(codec.Malformed) as refused:
            _decode(parts, stranger)
        assert refused.value.reason == "bad_mac"
    v1 = codec.encode(item, 42, used)
    assert len("".join(parts)) - len("".join(v1)) <= 8, "epoch and step cost a few characters, not a part"


def test_a_chain_longer_than_any_phone_or_an_epoch_the_server_never_draws_is_refused() -> None:
    parts = codec.encode(CORPUS[0], 1, KEY, chain=(7, codec.MAX_STEP + 1))
    with pytest.raises(codec.Malformed) as stale:
        codec.decode_parts(parts, lambda e: codec.message_key(KEY, e))
    assert stale.value.reason == "stale_key"
    forged = codec.encode(CORPUS[0], 1, KEY, chain=(2**32, 0))  # 33 bits: refused, not a server error
    with pytest.raises(codec.Malformed) as refused:
        codec.decode_parts(forged, lambda e: codec.message_key(KEY, e))
    assert refused.value.reason == "malformed"


def test_the_text_is_not_readable_by_the_carrier() -> None:
    item = _item("Tối nay có đánh bạc ở nhà kho cuối thôn Đông", None)
    item["body"] = "danh bac o nha kho cuoi thon Dong"
    sent = "".join(codec.encode(item, 1, KEY, "U"))
    assert "danh" not in sent and "Dong" not in sent


def photos(*versions: int | None) -> list[dict]:
    """Declared photos; a version: sealed to that version of the commune's key (a tip's, issue 11)."""
    declared = []
    for n, version in enumerate(versions):
        photo = {"id": str(uuid.uuid4()), "sha256": f"{n:064x}", "size": 180_000 + n, "content_type": "image/webp"}
        declared.append(photo if version is None else {**photo, "size": photo["size"] + 93, "key_version": version})
    return declared


def test_sealed_photos_travel_with_the_key_they_are_sealed_to() -> None:
    tip = {**tips(1)[0], "attachments": photos(1, 300, None)}
    to_server = [{**photo, "key_id": "q7Zk-1_a"} for photo in photos(None, None)]  # the queue key's id: 6 bytes
    report = {**CORPUS[0], "attachments": [*photos(7), *to_server]}
    for item in (tip, report):
        assert _decode(codec.encode(item, 5, KEY)) == item
    for key_id in ("q7Zk-1_", "q7Zk-1_aa", "q7Zk+1/a"):  # not six bytes in canonical base64url
        with pytest.raises(codec.Unencodable):
            codec.encode({**report, "attachments": [{**to_server[0], "key_id": key_id}]}, 5, KEY)
    recording = {**photos(1)[0], "content_type": "audio/webm", "duration_ms": 4200}
    for attachments in ([recording], [{**photos(1)[0], "key_version": 0}], [{**photos(1)[0], "key_version": True}]):
        with pytest.raises(codec.Unencodable):
            codec.encode({**tip, "attachments": attachments}, 5, KEY)


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
