"""Hostile JSON bodies get a clear 4xx with the error shape, never a 500 or a 2xx that drops what was sent.

A body nested thousands of levels deep made the JSON decoder raise RecursionError (500), even on the
unauthenticated sign-in and enrolment. A sync body sent as text/plain (what ``fetch`` sends for a string) or
with no content type was answered 200 with its items silently ignored: the phone then dropped them.
"""

from __future__ import annotations

import json

import pytest

from server.extensions import db
from server.reports.models import Report
from tests.conftest import report_item

DEEP = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 50_000 + b"1" + b"}" * 50_000


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["array", "object"])
@pytest.mark.parametrize("url", ["/api/v1/officer/login", "/api/v1/enrol"])
def test_deeply_nested_json_is_a_400_on_the_open_endpoints(app, demo, url: str, body: bytes) -> None:
    answer = app.test_client().post(url, data=body, content_type="application/json")
    assert answer.status_code == 400
    assert answer.json["error"]["code"] == "json_too_deep"


def test_deeply_nested_json_is_a_400_on_sync_and_stores_nothing(phone) -> None:
    answer = phone.client.post("/api/v1/sync", data=DEEP, content_type="application/json", headers=phone.headers)
    assert answer.status_code == 400
    assert answer.json["error"]["code"] == "json_too_deep"
    assert db.session.query(Report).count() == 0


def test_deeply_nested_json_is_a_400_for_a_signed_in_officer(officer) -> None:
    answer = officer.post("/api/v1/officer/me/password", data=DEEP, content_type="application/json")
    assert answer.status_code == 400
    assert answer.json["error"]["code"] == "json_too_deep"


@pytest.mark.parametrize("content_type", ["text/plain;charset=UTF-8", None, "application/x-www-form-urlencoded"])
def test_a_sync_body_that_is_not_json_is_415_and_keeps_nothing(phone, demo, content_type: str | None) -> None:
    body = json.dumps({"cursor": None, "push": [report_item(demo.household("DONG-01").id)]}).encode()
    headers = dict(phone.headers)
    if content_type:
        headers["Content-Type"] = content_type
    answer = phone.client.post("/api/v1/sync", data=body, headers=headers)
    assert answer.status_code == 415
    assert answer.json["error"]["code"] == "unsupported_media_type"
    assert db.session.query(Report).count() == 0


def test_the_same_body_as_json_is_stored(phone, demo) -> None:
    body = json.dumps({"cursor": None, "push": [report_item(demo.household("DONG-01").id)]}).encode()
    answer = phone.client.post("/api/v1/sync", data=body, content_type="application/json", headers=phone.headers)
    assert answer.status_code == 200 and answer.json["results"][0]["status"] == "created"
