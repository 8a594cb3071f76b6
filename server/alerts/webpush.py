"""Sending Web Push messages (RFC 8030, encrypted per RFC 8291, VAPID per RFC 8292) through ``pywebpush``.

The VAPID key pair is shared by every app server (``VAPID_PRIVATE_KEY``); without one, a key is generated once in
the instance folder (enough for the embedded single-server set-up). Payloads are tiny JSON objects with no report
text: ``{"title": "Có tin khẩn mới", "code": "ABCD-1234"}``.
"""

from __future__ import annotations

import base64
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Target:
    endpoint: str
    p256dh: str
    auth: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def private_key() -> ec.EllipticCurvePrivateKey:
    configured = current_app.config.get("VAPID_PRIVATE_KEY") or ""
    if not configured:
        path = Path(current_app.instance_path) / "vapid_private.pem"
        if not path.exists():
            key = ec.generate_private_key(ec.SECP256R1())
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            # Written aside, then linked into place (atomic, and refused if there): two workers starting together
            # keep the first one's key, and none reads a half-written file.
            temporary = path.with_name(f".vapid-{os.getpid()}.pem")
            temporary.write_bytes(pem)
            temporary.chmod(0o600)
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass
            finally:
                temporary.unlink()
        configured = path.read_text()
    if "BEGIN" in configured:
        loaded = serialization.load_pem_private_key(configured.encode(), password=None)
        if not isinstance(loaded, ec.EllipticCurvePrivateKey):
            raise ValueError("VAPID_PRIVATE_KEY must be a P-256 key")
        return loaded
    raw = base64.urlsafe_b64decode(configured + "=" * (-len(configured) % 4))
    return ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())


def public_key() -> str:
    """The applicationServerKey browsers subscribe with: the uncompressed P-256 point, base64url."""
    point = (
        private_key()
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return _b64(point)


def send(target: Target, payload: dict[str, Any], *, ttl: int = 3600, urgency: str = "high") -> int:
    """Encrypt and POST one message; returns the push service's status (0: unreachable). 404/410: gone."""
    from py_vapid import Vapid02
    from pywebpush import WebPushException, webpush

    vapid = Vapid02(private_key=private_key())
    try:
        response = webpush(
            {"endpoint": target.endpoint, "keys": {"p256dh": target.p256dh, "auth": target.auth}},
            data=json.dumps(payload, ensure_ascii=False),
            vapid_private_key=vapid,
            vapid_claims={"sub": current_app.config["VAPID_SUBJECT"]},
            ttl=ttl,
            timeout=current_app.config["PUSH_TIMEOUT_SECONDS"],
            headers={"Urgency": urgency},
        )
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else 0
        log.info("push refused: %s", status)  # never the endpoint: it identifies a browser
        return int(status)
    except Exception as exc:
        log.info("push service unreachable: %s", type(exc).__name__)
        return 0
    return int(getattr(response, "status_code", 201))
