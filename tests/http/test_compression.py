"""Gzip both ways: phones on 2G compress their batches; answers come back compressed."""

from __future__ import annotations

import gzip
import json

from server.extensions import db
from server.reports.models import Report
from tests.conftest import report_item


def _post_gzip(phone, raw: bytes):
    return phone.client.post(
        "/api/v1/sync",
        data=raw,
        headers={
            **phone.headers,
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
            "Accept-Encoding": "gzip",
        },
    )


def test_gzip_request_and_response(phone, demo):
    items = [report_item(demo.household("DONG-01").id) for _ in range(20)]
    body = json.dumps({"cursor": None, "push": items}).encode()
    compressed = gzip.compress(body)
    assert len(compressed) < len(body) / 2
    response = _post_gzip(phone, compressed)
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    answer = json.loads(gzip.decompress(response.data))
    assert [r["status"] for r in answer["results"]] == ["created"] * 20
    assert db.session.scalar(db.select(db.func.count()).select_from(Report)) == 20


def test_gzip_bomb_is_refused_before_it_expands(phone, demo):
    bomb = gzip.compress(b'{"push": [' + b" " * (50 * 1024 * 1024) + b"]}")
    assert len(bomb) < 100_000
    response = _post_gzip(phone, bomb)
    assert response.status_code == 413
    assert response.json["error"]["code"] == "payload_too_large"


def test_broken_gzip_is_a_clear_error(phone, demo):
    response = _post_gzip(phone, b"\x1f\x8b\x08\x00 this is not gzip")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_gzip"
    truncated = gzip.compress(json.dumps({"cursor": None, "push": []}).encode())[:-6]
    assert _post_gzip(phone, truncated).json["error"]["code"] == "bad_gzip"
