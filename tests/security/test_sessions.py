"""Officer sessions: cookie flags, CSRF refused without the token (and nothing changes), sessions that end.

The session is the only officer credential: it must not be readable by script (HttpOnly), not sent on
cross-site requests (SameSite=Lax), only over HTTPS behind a TLS proxy (Secure with SESSION_COOKIE_SECURE=1).
Phones never get a cookie at all.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from server.audit.models import AuditEvent
from server.config import load_config
from server.extensions import db
from server.reports.models import Report
from tests.conftest import report_item


def _cookie_flags(set_cookie: str) -> dict[str, str]:
    name_value, *attributes = [part.strip() for part in set_cookie.split(";")]
    flags = {"name": name_value.split("=", 1)[0]}
    for attribute in attributes:
        key, _, value = attribute.partition("=")
        flags[key.lower()] = value or "yes"
    return flags


def _login(client, username: str = "demo", password: str = "demo-officer"):
    return client.post("/api/v1/officer/login", json={"username": username, "password": password})


def test_the_session_cookie_is_httponly_and_samesite(app, demo) -> None:
    answer = _login(app.test_client())
    assert answer.status_code == 200
    flags = _cookie_flags(answer.headers["Set-Cookie"])
    assert flags["name"] == "binhan_session"
    assert flags.get("httponly") == "yes"
    assert flags.get("samesite") == "Lax"
    assert flags.get("path") == "/"
    assert "secure" not in flags  # plain HTTP on the embedded set-up; see the next test for production


def test_the_session_cookie_is_secure_when_configured(app, demo, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    assert load_config(tmp_path)["SESSION_COOKIE_SECURE"] is True
    app.config["SESSION_COOKIE_SECURE"] = True
    try:
        answer = _login(app.test_client())
        assert _cookie_flags(answer.headers["Set-Cookie"]).get("secure") == "yes"
    finally:
        app.config["SESSION_COOKIE_SECURE"] = False


def test_phones_get_no_cookie(phone, demo) -> None:
    answer = phone.sync([report_item(demo.household("DONG-01").id)])
    assert answer.status_code == 200
    assert "Set-Cookie" not in answer.headers


def _status_change(officer_client, report_id: str, token: str | None):
    headers = {"X-CSRF-Token": token} if token is not None else {}
    return officer_client.post(
        f"/api/v1/officer/reports/{report_id}/status", json={"status": "resolved"}, headers=headers
    )


@pytest.mark.parametrize("token", [None, "", "wrong-token", "another-session"])
def test_a_change_without_the_sessions_csrf_token_is_refused_and_changes_nothing(
    app, phone, demo, sign_in, token: str | None
) -> None:
    item = report_item(demo.household("DONG-01").id)
    phone.sync([item])
    officer = sign_in()
    if token == "another-session":
        token = sign_in("truongcongan", "demo-head").csrf_token  # valid, but not this session's
    audit_before = db.session.query(AuditEvent).count()
    answer = _status_change(officer.client, item["id"], token)
    assert answer.status_code == 403
    assert answer.json["error"]["code"] == "csrf_failed"
    db.session.expire_all()
    assert db.session.get(Report, uuid.UUID(item["id"])).status.value == "new"
    assert db.session.query(AuditEvent).count() == audit_before
    assert _status_change(officer.client, item["id"], officer.csrf_token).status_code == 200


def test_reads_need_no_token_but_a_session(app, demo, sign_in) -> None:
    assert sign_in().get("/api/v1/officer/reports").status_code == 200
    anonymous = app.test_client().get("/api/v1/officer/reports")
    assert anonymous.status_code == 401 and anonymous.json["error"]["code"] == "unauthorized"


def test_a_password_change_ends_the_other_sessions(app, demo, sign_in) -> None:
    laptop, phone_browser = sign_in(), sign_in()
    changed = laptop.post(
        "/api/v1/officer/me/password",
        json={"current_password": "demo-officer", "new_password": "a-new-long-passphrase"},
    )
    assert changed.status_code == 204, changed.json
    assert laptop.get("/api/v1/officer/me").status_code == 200, "the session that changed it stays"
    assert phone_browser.get("/api/v1/officer/me").status_code == 401
