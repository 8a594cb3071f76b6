"""Enrolling a phone with a one-time code, and revoking it."""

from __future__ import annotations

import uuid
from datetime import timedelta

from server.database import utcnow
from server.extensions import db
from server.groups import operations as groups
from server.groups.models import Device, EnrolmentCode
from server.tokens import sha256_hex


def test_enrolment_returns_token_group_and_cursor(client, demo):
    code = groups.issue_enrolment_code(demo.groups["DONG-01"])
    response = client.post("/api/v1/enrol", json={"code": code})
    assert response.status_code == 201
    body = response.json
    assert body["group"]["code"] == "DONG-01"
    assert body["group"]["village"]["name"] == "Thôn Đông"
    assert [h["name"] for h in body["group"]["households"]][:2] == [
        "Hộ ông Nguyễn Văn An",
        "Hộ bà Trần Thị Bình",
    ]
    assert len(body["group"]["households"]) == 6
    assert isinstance(body["cursor"], str)
    # The server keeps only the token's hash.
    device = db.session.scalar(db.select(Device))
    assert device.token_hash == sha256_hex(body["device_token"])
    assert body["device_token"] not in device.token_hash


def test_code_is_accepted_as_people_type_it(client, demo):
    code = groups.issue_enrolment_code(demo.groups["TAY-01"])
    typed = code.replace("-", " ").lower().replace("0", "o")
    response = client.post("/api/v1/enrol", json={"code": typed})
    assert response.status_code == 201
    assert response.json["group"]["code"] == "TAY-01"


def test_code_works_only_once(client, demo):
    code = groups.issue_enrolment_code(demo.groups["DONG-01"])
    assert client.post("/api/v1/enrol", json={"code": code}).status_code == 201
    again = client.post("/api/v1/enrol", json={"code": code})
    assert again.status_code == 410
    assert again.json["error"]["code"] == "enrolment_code_used"


def test_expired_code_is_refused(client, demo):
    code = groups.issue_enrolment_code(demo.groups["DONG-01"])
    db.session.scalar(db.select(EnrolmentCode)).expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = client.post("/api/v1/enrol", json={"code": code})
    assert response.status_code == 410
    assert response.json["error"]["code"] == "enrolment_code_expired"
    assert db.session.scalar(db.select(db.func.count(Device.id))) == 0


REQUEST_ID = "5d0c1f1e-3b8a-4d55-9c39-7f6a2c1b0e42"


def test_a_phone_that_lost_the_answer_gets_a_new_token_for_the_same_device(client, demo):
    code = groups.issue_enrolment_code(demo.groups["DONG-01"])
    lost = client.post("/api/v1/enrol", json={"code": code, "request_id": REQUEST_ID}).json["device_token"]
    retry = client.post("/api/v1/enrol", json={"code": code, "request_id": REQUEST_ID})
    assert retry.status_code == 201
    assert retry.json["group"]["code"] == "DONG-01"
    assert db.session.scalar(db.select(db.func.count(Device.id))) == 1
    sync = {"cursor": None, "push": []}
    fresh = {"Authorization": f"Bearer {retry.json['device_token']}"}
    assert client.post("/api/v1/sync", json=sync, headers=fresh).status_code == 200
    stale = client.post("/api/v1/sync", json=sync, headers={"Authorization": f"Bearer {lost}"})
    assert stale.status_code == 401, "the token nobody heard is replaced, not kept beside the new one"


def test_a_spent_code_with_another_request_id_stays_spent(client, demo):
    code = groups.issue_enrolment_code(demo.groups["DONG-01"])
    assert client.post("/api/v1/enrol", json={"code": code, "request_id": REQUEST_ID}).status_code == 201
    other = client.post("/api/v1/enrol", json={"code": code, "request_id": REQUEST_ID.replace("5", "6")})
    assert other.status_code == 410
    assert other.json["error"]["code"] == "enrolment_code_used"


def test_the_retry_window_closes(client, demo):
    code = groups.issue_enrolment_code(demo.groups["DONG-01"])
    assert client.post("/api/v1/enrol", json={"code": code, "request_id": REQUEST_ID}).status_code == 201
    db.session.scalar(db.select(EnrolmentCode)).used_at = utcnow() - timedelta(minutes=16)
    db.session.commit()
    late = client.post("/api/v1/enrol", json={"code": code, "request_id": REQUEST_ID})
    assert late.status_code == 410


def test_a_revoked_phone_cannot_come_back_by_retrying(client, demo):
    code = groups.issue_enrolment_code(demo.groups["DONG-01"])
    assert client.post("/api/v1/enrol", json={"code": code, "request_id": REQUEST_ID}).status_code == 201
    groups.revoke_device(db.session.scalar(db.select(Device)), officer_id=None)
    again = client.post("/api/v1/enrol", json={"code": code, "request_id": REQUEST_ID})
    assert again.status_code == 410


def test_unknown_code_is_404(client, demo):
    response = client.post("/api/v1/enrol", json={"code": "AAAA-BBBB-CCCC"})
    assert response.status_code == 404
    assert response.json["error"]["code"] == "enrolment_code_unknown"


def test_sync_needs_a_token(client, demo):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        response = client.post("/api/v1/sync", json={"cursor": None, "push": []}, headers=headers)
        assert response.status_code == 401
        assert response.json["error"]["code"] == "unauthorized"


def test_revoked_phone_stops_working_at_once(phone, demo):
    assert phone.sync().status_code == 200
    device = db.session.scalar(db.select(Device))
    groups.revoke_device(device, officer_id=None)
    response = phone.sync()
    assert response.status_code == 401
    assert response.json["error"]["code"] == "device_revoked"
    status = phone.client.get(f"/api/v1/attachments/{uuid.uuid4()}", headers=phone.headers)
    assert status.status_code == 401


def test_enrolment_is_rate_limited(client, demo):
    for _ in range(10):
        client.post("/api/v1/enrol", json={"code": "AAAA-BBBB-CCCC"})
    response = client.post("/api/v1/enrol", json={"code": "AAAA-BBBB-CCCC"})
    assert response.status_code == 429
    assert response.json["error"]["code"] == "rate_limited"
    assert int(response.headers["Retry-After"]) > 0
