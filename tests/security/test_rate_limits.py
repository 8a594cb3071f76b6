"""Rate limits answer 429 with Retry-After and the error shape, in memory and with Redis shared by workers.

Sign-in and enrolment codes are guessable secrets (a password, 60 bits read aloud): the limits slow guessing.
With REDIS_URL the counters live in Redis, so two gunicorn workers (or several instances) share them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from server.config import load_config
from tests.conftest import HttpClient
from tests.faults.server import CrashableServer

from .conftest import limit_keys


def _assert_limited(answer: Any) -> None:
    assert answer.status_code == 429
    assert answer.json["error"]["code"] == "rate_limited"
    assert int(answer.headers["Retry-After"]) > 0


def test_sign_in_is_limited_per_address(app, demo) -> None:
    client = app.test_client()
    for _ in range(5):
        wrong = client.post("/api/v1/officer/login", json={"username": "demo", "password": "guess"})
        assert wrong.status_code == 401
    _assert_limited(client.post("/api/v1/officer/login", json={"username": "demo", "password": "demo-officer"}))


def test_enrolment_is_limited_per_address(app, demo) -> None:
    client = app.test_client()
    for _ in range(10):
        assert client.post("/api/v1/enrol", json={"code": "AAAA-BBBB-CCCC"}).status_code == 404
    _assert_limited(client.post("/api/v1/enrol", json={"code": "AAAA-BBBB-CCCC"}))


def test_password_change_is_limited(app, demo, sign_in) -> None:
    officer = sign_in()
    for _ in range(5):
        officer.post("/api/v1/officer/me/password", json={"current_password": "guess", "new_password": "x" * 12})
    _assert_limited(
        officer.post("/api/v1/officer/me/password", json={"current_password": "guess", "new_password": "x" * 12})
    )


def _login(server: CrashableServer, address: str, password: str) -> tuple[int, dict[str, str], Any]:
    """A sign-in on a fresh connection, as from ``address`` (the proxy's X-Forwarded-For); header names lower case."""
    answer = HttpClient(server.port).post(
        "/api/v1/officer/login",
        json={"username": "demo", "password": password},
        headers={"X-Forwarded-For": address},
        retry_statuses=(),
    )
    return answer.status_code, answer.headers, answer.json


def test_with_redis_the_limit_is_shared_by_the_workers(production: CrashableServer) -> None:
    """Six sign-ins on fresh connections spread over two workers: the sixth is refused all the same."""
    statuses = [_login(production, "203.0.113.7", "guess")[0] for _ in range(5)]
    assert statuses == [401] * 5
    status, headers, body = _login(production, "203.0.113.7", "demo-officer")
    assert status == 429 and body["error"]["code"] == "rate_limited"
    assert int(headers["retry-after"]) > 0
    assert limit_keys(production.env["RATELIMIT_KEY_PREFIX"]), "the counters are in Redis, not in one worker's memory"


def test_behind_a_reverse_proxy_each_client_has_its_own_limit(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TRUSTED_PROXIES", "1")
    assert load_config(tmp_path).get("TRUSTED_PROXIES") == 1
