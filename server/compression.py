"""Gzip request bodies: phones on 2G compress their sync batches; responses are compressed by Flask-Compress.

A WSGI middleware, so that every view sees a plain body. The decompressed size is bounded (a gzip bomb of a few
KB must not expand into memory): past ``max_size`` the request is refused with 413 before any view runs.
"""

from __future__ import annotations

import io
import json
import zlib
from collections.abc import Callable, Iterable
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _error(start_response: Callable[..., Any], status: str, code: str, message: str) -> list[bytes]:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


class GzipRequestMiddleware:
    def __init__(self, app: WSGIApp, max_compressed: int, max_size: int) -> None:
        self.app = app
        self.max_compressed = max_compressed
        self.max_size = max_size

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("HTTP_CONTENT_ENCODING", "").strip().lower() != "gzip":
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > self.max_compressed:
            return _error(start_response, "413 Payload Too Large", "payload_too_large", "The body is too large.")
        compressed = environ["wsgi.input"].read(length) if length else b""
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            body = inflater.decompress(compressed, self.max_size + 1)
        except zlib.error:
            return _error(start_response, "400 Bad Request", "bad_gzip", "The body is not valid gzip.")
        if len(body) > self.max_size or inflater.unconsumed_tail:
            return _error(
                start_response,
                "413 Payload Too Large",
                "payload_too_large",
                "The body is too large once decompressed.",
            )
        if not inflater.eof:
            return _error(start_response, "400 Bad Request", "bad_gzip", "The gzip body is cut short.")
        environ = {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
        environ.pop("HTTP_CONTENT_ENCODING", None)
        return self.app(environ, start_response)
