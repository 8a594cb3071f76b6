"""A local Web Push service for tests: the whole chain (VAPID, RFC 8291 encryption, delivery) checked offline.

``PushService`` listens on a free port and accepts ``POST /push/<n>``, as a browser vendor's push service does;
``subscription()`` makes what a browser's ``PushManager.subscribe`` would give (an endpoint on this service, a
fresh P-256 key pair and auth secret), and every message received is decrypted with that subscription's keys
(``http_ece``) and its VAPID ``Authorization`` header kept for checking.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from benchmarks.live import free_port


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    payload: dict[str, Any]


@dataclass
class PushService:
    port: int = 0
    keys: dict[str, tuple[ec.EllipticCurvePrivateKey, bytes]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    status: int = 201  # what the service answers (410: the subscription is gone)
    _server: ThreadingHTTPServer | None = None
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    def start(self) -> PushService:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                key, auth = service.keys[self.path]
                plain = http_ece.decrypt(body, private_key=key, auth_secret=auth, version="aes128gcm")
                with service._arrived:
                    service.received.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, json.loads(plain))
                    )
                    service._arrived.notify_all()
                self.send_response(service.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.port = free_port()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def subscription(self) -> dict[str, Any]:
        """A new browser subscription on this service (the JSON ``PushSubscription.toJSON()`` gives)."""
        path = f"/push/{len(self.keys) + 1}"
        key = ec.generate_private_key(ec.SECP256R1())
        auth = os.urandom(16)
        self.keys[path] = (key, auth)
        public = key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"endpoint": f"http://127.0.0.1:{self.port}{path}", "keys": {"p256dh": b64(public), "auth": b64(auth)}}

    def wait_for(self, count: int, seconds: float = 60) -> list[Received]:
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.received) >= count, timeout=seconds)
            return list(self.received)

    def to(self, subscription: dict[str, Any]) -> list[Received]:
        path = subscription["endpoint"].split(str(self.port), 1)[1]
        return [r for r in self.received if r.path == path]
