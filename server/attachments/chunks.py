"""One chunk of a resumable upload as a request carries it: the phone's photo upload and a tip's photo upload
(server/tips/views.py) read their body the same way."""

from __future__ import annotations

from typing import Any

from flask import current_app, request

from ..errors import PayloadTooLarge, UnsupportedMediaType

_CHUNK_TYPES = {"application/octet-stream", "application/offset+octet-stream"}

# The OpenAPI request body of a chunk: raw bytes, not JSON.
CHUNK_BODY: dict[str, Any] = {
    "required": True,
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
}


def chunk_from_request() -> bytes:
    """The chunk's bytes, refused before they are read when the type is not raw bytes or the chunk too large."""
    if request.mimetype not in _CHUNK_TYPES:
        raise UnsupportedMediaType("Send the chunk as application/octet-stream.")
    if (request.content_length or 0) > current_app.config["ATTACHMENT_CHUNK_MAX_BYTES"]:
        raise PayloadTooLarge("Chunks are at most 512 KB.")
    return request.get_data()
