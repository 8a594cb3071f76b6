"""Body limits hold whatever the framing: a chunked (Transfer-Encoding) upload cannot skip them.

Without a Content-Length the 512 KB chunk limit was not checked, and the 2 MB request limit cut the body
silently: a 3 MB chunk was stored as 2 MB and answered 200. The limit is now enforced on the bytes read, and
a body that does not fit is 413 with nothing kept, never 200 for bytes the server did not keep.
"""

from __future__ import annotations

import io
import os

from server.attachments.models import Attachment
from server.extensions import db
from tests.conftest import photo_declaration


def _chunked_patch(phone, attachment_id: str, offset: int, data: bytes):
    """The request a client sends with Transfer-Encoding: chunked: no Content-Length at all."""
    return phone.client.patch(
        f"/api/v1/attachments/{attachment_id}?offset={offset}",
        input_stream=io.BytesIO(data),
        headers={**phone.headers, "Content-Type": "application/octet-stream", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True, "CONTENT_LENGTH": ""},
    )


def test_a_chunked_chunk_over_the_limit_is_413_and_nothing_is_kept(app, phone, demo) -> None:
    data = os.urandom(5 * 1024 * 1024)
    declared = photo_declaration(data, "image/jpeg")
    phone.send_report(attachments=[declared])
    answer = _chunked_patch(phone, declared["id"], 0, data[: 3 * 1024 * 1024])
    assert answer.status_code == 413
    assert answer.json["error"]["code"] == "payload_too_large"
    assert phone.upload_status(declared["id"]).json["received"] == 0
    db.session.expire_all()
    assert db.session.get(Attachment, __import__("uuid").UUID(declared["id"])).received == 0


def test_a_chunked_chunk_within_the_limit_is_kept_whole(app, phone, demo) -> None:
    data = os.urandom(600 * 1024)
    declared = photo_declaration(data, "image/jpeg")
    phone.send_report(attachments=[declared])
    answer = _chunked_patch(phone, declared["id"], 0, data[: 512 * 1024])
    assert answer.status_code == 200, answer.json
    assert answer.json["received"] == 512 * 1024


def test_a_chunked_sync_body_over_the_limit_is_413(phone) -> None:
    body = b'{"cursor": null, "push": [], "pad": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    answer = phone.client.post(
        "/api/v1/sync",
        input_stream=io.BytesIO(body),
        headers={**phone.headers, "Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True, "CONTENT_LENGTH": ""},
    )
    assert answer.status_code == 413
    assert answer.json["error"]["code"] == "payload_too_large"
