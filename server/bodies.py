"""Request bodies sent with ``Transfer-Encoding: chunked`` are measured before any view sees them.

Every size limit here is checked against ``Content-Length``; a chunked body has none. Werkzeug then cut such
a body at MAX_CONTENT_LENGTH without a word, so a 3 MB photo chunk was stored as 2 MB and answered 200, and
the 512 KB chunk limit was never checked. This WSGI middleware reads a chunked body (spooled to disk past
1 MB, so memory stays bounded) up to the largest body any endpoint accepts, refuses it with 413 if it goes
beyond, and otherwise hands it on with a real ``Content-Length``: every limit downstream then applies to the
bytes actually sent, whatever the framing.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterable
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_BLOCK = 64 * 1024
_IN_MEMORY = 1024 * 1024


def _too_large(start_response: Callable[..., Any]) -> list[bytes]:
    body = json.dumps({"error": {"code": "payload_too_large", "message": "The request body is too large."}}).encode()
    start_response(
        "413 Payload Too Large",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body))), ("Connection", "close")],
    )
    return [body]


class ChunkedBodyMiddleware:
    def __init__(self, app: WSGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not chunked or environ.get("CONTENT_LENGTH"):
            return self.app(environ, start_response)
        spool = tempfile.SpooledTemporaryFile(max_size=_IN_MEMORY)  # noqa: SIM115 (closed below)
        size = 0
        stream = environ["wsgi.input"]
        while block := stream.read(min(_BLOCK, self.max_bytes + 1 - size)):
            size += len(block)
            if size > self.max_bytes:
                spool.close()
                return _too_large(start_response)
            spool.write(block)
        spool.seek(0)
        environ = {**environ, "wsgi.input": spool, "CONTENT_LENGTH": str(size)}
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        environ.pop("wsgi.input_terminated", None)
        try:
            # Flask reads the whole body while it builds the response, so the spool is done with here.
            return self.app(environ, start_response)
        finally:
            spool.close()
