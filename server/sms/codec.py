"""The SMS body of a report (issue 17, ADR 0006): compact, encrypted, authenticated, in self-identifying parts.

The phone has the twin of this module (pwa/js/sms-codec.js); both give the same characters for the same item and
``tests/sms/test_codec_parity.py`` holds them to it. Wire format, version 1:

* A report is cut into **parts** of at most 160 GSM-7 characters, each one SMS sent on its own, each starting with
  a 5-character header: ``mode``, ``n`` (parts), ``i`` (this part, 0-based) and a 2-character message id drawn from
  the report's id. Parts reassemble in any order (same sender, same message id, same ``n``).
* The parts' bodies, joined, are the base-122 digits (ALPHABET: the GSM 03.38 basic characters minus ``@``, which
  some SMS centres read as the end of the text, LF, CR, ESC, space and ``Ç``) of ``version ‖ payload``.
* Version 2 (what phones send): ``payload = varint(device id) ‖ varint(epoch) ‖ varint(step) ‖ report id (16 bytes)
  ‖ ciphertext ‖ MAC (8 bytes)``, under the message key ``K(epoch, step)`` of a one-way chain (issue 11):
  ``K(epoch, 0) = HMAC(device key, "binhan sms epoch" ‖ epoch)`` is what the phone gets from ``/sms/config`` (a
  random epoch at each fetch), ``K(epoch, step + 1) = HMAC(K(epoch, step), "binhan sms next")``. The phone keeps
  only the next key: a copy of the phone taken later cannot open an SMS it sent (or the parts it keeps), and a
  copy's token fetches a new epoch, not the old one. Version 1 (phones of the first build): no epoch or step, the
  device key itself.
* The ciphertext is the item's fields and text (below) XOR an HMAC-SHA256 key stream keyed by the message key and
  the report id (unique per report, so no nonce travels); the MAC is HMAC-SHA256 under another key derived from the
  message key over ``mode ‖ version ‖ everything before it``, truncated to 64 bits. The carrier reads neither the
  text nor the fields.
* ``mode`` says how the text is written: ``D`` a dictionary of Vietnamese syllables (words.py) with single letters,
  digits and punctuation as 7-bit codes; ``U`` UTF-16 code units as they are. The encoder writes both and keeps
  the one with fewer parts.

An anonymous tip (item type 1) carries what the tip queue would send to ``POST /api/v1/tips`` without its token:
village, category, urgency, declared photos, its mailbox (verifier and public key, so the phone reads the answers
by data later) and its words, in clear or as the box sealed to the commune's key. It names no household and no
time; the envelope's device id and MAC only prove an enrolled phone sent it, and the server keeps neither.

The decoded item is the JSON object the phone's outbox would push through ``/sync``, key for key (same optional keys,
same time strings), so the household's signature (ADR 0005) still verifies and the content hash (the idempotency of
``reports.operations``) is the same: a report that came by SMS answers ``duplicate`` when the sync brings it. An item
that cannot be written back exactly is refused by :func:`encode` (the phone then does not offer SMS).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .words import WORDS

ALPHABET = (
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    "!\"#%&'()*+,-./:;<=>?_$"
    "£¥èéùìòØøÅåΔΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà"
)
BASE = len(ALPHABET)  # 122
DIGIT = {c: i for i, c in enumerate(ALPHABET)}
SMS_CHARS = 160  # one GSM-7 SMS, no concatenation header: each part is a whole SMS
HEADER = 5
PART_CHARS = SMS_CHARS - HEADER
MAX_PARTS = 20
MODES = ("D", "U")
MAC_BYTES = 8
VERSIONS = (1, 2)
MAX_STEP = 100_000  # a phone fetches a new epoch at least daily: far more steps than reports in a day

KINDS = ("tip", "complaint", "question", "appointment", "help", "lost_found")
CATEGORIES = ("drugs", "theft", "gambling", "loan_shark", "fraud", "violence", "racing", "other")
CONTENT_TYPES = ("image/jpeg", "image/png", "image/webp")
ATTACHMENT_KEYS = {"id", "sha256", "size", "content_type"}
# A photo sealed on the phone (issue 11): the content type code no type uses, then its type, then the version of the
# commune's key it is sealed to (a tip's), or 0 and the 6-byte id of the server's queue key (any other report's).
SEALED_PHOTO = 3
QUEUE_KEY_ID_BYTES = 6

_VOWELS = {
    "a": "aàáảãạ",
    "ă": "ăằắẳẵặ",
    "â": "âầấẩẫậ",
    "e": "eèéẻẽẹ",
    "ê": "êềếểễệ",
    "i": "iìíỉĩị",
    "o": "oòóỏõọ",
    "ô": "ôồốổỗộ",
    "ơ": "ơờớởỡợ",
    "u": "uùúủũụ",
    "ư": "ưừứửữự",
    "y": "yỳýỷỹỵ",
}
LOWER = "abcdefghijklmnopqrstuvwxyzđ" + "".join(v[1:] for v in _VOWELS.values()) + "ăâêôơư"
CHARS = LOWER + "0123456789 \n.,;:!?-/()\"'%+=&#@_…–“”"  # the 7-bit single characters of mode D
CHAR_INDEX = {c: i for i, c in enumerate(CHARS)}
UPPER = {c.upper(): c for c in LOWER}
LETTERS = set(LOWER) | set(UPPER)
WORD_INDEX = {w: i for i, w in enumerate(WORDS)}
if len(CHARS) > 128 or len(set(CHARS)) != len(CHARS) or len(WORDS) > 256 + 512:  # the codes have no room for more
    raise RuntimeError("the SMS codec's tables are too large")

CREATED_AT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")  # Date.prototype.toISOString()
APPOINTMENT_AT = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d):00([+-])(\d\d):(\d\d)$")  # lib/time.js fromLocalInput


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Unencodable(ValueError):
    """The item cannot travel by SMS exactly as the sync would send it."""


class Malformed(ValueError):
    """What arrived is not a well-formed part or message of this format (``reason`` is a stable code)."""

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(message or reason)
        self.reason = reason


# --- bits -----------------------------------------------------------------------------------------------------


class BitWriter:
    def __init__(self) -> None:
        self.bits: list[int] = []

    def write(self, value: int, width: int) -> None:
        if value < 0 or value >= 1 << width:
            raise Unencodable(f"{value} does not fit in {width} bits")
        self.bits.extend((value >> (width - 1 - k)) & 1 for k in range(width))

    def varint(self, value: int) -> None:  # 7 bits a group, a continuation bit first
        if value < 0:
            raise Unencodable("negative")
        while True:
            group, value = value & 0x7F, value >> 7
            self.write(1 if value else 0, 1)
            self.write(group, 7)
            if not value:
                return

    def to_bytes(self) -> bytes:
        bits = self.bits + [0] * (-len(self.bits) % 8)
        return bytes(int("".join(map(str, bits[k : k + 8])), 2) for k in range(0, len(bits), 8))


class BitReader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def read(self, width: int) -> int:
        if self.pos + width > len(self.data) * 8:
            raise Malformed("truncated", "the message ends inside a field")
        value = 0
        for _ in range(width):
            byte = self.data[self.pos >> 3]
            value = (value << 1) | ((byte >> (7 - (self.pos & 7))) & 1)
            self.pos += 1
        return value

    def varint(self) -> int:
        value, shift = 0, 0
        while True:
            more, group = self.read(1), self.read(7)
            value |= group << shift
            shift += 7
            if not more:
                return value
            if shift > 63:
                raise Malformed("malformed", "a number is too long")


# --- text -----------------------------------------------------------------------------------------------------


def _units(text: str) -> list[int]:
    raw = text.encode("utf-16-be", "surrogatepass")
    return [int.from_bytes(raw[k : k + 2], "big") for k in range(0, len(raw), 2)]


def _from_units(units: list[int]) -> str:
    try:
        return b"".join(u.to_bytes(2, "big") for u in units).decode("utf-16-be")
    except UnicodeDecodeError as exc:
        raise Malformed("malformed", "the text is not valid UTF-16") from exc


def _word_code(run: str) -> tuple[bool, int] | None:
    """(capitalised, index) if the letter run is a dictionary word as written or with its first letter up."""
    if run in WORD_INDEX:
        return False, WORD_INDEX[run]
    lower = run[0].lower() + run[1:]
    if run[0] in UPPER and run[1:] == run[1:].lower() and lower in WORD_INDEX:
        return True, WORD_INDEX[lower]
    return None


def _word(bits: BitWriter, index: int) -> None:
    if index < 256:
        bits.write(0, 1)
        bits.write(index, 8)
    else:
        bits.write(0b110, 3)
        bits.write(index - 256, 9)


def _cap(bits: BitWriter) -> None:
    bits.write(0b1110, 4)


def _char(bits: BitWriter, ch: str) -> None:
    if ch in CHAR_INDEX:
        bits.write(0b10, 2)
        bits.write(CHAR_INDEX[ch], 7)
    elif ch in UPPER:
        _cap(bits)
        _char(bits, UPPER[ch])
    else:
        for unit in _units(ch):
            bits.write(0b11110, 5)
            bits.write(unit, 16)


def _run_end(text: str, start: int) -> int:
    end = start
    while end < len(text) and text[end] in LETTERS:
        end += 1
    return end


def write_text(bits: BitWriter, text: str, mode: str) -> None:
    if mode == "U":
        units = _units(text)
        bits.varint(len(units))
        for unit in units:
            bits.write(unit, 16)
        return
    # Mode D. A space between two dictionary words is implied (the decoder puts it back), so a sentence of
    # common syllables costs 9 bits a syllable.
    pos, after_word = 0, False
    while pos < len(text):
        ch = text[pos]
        if ch in LETTERS:
            end = _run_end(text, pos)
            code = _word_code(text[pos:end])
            if code is not None:
                if code[0]:
                    _cap(bits)
                _word(bits, code[1])
                after_word = True
            else:
                for letter in text[pos:end]:
                    _char(bits, letter)
                after_word = False
            pos = end
            continue
        if (
            ch == " "
            and after_word
            and pos + 1 < len(text)
            and text[pos + 1] in LETTERS
            and _word_code(text[pos + 1 : _run_end(text, pos + 1)]) is not None
        ):
            pos += 1  # implied
            continue
        _char(bits, ch)
        after_word = False
        pos += 1
    bits.write(0b11111, 5)


def read_text(bits: BitReader, mode: str, limit: int = 5000) -> str:
    if mode == "U":
        count = bits.varint()
        if count > 2 * limit:
            raise Malformed("malformed", "the text is too long")
        return _from_units([bits.read(16) for _ in range(count)])
    out: list[str] = []
    units: list[int] = []  # raw UTF-16 units, joined when a non-raw symbol (or the end) comes
    after_word, cap = False, False

    def flush() -> None:
        if units:
            out.append(_from_units(units))
            units.clear()

    while True:
        if len(out) > 2 * limit:
            raise Malformed("malformed", "the text is too long")
        if bits.read(1) == 0:
            word = WORDS[bits.read(8)]
        elif bits.read(1) == 0:
            flush()
            code = bits.read(7)
            if code >= len(CHARS):
                raise Malformed("malformed", "unknown character code")
            ch = CHARS[code]
            out.append(ch.upper() if cap else ch)
            cap = after_word = False
            continue
        elif bits.read(1) == 0:
            index = bits.read(9)
            if index >= len(WORDS) - 256:
                raise Malformed("malformed", "unknown word code")
            word = WORDS[256 + index]
        elif bits.read(1) == 0:
            cap = True
            continue
        elif bits.read(1) == 0:
            units.append(bits.read(16))
            cap = after_word = False
            continue
        else:
            flush()
            return "".join(out)
        flush()
        if after_word:
            out.append(" ")
        out.append(word[0].upper() + word[1:] if cap else word)
        cap, after_word = False, True


# --- the item ---------------------------------------------------------------------------------------------------

OPTIONAL = ("category", "location", "urgency", "appointment_at", "signature")
REQUIRED = ("type", "id", "household_id", "kind", "body", "anonymous", "created_at", "attachments")
TIP_OPTIONAL = ("body", "location", "sealed")
TIP_REQUIRED = ("id", "village_id", "category", "urgency", "attachments", "mailbox")
URGENCIES = ("", "normal", "urgent")


def _ms(moment: str) -> int:
    if not isinstance(moment, str) or not CREATED_AT.match(moment):
        raise Unencodable("created_at is not a toISOString() time")
    try:
        parsed = datetime.strptime(moment, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError as exc:
        raise Unencodable("created_at") from exc
    return (parsed - EPOCH) // timedelta(milliseconds=1)


def _iso_ms(ms: int) -> str:
    moment = EPOCH + timedelta(milliseconds=ms)  # integer arithmetic: no float rounding at .999
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _from_b64u(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise Unencodable("not base64url") from exc


def write_item(bits: BitWriter, item: dict[str, Any], mode: str) -> None:
    """The item's fields after its id (the id travels in the clear part of the payload): a report or a tip."""
    if is_tip(item):
        _write_tip(bits, item, mode)
    else:
        _write_report(bits, item, mode)


