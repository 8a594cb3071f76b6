"""A minimal HTTP/1.1 client that counts every byte it sends and receives (headers included).

Python's http.client hides the header bytes; a benchmark of "bytes on the wire" must not. The client speaks
just enough HTTP/1.1 for the servers measured here (gunicorn, Kinto behind gunicorn): one request at a time,
either a fresh connection per request (``Connection: close``, the default) or one kept-alive connection,
responses framed by ``Content-Length``, chunked encoding or the end of the connection. Each exchange is timed
from the first byte sent to the last byte read, so the benchmarks' latencies come from the same place as
their byte counts.
"""

from __future__ import annotations

import base64
import gzip
import json
import socket
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Exchange:
    status: int
    body: Any
    sent: int
    received: int
    seconds: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


def basic_auth(user: str, password: str) -> str:
    """The ``Authorization`` value for HTTP basic auth (Kinto's usual scheme for a device)."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class WireClient:
    """Counts ``sent``/``received`` bytes over every exchange; ``headers`` are added to every request."""

    def __init__(
        self, host: str, port: int, *, keep_alive: bool = False, headers: dict[str, str] | None = None
    ) -> None:
        self.host, self.port = host, port
        self.keep_alive = keep_alive
        self.headers = dict(headers or {})
        self.sent = 0
        self.received = 0
        self.exchanges = 0
        self._sock: socket.socket | None = None
        self._buffer = b""

    def __enter__(self) -> WireClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock, self._buffer = None, b""

    def reset_counters(self) -> None:
        self.sent = self.received = self.exchanges = 0

    def post_json(
        self,
        path: str,
        payload: Any,
        *,
        token: str | None = None,
        compress: bool = True,
        headers: dict[str, str] | None = None,
    ) -> Exchange:
        """POST ``payload`` as compact UTF-8 JSON, gzip-compressed unless ``compress`` is false."""
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        extra = {"Content-Type": "application/json", **(headers or {})}
        if compress:
            body = gzip.compress(body)
            extra["Content-Encoding"] = "gzip"
        if token:
            extra["Authorization"] = f"Bearer {token}"
        return self.request("POST", path, body=body, headers=extra)

    def get(self, path: str, *, token: str | None = None, headers: dict[str, str] | None = None) -> Exchange:
        extra = dict(headers or {})
        if token:
            extra["Authorization"] = f"Bearer {token}"
        return self.request("GET", path, headers=extra)

    def request(
        self, method: str, path: str, *, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Exchange:
        """Send one request and read its whole response; counts the bytes of both."""
        merged = {"Host": f"{self.host}:{self.port}", "Accept-Encoding": "gzip", **self.headers, **(headers or {})}
        merged["Connection"] = "keep-alive" if self.keep_alive else "close"
        if body is not None or method in ("POST", "PUT", "PATCH"):
            merged["Content-Length"] = str(len(body or b""))
        head = "\r\n".join([f"{method} {path} HTTP/1.1", *(f"{k}: {v}" for k, v in merged.items())])
        request = (head + "\r\n\r\n").encode("latin-1") + (body or b"")
        reused = self._sock is not None
        started = time.perf_counter()
        try:
            raw, status, response_headers, payload = self._round_trip(request, method)
        except (ConnectionError, BrokenPipeError):
            if not reused:
                raise
            # The server closed an idle kept-alive connection (gunicorn's keep-alive is 2 s): a browser
            # retries on a new connection, and so does this client; the lost attempt is not counted.
            started = time.perf_counter()
            raw, status, response_headers, payload = self._round_trip(request, method)
        seconds = time.perf_counter() - started
        answer = decode_body(payload, response_headers)
        exchange = Exchange(status, answer, len(request), raw, seconds, response_headers)
        self.sent += exchange.sent
        self.received += exchange.received
        self.exchanges += 1
        return exchange

    def _round_trip(self, request: bytes, method: str) -> tuple[int, int, dict[str, str], bytes]:
        sock = self._connect()
        try:
            sock.sendall(request)
            return self._read_response(sock, method)
        except OSError:
            self.close()
            raise
        finally:
            if not self.keep_alive:
                self.close()

    def _connect(self) -> socket.socket:
        if self._sock is None:
            self._sock = socket.create_connection((self.host, self.port), timeout=120)
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._buffer = b""
        return self._sock

    def _read_response(self, sock: socket.socket, method: str) -> tuple[int, int, dict[str, str], bytes]:
        head = self._read_until(sock, b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        if method == "HEAD" or status in (204, 304):
            body_raw = body = b""
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body_raw, body = self._read_chunked(sock)
        elif "content-length" in headers:
            body_raw = body = self._read_exactly(sock, int(headers["content-length"]))
        else:
            body_raw = body = self._read_to_end(sock)
        if headers.get("connection", "").lower() == "close":
            self.close()
        return len(head) + 4 + len(body_raw), status, headers, body

    def _fill(self, sock: socket.socket) -> None:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed mid-response")
        self._buffer += chunk

    def _read_until(self, sock: socket.socket, marker: bytes) -> bytes:
        while marker not in self._buffer:
            self._fill(sock)
        data, _, self._buffer = self._buffer.partition(marker)
        return data

    def _read_exactly(self, sock: socket.socket, size: int) -> bytes:
        while len(self._buffer) < size:
            self._fill(sock)
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def _read_to_end(self, sock: socket.socket) -> bytes:
        while chunk := sock.recv(65536):
            self._buffer += chunk
        data, self._buffer = self._buffer, b""
        self.close()
        return data

    def _read_chunked(self, sock: socket.socket) -> tuple[bytes, bytes]:
        raw, body = b"", b""
        while True:
            size_line = self._read_until(sock, b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            chunk = self._read_exactly(sock, size + 2)  # the data and its CRLF
            raw += size_line + b"\r\n" + chunk
            if size == 0:
                return raw, body  # no trailers from the servers measured here
            body += chunk[:-2]


def _decompress(payload: bytes, encoding: str) -> bytes:
    """Undo the server's compression: gzip, or zstd and br, which it prefers when a browser offers them."""
    if encoding == "gzip":
        return gzip.decompress(payload)
    if encoding == "zstd":
        from backports import zstd  # Flask-Compress's own dependency

        return zstd.decompress(payload)
    if encoding == "br":
        import brotli  # Flask-Compress's own dependency

        return brotli.decompress(payload)
    return payload


def decode_body(payload: bytes, headers: dict[str, str]) -> Any:
    """The answer's body as the client means it: decompressed, and parsed when it is JSON."""
    payload = _decompress(payload, headers.get("content-encoding", ""))
    if not payload:
        return None
    if "json" in headers.get("content-type", ""):
        return json.loads(payload)
    return payload
