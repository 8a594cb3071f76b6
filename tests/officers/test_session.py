"""Signing in and out, password changes that end other sessions, and the login rate limit (Redis-backed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis

from server.config import load_config
from server.extensions import db
from server.officers.models import Officer

REPO = Path(__file__).resolve().parents[2]


def test_passwords_are_stored_as_argon2id(demo) -> None:
    stored = db.session.scalar(db.select(Officer.password_hash).where(Officer.username == "demo"))
    assert stored.startswith("$argon2id$")
    assert "demo-officer" not in stored


def test_sign_in_sets_a_protected_cookie_and_returns_the_csrf_token(client, demo) -> None:
    response = client.post("/api/v1/officer/login", json={"username": "DEMO ", "password": "demo-officer"})
    assert response.status_code == 200
    assert response.json["officer"]["role"] == "officer"
    assert response.json["officer"]["commune_name"] == "Xã Bình An"
    cookie = response.headers["Set-Cookie"]
    assert "binhan_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert len(response.json["csrf_token"]) > 30


def test_wrong_password_is_refused(client, demo) -> None:
    response = client.post("/api/v1/officer/login", json={"username": "demo", "password": "nope"})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_credentials"


def test_sign_out_ends_the_session(officer) -> None:
    assert officer.post("/api/v1/officer/logout").status_code == 204
    assert officer.get("/api/v1/officer/me").status_code == 401


def test_password_change_ends_other_sessions_but_keeps_this_one(sign_in) -> None:
    here, elsewhere = sign_in(), sign_in()
    wrong = here.post("/api/v1/officer/me/password", json={"current_password": "x", "new_password": "long-enough-1"})
    assert wrong.status_code == 422 and wrong.json["error"]["code"] == "wrong_password"
    short = here.post("/api/v1/officer/me/password", json={"current_password": "demo-officer", "new_password": "short"})
    assert short.status_code == 422
    changed = here.post(
        "/api/v1/officer/me/password", json={"current_password": "demo-officer", "new_password": "long-enough-1"}
    )
    assert changed.status_code == 204
    assert here.get("/api/v1/officer/me").status_code == 200
    assert elsewhere.get("/api/v1/officer/me").status_code == 401
    assert sign_in("demo", "long-enough-1").get("/api/v1/officer/me").status_code == 200
    old = here.client.post("/api/v1/officer/login", json={"username": "demo", "password": "demo-officer"})
    assert old.status_code == 401


def test_head_resets_a_password_and_the_officer_is_signed_out(sign_in, head) -> None:
    officer = sign_in()
    officer_id = officer.get("/api/v1/officer/me").json["officer"]["id"]
    reset = head.post(f"/api/v1/officer/officers/{officer_id}/password", json={"new_password": "given-by-head"})
    assert reset.status_code == 204
    assert officer.get("/api/v1/officer/me").status_code == 401
    assert sign_in("demo", "given-by-head").get("/api/v1/officer/me").status_code == 200


def test_deactivated_officer_is_signed_out_and_cannot_sign_in(sign_in, head, client) -> None:
    officer = sign_in()
    officer_id = officer.get("/api/v1/officer/me").json["officer"]["id"]
    assert head.patch(f"/api/v1/officer/officers/{officer_id}", json={"active": False}).status_code == 200
    assert officer.get("/api/v1/officer/me").status_code == 401
    again = client.post("/api/v1/officer/login", json={"username": "demo", "password": "demo-officer"})
    assert again.status_code == 401


def test_head_manages_officers_of_the_commune_but_not_admins(head, demo) -> None:
    created = head.post(
        "/api/v1/officer/officers",
        json={"username": "canbo2", "display_name": "Cán bộ Phạm Văn Hai", "password": "first-password"},
    )
    assert created.status_code == 201
    assert created.json["commune_id"] == demo.commune.id and created.json["role"] == "officer"
    taken = {"username": "canbo2", "display_name": "Người khác", "password": "other-password"}
    assert head.post("/api/v1/officer/officers", json=taken).status_code == 409
    as_admin = head.post(
        "/api/v1/officer/officers",
        json={"username": "quantri2", "display_name": "X", "password": "first-password", "role": "admin"},
    )
    assert as_admin.status_code == 403
    admin_id = db.session.scalar(db.select(Officer.id).where(Officer.username == "admin"))
    assert head.patch(f"/api/v1/officer/officers/{admin_id}", json={"display_name": "Y"}).status_code == 403
    me = head.get("/api/v1/officer/me").json["officer"]["id"]
    own = head.patch(f"/api/v1/officer/officers/{me}", json={"active": False})
    assert own.status_code == 409 and own.json["error"]["code"] == "own_account"


def test_officer_list_is_the_commune_only(officer, other_commune) -> None:
    names = {o["username"] for o in officer.get("/api/v1/officer/officers").json}
    assert names == {"demo", "truongcongan", "admin"}
    forced = {
        o["username"] for o in officer.get(f"/api/v1/officer/officers?commune_id={other_commune.commune.id}").json
    }
    assert "khac" not in forced


def test_admin_sees_and_creates_accounts_in_any_commune(admin, other_commune) -> None:
    listed = admin.get(f"/api/v1/officer/officers?commune_id={other_commune.commune.id}").json
    assert [o["username"] for o in listed] == ["khac"]
    created = admin.post(
        "/api/v1/officer/officers",
        json={
            "username": "truong-hoaloi",
            "display_name": "Trưởng CA xã Hoà Lợi",
            "password": "first-password",
            "role": "head",
            "commune_id": other_commune.commune.id,
        },
    )
    assert created.status_code == 201 and created.json["commune_name"] == "Xã Hoà Lợi"


def test_login_is_rate_limited_per_address(client, demo) -> None:
    codes = [
        client.post("/api/v1/officer/login", json={"username": "demo", "password": f"guess-{n}"}).status_code
        for n in range(6)
    ]
    assert codes == [401] * 5 + [429]
    limited = client.post("/api/v1/officer/login", json={"username": "demo", "password": "demo-officer"})
    assert limited.status_code == 429
    assert limited.json["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0


def test_redis_url_puts_the_rate_limit_in_redis(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    config = load_config(tmp_path)
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"


# Two processes stand for two gunicorn workers: each has its own memory, so only a shared Redis makes the
# second one refuse after the first used up part of the limit.
_WORKER = """
import json, sys
from flask_migrate import upgrade
from server import create_app
from server.extensions import limiter
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "RATELIMIT_KEY_PREFIX": sys.argv[2], "TESTING": True})
with app.app_context():
    upgrade()
