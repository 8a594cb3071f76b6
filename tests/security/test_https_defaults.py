"""Production defaults: over HTTPS (directly, or as a trusted proxy reports it) the cookie is Secure and HSTS is on.

Before: the session cookie was not Secure and there was no HSTS unless SESSION_COOKIE_SECURE was set by
hand; behind a TLS proxy a forgotten setting meant a cookie that could leak over plain HTTP. Now the server
decides from the request: HTTPS as seen through TRUSTED_PROXIES turns both on; the plain-HTTP demo is unchanged.
"""

from __future__ import annotations

from pathlib import Path

from server import create_app
from tests.security.test_sessions import _cookie_flags

LOGIN = "/api/v1/officer/login"
DEMO = {"username": "demo", "password": "demo-officer"}


def test_over_https_the_cookie_is_secure_and_hsts_is_sent(app, demo) -> None:
    answer = app.test_client().post(LOGIN, json=DEMO, base_url="https://binhan.example")
    assert answer.status_code == 200
    assert _cookie_flags(answer.headers["Set-Cookie"]).get("secure") == "yes"
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_over_plain_http_neither_is_sent(app, demo) -> None:
    answer = app.test_client().post(LOGIN, json=DEMO)
    assert "secure" not in _cookie_flags(answer.headers["Set-Cookie"])
    assert "Strict-Transport-Security" not in answer.headers


def test_behind_a_trusted_tls_proxy_the_forwarded_scheme_counts(tmp_path: Path) -> None:
    proxied = create_app({"TESTING": True, "TRUSTED_PROXIES": 1, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    answer = proxied.test_client().get("/api/openapi.json", headers={"X-Forwarded-Proto": "https"})
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=")
    untrusted = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    spoofed = untrusted.test_client().get("/api/openapi.json", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in spoofed.headers, "without a trusted proxy the header is ignored"