def is_tip(item: dict[str, Any]) -> bool:
    """An anonymous tip as the tip queue sends it to ``POST /api/v1/tips`` (no ``type``; its mailbox instead)."""
    return "type" not in item and "mailbox" in item


def _write_report(bits: BitWriter, item: dict[str, Any], mode: str) -> None:
    if set(item) - set(REQUIRED) - set(OPTIONAL) or any(key not in item for key in REQUIRED):
        raise Unencodable("unexpected or missing keys")
    if item["type"] != "report" or item["kind"] not in KINDS or not isinstance(item["anonymous"], bool):
        raise Unencodable("not a report item")
    household = item["household_id"]
    if not isinstance(household, int) or isinstance(household, bool):
        raise Unencodable("household_id")
    bits.write(0, 2)  # item type: 0 = report, 1 = tip (2–3 kept for follow-ups)
    bits.varint(household)
    bits.write(KINDS.index(item["kind"]), 3)
    _write_category(bits, item)
    bits.write(int(item["anonymous"]), 1)
    _write_urgency(bits, item)
    bits.write(_ms(item["created_at"]), 44)
    _write_location(bits, item)
    if "appointment_at" not in item:
        bits.write(0, 2)
    elif item["appointment_at"] is None:
        bits.write(1, 2)
    else:
        match = APPOINTMENT_AT.match(str(item["appointment_at"]))
        if not match:
            raise Unencodable("appointment_at")
        offset = (int(match[3]) * 60 + int(match[4])) * (-1 if match[2] == "-" else 1)
        try:
            wall = datetime.strptime(match[1], "%Y-%m-%dT%H:%M").replace(tzinfo=UTC)
        except ValueError as exc:
            raise Unencodable("appointment_at") from exc
        bits.write(2, 2)
        bits.write((wall - EPOCH) // timedelta(minutes=1), 32)  # the wall time as written, and its offset
        bits.write(offset + 1024, 11)
    _write_attachments(bits, item["attachments"])
    if "signature" in item:
        signature = item["signature"]
        raw = _from_b64u(signature) if isinstance(signature, str) else b""
        if len(raw) != 64 or _b64u(raw) != signature:
            raise Unencodable("signature")
        bits.write(1, 1)
        bits.write(int.from_bytes(raw, "big"), 512)
    else:
        bits.write(0, 1)
    if not isinstance(item["body"], str):
        raise Unencodable("body")
    write_text(bits, item["body"], mode)
    if item.get("location"):
        write_text(bits, item["location"], mode)


def _write_category(bits: BitWriter, item: dict[str, Any]) -> None:
    if "category" not in item:
        bits.write(0, 4)
    elif item["category"] is None:
        bits.write(15, 4)
    elif item["category"] in CATEGORIES:
        bits.write(1 + CATEGORIES.index(item["category"]), 4)
    else:
        raise Unencodable("category")


def _write_urgency(bits: BitWriter, item: dict[str, Any]) -> None:
    urgency = item.get("urgency", "")
    if urgency not in ("normal", "urgent") and "urgency" in item:
        raise Unencodable("urgency")
    bits.write(URGENCIES.index(urgency), 2)


def _write_attachments(bits: BitWriter, attachments: Any) -> None:
    if not isinstance(attachments, list) or len(attachments) > 3:
        raise Unencodable("attachments")
    bits.write(len(attachments), 2)
    for declared in attachments:
        keys = set(declared) if isinstance(declared, dict) else set()
        sealed = keys in ({*ATTACHMENT_KEYS, "key_version"}, {*ATTACHMENT_KEYS, "key_id"})
        if keys != ATTACHMENT_KEYS and not sealed:
            raise Unencodable("attachment keys")
        _uuid(bits, declared["id"])
        if not re.fullmatch(r"[0-9a-f]{64}", str(declared["sha256"])):
            raise Unencodable("sha256")
        bits.write(int(declared["sha256"], 16), 256)
        size, version = declared["size"], declared.get("key_version")
        if not _small_int(size, 2**23) or declared["content_type"] not in CONTENT_TYPES:
            raise Unencodable("attachment")
        bits.write(size, 23)
        if sealed:
            bits.write(SEALED_PHOTO, 2)
        bits.write(CONTENT_TYPES.index(declared["content_type"]), 2)
        if "key_id" in declared:  # to the server's queue key: version 0, then the key's 6-byte id
            key_id = declared["key_id"]
            raw = _from_b64u(key_id) if isinstance(key_id, str) else b""
            if len(raw) != QUEUE_KEY_ID_BYTES or _b64u(raw) != key_id:
                raise Unencodable("key_id")
            bits.varint(0)
            bits.write(int.from_bytes(raw, "big"), 8 * QUEUE_KEY_ID_BYTES)
        elif sealed:
            if not _small_int(version, 2**31) or version < 1:
                raise Unencodable("key_version")
            bits.varint(version)


def _small_int(value: Any, bound: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < bound


def _write_location(bits: BitWriter, item: dict[str, Any]) -> None:
    location = item.get("location")
    if "location" not in item:
        bits.write(0, 2)
    elif location == "":
        bits.write(1, 2)
    elif isinstance(location, str):
        bits.write(2, 2)
    else:
        raise Unencodable("location")


def _write_tip(bits: BitWriter, item: dict[str, Any], mode: str) -> None:
    """A tip (ADR 0004's item, issue 17): no household and no phone time; its mailbox's verifier and public key
    travel whole (the phone polls the mailbox by data later); its words in clear or sealed to the commune's key."""
    if set(item) - set(TIP_REQUIRED) - set(TIP_OPTIONAL) or any(key not in item for key in TIP_REQUIRED):
        raise Unencodable("unexpected or missing tip keys")
    village = item["village_id"]
    if not isinstance(village, int) or isinstance(village, bool):
        raise Unencodable("village_id")
    bits.write(1, 2)  # item type: 1 = tip
    bits.varint(village)
    _write_category(bits, item)
    _write_urgency(bits, item)
    _write_attachments(bits, item["attachments"])
    mailbox = item["mailbox"]
    if not isinstance(mailbox, dict) or set(mailbox) != {"verifier", "public_key"}:
        raise Unencodable("mailbox")
    if not re.fullmatch(r"[0-9a-f]{64}", str(mailbox["verifier"])):
        raise Unencodable("mailbox verifier")
    bits.write(int(mailbox["verifier"], 16), 256)
    point = _from_b64u(mailbox["public_key"]) if isinstance(mailbox["public_key"], str) else b""
    if len(point) != 65 or point[0] != 4 or _b64u(point) != mailbox["public_key"]:
        raise Unencodable("mailbox public key")
    bits.write(int.from_bytes(point[1:], "big"), 512)
    if "sealed" in item:
        _write_sealed(bits, item)
        return
    if not isinstance(item.get("body"), str):
        raise Unencodable("body")
    bits.write(0, 1)
    _write_location(bits, item)
    write_text(bits, item["body"], mode)
    if item.get("location"):
        write_text(bits, item["location"], mode)


def _write_sealed(bits: BitWriter, item: dict[str, Any]) -> None:
    """Words sealed on the phone to the commune's reading key: the box's bytes as they are (nothing to compress)."""
    sealed = item["sealed"]
    if "body" in item or "location" in item or not isinstance(sealed, dict) or set(sealed) != {"key_version", "box"}:
        raise Unencodable("sealed")
    version, box = sealed["key_version"], sealed["box"]
    raw = _from_b64u(box) if isinstance(box, str) else b""
    if not isinstance(version, int) or isinstance(version, bool) or not raw or _b64u(raw) != box:
        raise Unencodable("sealed box")
    bits.write(1, 1)
    bits.varint(version)
    bits.varint(len(raw))
    bits.write(int.from_bytes(raw, "big"), 8 * len(raw))


def _uuid(bits: BitWriter, value: Any) -> None:
    try:
        parsed = uuid.UUID(str(value))
    except ValueError as exc:
        raise Unencodable("uuid") from exc
    if str(parsed) != value:
        raise Unencodable("uuid spelling")
    bits.write(parsed.int, 128)


def read_item(bits: BitReader, item_id: uuid.UUID, mode: str) -> dict[str, Any]:
    item_type = bits.read(2)
    if item_type == 1:
        return _read_tip(bits, item_id, mode)
    if item_type != 0:
        raise Malformed("malformed", "unknown item type")
    item: dict[str, Any] = {"type": "report", "id": str(item_id), "household_id": bits.varint()}
    kind = bits.read(3)
    if kind >= len(KINDS):
        raise Malformed("malformed", "unknown kind")
    item["kind"] = KINDS[kind]
    _read_category(bits, item)
    item["anonymous"] = bool(bits.read(1))
    _read_urgency(bits, item)
    item["created_at"] = _iso_ms(bits.read(44))
    location = _read_location_flag(bits)
    appointment = bits.read(2)
    if appointment == 1:
        item["appointment_at"] = None
    elif appointment == 2:
        wall = (EPOCH + timedelta(minutes=bits.read(32))).strftime("%Y-%m-%dT%H:%M")
        offset = bits.read(11) - 1024
        sign = "-" if offset < 0 else "+"
        item["appointment_at"] = f"{wall}:00{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"
    elif appointment == 3:
        raise Malformed("malformed", "unknown appointment flag")
    item["attachments"] = _read_attachments(bits)
    if bits.read(1):
        item["signature"] = _b64u(bits.read(512).to_bytes(64, "big"))
    _read_words(bits, item, location, mode)
    return item


def _read_tip(bits: BitReader, item_id: uuid.UUID, mode: str) -> dict[str, Any]:
    item: dict[str, Any] = {"id": str(item_id), "village_id": bits.varint()}
    _read_category(bits, item)
    _read_urgency(bits, item)
    item["attachments"] = _read_attachments(bits)
    verifier = f"{bits.read(256):064x}"
    item["mailbox"] = {"verifier": verifier, "public_key": _b64u(b"\x04" + bits.read(512).to_bytes(64, "big"))}
    if bits.read(1):
        version, length = bits.varint(), bits.varint()
        if length > 6000:
            raise Malformed("malformed", "the sealed box is too long")
        item["sealed"] = {"key_version": version, "box": _b64u(bits.read(8 * length).to_bytes(length, "big"))}
        return item
    _read_words(bits, item, _read_location_flag(bits), mode)
    return item


def _read_category(bits: BitReader, item: dict[str, Any]) -> None:
    category = bits.read(4)
    if category == 15:
        item["category"] = None
    elif category:
        if category > len(CATEGORIES):
            raise Malformed("malformed", "unknown category")
        item["category"] = CATEGORIES[category - 1]


def _read_urgency(bits: BitReader, item: dict[str, Any]) -> None:
    urgency = bits.read(2)
    if urgency == 3:
        raise Malformed("malformed", "unknown urgency")
    if urgency:
        item["urgency"] = URGENCIES[urgency]


def _read_location_flag(bits: BitReader) -> int:
    location = bits.read(2)
    if location == 3:
        raise Malformed("malformed", "unknown location flag")
    return location


def _read_attachments(bits: BitReader) -> list[dict[str, Any]]:
    attachments = []
    for _ in range(bits.read(2)):
        declared_id = str(uuid.UUID(int=bits.read(128)))
        sha = f"{bits.read(256):064x}"
        declared: dict[str, Any] = {"id": declared_id, "sha256": sha, "size": bits.read(23)}
        content_type = bits.read(2)
        if content_type == SEALED_PHOTO:
            content_type = bits.read(2)
            version = bits.varint()
            if version:
                declared["key_version"] = version
            else:
                declared["key_id"] = _b64u(bits.read(8 * QUEUE_KEY_ID_BYTES).to_bytes(QUEUE_KEY_ID_BYTES, "big"))
        if content_type >= len(CONTENT_TYPES):
            raise Malformed("malformed", "unknown content type")
        attachments.append({**declared, "content_type": CONTENT_TYPES[content_type]})
    return attachments


def _read_words(bits: BitReader, item: dict[str, Any], location: int, mode: str) -> None:
    item["body"] = read_text(bits, mode)
    if location == 1:
        item["location"] = ""
    elif location == 2:
        item["location"] = read_text(bits, mode, 200)


# --- keys, key stream, MAC --------------------------------------------------------------------------------------


def _derive(key: bytes, label: bytes) -> bytes:
    return hmac.new(key, label, hashlib.sha256).digest()


def _keystream(key: bytes, item_id: bytes, length: int) -> bytes:
    enc = _derive(key, b"binhan sms enc")
    blocks = (hmac.new(enc, item_id + k.to_bytes(4, "big"), hashlib.sha256).digest() for k in range(length // 32 + 1))
    return b"".join(blocks)[:length]


def _mac(key: bytes, mode: str, version: int, signed: bytes) -> bytes:
    header = mode.encode() + (bytes([version]) if version > 1 else b"")
    return hmac.new(_derive(key, b"binhan sms mac"), header + signed, hashlib.sha256).digest()[:MAC_BYTES]


def epoch_key(device_key: bytes, epoch: int) -> bytes:
    """``K(epoch, 0)``: what ``/sms/config`` gives the phone."""
    return _derive(device_key, b"binhan sms epoch" + epoch.to_bytes(4, "big"))


def next_key(key: bytes) -> bytes:
    """One step down the chain: the phone keeps this one and forgets ``key``."""
    return _derive(key, b"binhan sms next")


def message_key(device_key: bytes, envelope: Envelope) -> bytes:
    """The key a message was sent under (the server's side: it holds the device key, the root of every chain)."""
    if envelope.version == 1:
        return device_key
    if envelope.epoch >= 2**32:  # the server draws 32 bits: a larger one is forged (and has no 4-byte form)
        raise Malformed("malformed", "no such epoch")
    if envelope.step > MAX_STEP:
        raise Malformed("stale_key", "the key chain is longer than any phone's")
    key = epoch_key(device_key, envelope.epoch)
    for _ in range(envelope.step):
        key = next_key(key)
    return key


def _varint_bytes(value: int) -> bytes:
    out = bytearray()
    while True:
        group, value = value & 0x7F, value >> 7
        out.append(group | (0x80 if value else 0))
        if not value:
            return bytes(out)


# --- characters and parts ---------------------------------------------------------------------------------------


def to_digits(payload: bytes, version: int = 2) -> str:
    number = int.from_bytes(bytes([version]) + payload, "big")
    digits: list[str] = []
    while number:
        number, digit = divmod(number, BASE)
        digits.append(ALPHABET[digit])
    return "".join(reversed(digits))


def from_digits(text: str) -> tuple[int, bytes]:
    number = 0
    for ch in text:
        if ch not in DIGIT:
            raise Malformed("malformed", "a character outside the SMS alphabet")
        number = number * BASE + DIGIT[ch]
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    if not raw or raw[0] not in VERSIONS:
        raise Malformed("malformed", "no start marker")
    return raw[0], raw[1:]


def message_id(item_id: uuid.UUID) -> str:
    value = int.from_bytes(item_id.bytes[:2], "big") % (BASE * BASE)
    return ALPHABET[value // BASE] + ALPHABET[value % BASE]


@dataclass(frozen=True)
class Part:
    mode: str
    total: int
    index: int
    message: str  # the 2-character message id
    body: str

    @property
    def key(self) -> str:
        """What parts of one report share (with the sender's number)."""
        return f"{self.mode}{ALPHABET[self.total]}{self.message}"


def parse_part(text: str) -> Part:
    """One SMS as received (surrounding white space, which some phones add, is dropped)."""
    text = text.strip()
    if len(text) <= HEADER or text[0] not in MODES:
        raise Malformed("not_ours", "not an SMS of this app")
    total, index = DIGIT.get(text[1], -1), DIGIT.get(text[2], -1)
    if not 1 <= total <= MAX_PARTS or not 0 <= index < total or any(ch not in DIGIT for ch in text[3:5]):
        raise Malformed("malformed", "bad part header")
    body = text[HEADER:]
    if len(body) > PART_CHARS or (index < total - 1 and len(body) != PART_CHARS):
        raise Malformed("truncated", "a part has the wrong length")
    return Part(text[0], total, index, text[3:5], body)


def split(mode: str, digits: str, item_id: uuid.UUID) -> list[str]:
    chunks = [digits[k : k + PART_CHARS] for k in range(0, len(digits), PART_CHARS)]
    if len(chunks) > MAX_PARTS:
        raise Unencodable("too long for SMS")
    ident = message_id(item_id)
    return [f"{mode}{ALPHABET[len(chunks)]}{ALPHABET[i]}{ident}{chunk}" for i, chunk in enumerate(chunks)]


# --- the whole message ------------------------------------------------------------------------------------------


def encode(
    item: dict[str, Any],
    device_id: int,
    key: bytes,
    mode: str | None = None,
    chain: tuple[int, int] | None = None,
) -> list[str]:
    """The SMS parts of a report item (the exact JSON object the outbox pushes) or of a tip (the object the tip queue
    sends to ``POST /api/v1/tips``, without its token); ``mode`` None: the shorter. ``chain``: (epoch, step) of
    ``key`` in its chain (version 2); None: version 1, ``key`` is the device key."""
    if mode is None:
        options = []
        for candidate in MODES:
            try:
                options.append(encode(item, device_id, key, candidate, chain))
            except Unencodable:
                continue
        if not options:
            raise Unencodable("too long for SMS")
        return min(options, key=lambda parts: (len(parts), sum(map(len, parts))))
    item_id = uuid.UUID(str(item.get("id")))
    if str(item_id) != item.get("id"):
        raise Unencodable("id spelling")
    bits = BitWriter()
    write_item(bits, item, mode)
    plain = bits.to_bytes()
    secret = bytes(a ^ b for a, b in zip(plain, _keystream(key, item_id.bytes, len(plain)), strict=True))
    version = 1 if chain is None else 2
    position = b"" if chain is None else _varint_bytes(chain[0]) + _varint_bytes(chain[1])
    signed = _varint_bytes(device_id) + position + item_id.bytes + secret
    parts = split(mode, to_digits(signed + _mac(key, mode, version, signed), version), item_id)
    if decode_parts(parts, lambda _: key)[1] != item:  # what the server will rebuild, or nothing
        raise Unencodable("does not round-trip")
    return parts


@dataclass(frozen=True)
class Envelope:
    """The clear half of a message: who says they sent it, which report."""

    mode: str
    device_id: int
    item_id: uuid.UUID
    secret: bytes
    mac: bytes
    signed: bytes
    version: int = 1
    epoch: int = 0
    step: int = 0


def assemble(parts: Sequence[Part]) -> Envelope:
    """The parts of one message (any order, all of them) as its envelope, before the MAC is checked."""
    if not parts or len({(p.mode, p.total, p.message) for p in parts}) != 1:
        raise Malformed("malformed", "parts of different messages")
    ordered = sorted(parts, key=lambda p: p.index)
    if [p.index for p in ordered] != list(range(parts[0].total)):
        raise Malformed("truncated", "parts are missing")
    version, payload = from_digits("".join(p.body for p in ordered))
    device_id, pos = _read_varint(payload, 0)
    epoch, step = 0, 0
    if version == 2:
        epoch, pos = _read_varint(payload, pos)
        step, pos = _read_varint(payload, pos)
    if len(payload) < pos + 16 + MAC_BYTES + 1:
        raise Malformed("truncated", "the message is too short")
    item_id = uuid.UUID(bytes=payload[pos : pos + 16])
    if message_id(item_id) != parts[0].message:
        raise Malformed("malformed", "the message id does not match the report")
    return Envelope(
        parts[0].mode,
        device_id,
        item_id,
        payload[pos + 16 : -MAC_BYTES],
        payload[-MAC_BYTES:],
        payload[:-MAC_BYTES],
        version,
        epoch,
        step,
    )


def _read_varint(payload: bytes, pos: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        if pos >= len(payload) or shift > 28:
            raise Malformed("truncated", "a number of the header is cut short")
        byte = payload[pos]
        value |= (byte & 0x7F) << shift
        pos, shift = pos + 1, shift + 7
        if not byte & 0x80:
            return value, pos


def verified(envelope: Envelope, key: bytes) -> bool:
    return hmac.compare_digest(_mac(key, envelope.mode, envelope.version, envelope.signed), envelope.mac)


def open_item(envelope: Envelope, key: bytes) -> dict[str, Any]:
    """The report item of a message whose MAC :func:`verified`; Malformed if its content is not well formed."""
    plain = bytes(
        a ^ b
        for a, b in zip(envelope.secret, _keystream(key, envelope.item_id.bytes, len(envelope.secret)), strict=True)
    )
    bits = BitReader(plain)
    item = read_item(bits, envelope.item_id, envelope.mode)
    if len(plain) * 8 - bits.pos >= 8 or any(bits.read(1) for _ in range(len(plain) * 8 - bits.pos)):
        raise Malformed("malformed", "bytes after the end")
    return item


def decode_parts(texts: Iterable[str], key_of: Any) -> tuple[Envelope, dict[str, Any]]:
    """Parse, assemble, check and open; ``key_of(envelope)`` gives the message's key. For tests and encode()."""
    envelope = assemble([parse_part(text) for text in texts])
    key = key_of(envelope)
    if not verified(envelope, key):
        raise Malformed("bad_mac", "the MAC does not match")
    return envelope, open_item(envelope, key)