client = app.test_client()
codes = [client.post("/api/v1/officer/login", json={"username": "x", "password": "y"}).status_code
         for _ in range(int(sys.argv[3]))]
print(json.dumps({"storage": type(limiter.storage).__name__, "codes": codes}))
"""


def _redis_or_skip() -> redis.Redis:
    server = redis.Redis.from_url("redis://127.0.0.1:6379/15")
    try:
        server.ping()
    except redis.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    return server


@pytest.mark.parametrize("backend_app", ["sqlite"], indirect=True)
def test_workers_share_the_login_limit_through_redis(tmp_path, backend_app) -> None:
    server = _redis_or_skip()
    prefix = f"binhan-test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "REDIS_URL": "redis://127.0.0.1:6379/15", "SECRET_KEY": "t"}
    runs = []
    for attempts in (3, 3):
        done = subprocess.run(
            [sys.executable, "-c", _WORKER, f"sqlite:///{tmp_path / 'w.db'}", prefix, str(attempts)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    assert runs[0]["storage"] == "RedisStorage"
    assert runs[0]["codes"] == [401, 401, 401]
    assert runs[1]["codes"] == [401, 401, 429]
    keys = list(server.scan_iter(f"*/{prefix}/*"))
    assert any(b"officer_session.login" in key for key in keys), keys
    server.delete(*keys)
