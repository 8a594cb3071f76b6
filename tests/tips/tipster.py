"""``Tipster``: a phone's anonymous half as ADR 0004 describes it, for tests (functional, security, faults).

It gets blind-signed tokens with the phone's device token (``key``, ``tokens``), then sends a tip alone with no
device token and no cookie (``send``/``tip``), uploads its photos with the mailbox secret (``upload``), and
reads its mailbox (``mailbox``, ``opened``: the sealed entries decrypted with the tip's P-256 private key).

``client`` is the Flask test client or a ``tests.conftest.HttpClient`` (live gunicorn); both answer with
``status_code`` and ``json``. Over HTTP, statuses in ``retry_statuses`` raise ``RetryLater`` (default: none, so
a test sees every 409 and 429 itself).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from server.mailbox import sealing
from tests.conftest import HttpClient

from . import blinding

b64url = sealing.b64url


@dataclass(frozen=True)
class Token:
    key_id: str
    message: bytes
    signature: bytes

    def json(self) -> dict[str, str]:
        return {"key_id": self.key_id, "message": b64url(self.message), "signature": b64url(self.signature)}


@dataclass
class Tip:
    """A tip as the phone keeps it: the body it sends (and resends), its token, its mailbox keys."""

    token: Token
    tip: dict[str, Any]
    secret: bytes
    private_key: ec.EllipticCurvePrivateKey
    tracking_code: str | None = None
    since: int | None = None
    opened: list[dict[str, Any]] = field(default_factory=list)  # decrypted mailbox entries, in order

    @property
    def id(self) -> str:
        return str(self.tip["id"])

    @property
    def body(self) -> dict[str, Any]:
        return {"token": self.token.json(), "tip": self.tip}

    @property
    def header(self) -> dict[str, str]:
        return {"Tip-Mailbox": b64url(self.secret)}


def open_entry(private_key: ec.EllipticCurvePrivateKey, sealed: str, info: bytes = b"binhan mailbox v1") -> Any:
    """Open a mailbox entry as the phone does, written from ADR 0004 alone (not with the server's code):
    ephemeral P-256 point (65) ‖ nonce (12) ‖ AES-256-GCM ciphertext+tag, key = HKDF-SHA256(ECDH, salt empty,
    info "binhan mailbox v1"; "binhan household v1" for a household's feed entry, ADR 0005), unpadded base64url."""
    assert "=" not in sealed
    raw = base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))
    ephemeral = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw[:65])
    shared = private_key.exchange(ec.ECDH(), ephemeral)
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"", info=info).derive(shared)
    return json.loads(AESGCM(key).decrypt(raw[65:77], raw[77:], None).decode("utf-8"))


def new_mailbox() -> tuple[bytes, ec.EllipticCurvePrivateKey, dict[str, str]]:
    secret = secrets.token_bytes(32)
    private = ec.generate_private_key(ec.SECP256R1())
    point = private.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return secret, private, {"verifier": hashlib.sha256(secret).hexdigest(), "public_key": b64url(point)}


