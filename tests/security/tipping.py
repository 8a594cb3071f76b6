"""The adversary's tools for tests/security/test_unlinkable_tips.py: a phone that files tips as ADR 0004 says, a
clock the test moves, and readers of everything an officer, the database and the logs hold.

``TipPhone`` wraps the ``Phone`` of tests/conftest.py (its device token, its group): it fetches blind-signed
tokens during its authenticated session (tests/tips/blinding.py is the phone's half of RFC 9474), files a tip in
a request of its own with no device token and no cookie, uploads its photo with the mailbox secret, and opens
the sealed mailbox entries with the tip's private key, as pwa/js/tips.js does.

It overlaps tests/tips/tipster.py (the tips server's own test phone), which was written at the same time: both
open mailbox entries from ADR 0004 alone, not with ``server.mailbox.sealing``. This one also keeps every blinded
value it sent and blind signature it got, which the token-unlinkability attack (g) looks for in the database.
Folding the two into one client is left to a later change.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask
from sqlalchemy import inspect, text

from server.extensions import db
from tests.conftest import Phone
from tests.tips.blinding import blind, finalize

MAILBOX_INFO = b"binhan mailbox v1"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text_: str) -> bytes:
    return base64.urlsafe_b64decode(text_ + "=" * (-len(text_) % 4))


class SimClock:
    """The server's clock (server.database.clock), moved by the test: a day of syncs runs in a second."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, when: datetime) -> None:
        self.now = when

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@dataclass(frozen=True)
class Token:
    key_id: str
    message: bytes
    signature: bytes

    def wire(self) -> dict[str, str]:
        return {"key_id": self.key_id, "message": b64url(self.message), "signature": b64url(self.signature)}


@dataclass
class Mailbox:
    secret: bytes
    private_key: ec.EllipticCurvePrivateKey
    since: int | None = None

    @classmethod
    def new(cls) -> Mailbox:
        return cls(secrets.token_bytes(32), ec.generate_private_key(ec.SECP256R1()))

    def wire(self) -> dict[str, str]:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"verifier": hashlib.sha256(self.secret).hexdigest(), "public_key": b64url(point)}

    def open(self, sealed: str) -> dict[str, Any]:
        """ephemeral P-256 point (65) ‖ nonce (12) ‖ AES-256-GCM; key = HKDF-SHA256(ECDH, no salt, MAILBOX_INFO)."""
        raw = unb64url(sealed)
        ephemeral = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw[:65])
        shared = self.private_key.exchange(ec.ECDH(), ephemeral)
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=MAILBOX_INFO).derive(shared)
        return dict(json.loads(AESGCM(key).decrypt(raw[65:77], raw[77:], None)))


@dataclass
class SentTip:
    id: str
    body: dict[str, Any]
    token: Token
    mailbox: Mailbox
    answer: Any
    tracking_code: str = ""