class Tipster:
    def __init__(self, client: Any, device_headers: dict[str, str], village_id: int) -> None:
        self.client = client
        self.device_headers = device_headers
        self.village_id = village_id
        self.retry_statuses: tuple[int, ...] = ()
        self.public: rsa.RSAPublicKey | None = None
        self.key_id: str | None = None
        self.wallet: list[Token] = []
        self.pending: tuple[str, str, list[bytes], list[blinding.Blinded]] | None = None
        self.last_request: tuple[str, str, list[bytes], list[blinding.Blinded]] | None = None

    @classmethod
    def of(cls, phone: Any) -> Tipster:
        """The anonymous half of a ``tests.conftest.Phone`` (same client, its device token for tokens only)."""
        return cls(phone.client, phone.headers, phone.group["village"]["id"])

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        if isinstance(self.client, HttpClient):
            kwargs.setdefault("retry_statuses", self.retry_statuses)
            return self.client.request(method, path, **kwargs)
        return self.client.open(path, method=method, **kwargs)

    # --- tokens, with the device token ------------------------------------------------------------------

    def key(self) -> Any:
        answer = self._call("GET", "/api/v1/tips/key", headers=self.device_headers)
        if answer.status_code == 200:
            der = sealing.from_b64url(answer.json["public_key"])
            public = serialization.load_der_public_key(der)
            assert isinstance(public, rsa.RSAPublicKey)
            self.public, self.key_id = public, answer.json["key_id"]
        return answer

    def request_tokens(self, count: int = 3, request_id: str | None = None) -> tuple[Any, list[Token]]:
        """One ``POST /api/v1/tips/tokens``; returns the answer and the finalised tokens (checked like the phone).

        As the phone's outbox does, a request that got no answer (``RetryLater`` over HTTP) is kept in
        ``pending`` and the next call sends it again, same ``request_id`` and same blinded values; ``resend``
        does that on purpose after an answer.
        """
        if self.public is None:
            assert self.key().status_code == 200
        assert self.public is not None and self.key_id is not None
        if self.pending is None:
            messages = [secrets.token_bytes(32) for _ in range(count)]
            blinded = [blinding.blind(self.public, message) for message in messages]
            self.pending = (request_id or str(uuid.uuid4()), self.key_id, messages, blinded)
        request_id, key_id, messages, blinded = self.pending
        body = {"request_id": request_id, "key_id": key_id, "blinded": [b64url(b.blinded) for b in blinded]}
        answer = self._call("POST", "/api/v1/tips/tokens", json=body, headers=self.device_headers)
        self.last_request, self.pending = self.pending, None
        got: list[Token] = []
        if answer.status_code == 200:
            for message, b, signed in zip(messages, blinded, answer.json["blind_signatures"], strict=False):
                signature = blinding.finalize(self.public, message, sealing.from_b64url(signed), b.inv)
                got.append(Token(answer.json["key_id"], message, signature))
        return answer, got

    def resend(self) -> tuple[Any, list[Token]]:
        """The last token request again, as a phone that lost its answer would send it."""
        self.pending = self.last_request
        return self.request_tokens()

    def tokens(self, count: int = 3) -> list[Token]:
        answer, got = self.request_tokens(count)
        assert answer.status_code == 200, answer.json
        self.wallet += got
        return got

    # --- the tip, alone ----------------------------------------------------------------------------------

    def new_tip(self, token: Token | None = None, **fields: Any) -> Tip:
        """A tip ready to send (not sent); ``fields`` replace any field of ``tip``."""
        if token is None:
            if not self.wallet:
                self.tokens(1)
            token = self.wallet.pop(0)
        secret, private, mailbox = new_mailbox()
        tip = {
            "id": str(uuid.uuid4()),
            "village_id": self.village_id,
            "category": "drugs",
            "urgency": "normal",
            "body": "Có người bán ma tuý ở nhà kho cuối thôn, tối nào cũng có xe máy lạ đến.",
            "location": "Nhà kho cuối thôn",
            "attachments": [],
            "mailbox": mailbox,
            **fields,
        }
        return Tip(token, tip, secret, private)

    def send(self, tip: Tip) -> Any:
        """``POST /api/v1/tips`` with no device token and no cookie; a 200/201 records the tracking code."""
        answer = self._call("POST", "/api/v1/tips", json=tip.body)
        if answer.status_code in (200, 201):
            tip.tracking_code = answer.json["tracking_code"]
        return answer

    def tip(self, **fields: Any) -> Tip:
        """A tip sent and stored (201)."""
        tip = self.new_tip(**fields)
        answer = self.send(tip)
        assert answer.status_code == 201, answer.json
        return tip

    # --- photos and mailbox, with the mailbox secret ---------------------------------------------------------

    def upload_status(self, tip: Tip, attachment_id: str) -> Any:
        return self._call("GET", f"/api/v1/tips/attachments/{attachment_id}", headers=tip.header)

    def upload(self, tip: Tip, attachment_id: str, data: bytes, offset: int = 0, headers: Any = None) -> Any:
        sent = {**(tip.header if headers is None else headers), "Content-Type": "application/octet-stream"}
        return self._call("PATCH", f"/api/v1/tips/attachments/{attachment_id}?offset={offset}", data=data, headers=sent)

    def mailbox(self, tip: Tip, items: list[dict[str, Any]] | None = None, since: Any = "__mine__") -> Any:
        """One ``POST /api/v1/tips/mailbox``; a 200 opens the new entries into ``tip.opened`` and moves ``since``."""
        cursor = tip.since if since == "__mine__" else since
        body = {"secret": b64url(tip.secret), "since": cursor, "items": items or []}
        answer = self._call("POST", "/api/v1/tips/mailbox", json=body)
        if answer.status_code == 200:
            for entry in answer.json["entries"]:
                tip.opened.append(open_entry(tip.private_key, entry["sealed"]))
            tip.since = answer.json["since"]
        return answer


def follow_up(body: str = "Tối nay họ lại đến, cháu thấy rõ mặt.") -> dict[str, Any]:
    return {"type": "message", "id": str(uuid.uuid4()), "body": body}


def receipt(target_id: str) -> dict[str, Any]:
    return {"type": "receipt", "target_id": target_id}