@dataclass
class TipPhone:
    """A group's phone filing anonymous tips; ``issued`` keeps every blinded value sent and blind signature got."""

    phone: Phone
    app: Flask
    tokens: list[Token] = field(default_factory=list)
    blinded_sent: list[bytes] = field(default_factory=list)
    signatures_got: list[bytes] = field(default_factory=list)

    def key(self) -> dict[str, Any]:
        answer = self.phone.client.get("/api/v1/tips/key", headers=self.phone.headers)
        assert answer.status_code == 200, answer.json
        return dict(answer.json)

    def fetch_tokens(self, count: int = 3) -> Any:
        """Blinds ``count`` fresh messages, asks the server to sign them with the device token, unblinds and checks."""
        key = self.key()
        public = serialization.load_der_public_key(unb64url(key["public_key"]))
        assert isinstance(public, rsa.RSAPublicKey)
        messages = [secrets.token_bytes(32) for _ in range(count)]
        blinded = [blind(public, message) for message in messages]
        body = {
            "request_id": str(uuid.uuid4()),
            "key_id": key["key_id"],
            "blinded": [b64url(b.blinded) for b in blinded],
        }
        answer = self.phone.client.post("/api/v1/tips/tokens", json=body, headers=self.phone.headers)
        if answer.status_code != 200:
            return answer
        self.blinded_sent += [b.blinded for b in blinded]
        for message, secret, signed in zip(messages, blinded, answer.json["blind_signatures"], strict=True):
            blind_signature = unb64url(signed)
            self.signatures_got.append(blind_signature)
            signature = finalize(public, message, blind_signature, secret.inv)
            self.tokens.append(Token(answer.json["key_id"], message, signature))
        return answer

    def tip_body(self, village_id: int, body: str, token: Token, mailbox: Mailbox, **fields: Any) -> dict[str, Any]:
        tip = {
            "id": str(uuid.uuid4()),
            "village_id": village_id,
            "category": "drugs",
            "urgency": "normal",
            "body": body,
            "location": "",
            "attachments": [],
            "mailbox": mailbox.wire(),
            **fields,
        }
        return {"token": token.wire(), "tip": tip}

    def send_tip(
        self, village_id: int, body: str = "Có người bán ma tuý ở cuối xóm.", token: Token | None = None, **fields: Any
    ) -> SentTip:
        """A tip in a request of its own: a fresh client (no cookie), no Authorization header."""
        token = token or self.tokens.pop(0)
        mailbox = Mailbox.new()
        request = self.tip_body(village_id, body, token, mailbox, **fields)
        answer = self.app.test_client().post("/api/v1/tips", json=request)
        sent = SentTip(request["tip"]["id"], request, token, mailbox, answer)
        if answer.status_code in (200, 201):
            sent.tracking_code = answer.json["tracking_code"]
        return sent

    def resend(self, sent: SentTip, token: Token | None = None, tip: dict[str, Any] | None = None) -> Any:
        body = {"token": (token or sent.token).wire(), "tip": tip or sent.body["tip"]}
        return self.app.test_client().post("/api/v1/tips", json=body)

    def upload(self, sent: SentTip, attachment_id: str, data: bytes) -> Any:
        return self.app.test_client().patch(
            f"/api/v1/tips/attachments/{attachment_id}?offset=0",
            data=data,
            headers={"Tip-Mailbox": b64url(sent.mailbox.secret), "Content-Type": "application/octet-stream"},
        )

    def poll(self, sent: SentTip, items: list[dict[str, Any]] | None = None) -> Any:
        """One mailbox request (tokenless); remembers ``since``."""
        body = {"secret": b64url(sent.mailbox.secret), "since": sent.mailbox.since, "items": items or []}
        answer = self.app.test_client().post("/api/v1/tips/mailbox", json=body)
        if answer.status_code == 200:
            sent.mailbox.since = answer.json["since"]
        return answer


# --- what the adversaries read ----------------------------------------------------------------------------

ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?")


def times_in(text_: str, local_offset: timedelta | None) -> Iterator[datetime]:
    """Every date-time written in ``text_``, in UTC; one without a zone is read as UTC, and as local time too when
    ``local_offset`` is given."""
    for match in ISO_TIME.finditer(text_):
        raw = match.group(0).replace(" ", "T").replace("Z", "+00:00")
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError:
            continue
        if parsed.tzinfo is None:
            yield parsed.replace(tzinfo=UTC)
            if local_offset is not None:
                yield (parsed - local_offset).replace(tzinfo=UTC)
        else:
            yield parsed.astimezone(UTC)


def all_rows() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, read with plain SQL as a thief of the database file or a dump would."""
    db.session.rollback()  # the requests share the test's session: end whatever read they left open
    tables = inspect(db.session.connection()).get_table_names()
    rows = {
        name: [dict(row._mapping) for row in db.session.execute(text(f'SELECT * FROM "{name}"'))]
        for name in tables
        if name != "alembic_version"
    }
    db.session.rollback()  # end the read: SQLite's BEGIN IMMEDIATE would hold the write lock against the app
    return rows


def foreign_keys() -> dict[str, list[tuple[list[str], str, list[str]]]]:
    """table → [(its columns, referred table, referred columns)]."""
    db.session.rollback()
    inspector = inspect(db.session.connection())
    found = {
        name: [
            (fk["constrained_columns"], fk["referred_table"], fk["referred_columns"])
            for fk in inspector.get_foreign_keys(name)
        ]
        for name in inspector.get_table_names()
    }
    db.session.rollback()
    return found


def primary_keys() -> dict[str, list[str]]:
    db.session.rollback()
    inspector = inspect(db.session.connection())
    found = {name: inspector.get_pk_constraint(name)["constrained_columns"] for name in inspector.get_table_names()}
    db.session.rollback()
    return found


def as_text(value: Any) -> str:
    """A cell as a searchable string: bytes as hex and base64url too, JSON as JSON."""
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        return f"{raw.hex()} {b64url(raw)}"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def encodings(raw: bytes) -> set[str]:
    """The ways a stored value could hold ``raw``: hex, base64url, base64, SHA-256 hex of it."""
    return {
        raw.hex(),
        b64url(raw),
        base64.b64encode(raw).decode().rstrip("="),
        hashlib.sha256(raw).hexdigest(),
        str(int.from_bytes(raw, "big")),
    }
